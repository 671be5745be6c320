"""The `mmad` command's manners: `--version`, and a missing optional extra as one line naming the install
(exit 2, no traceback), for `mmad predict` (runner) and `python space/app.py` (space)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mmad.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_version_prints_the_toolkit_version(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("mmad ") and out.split()[1][0].isdigit()


def _run_without(module: str, code: str) -> subprocess.CompletedProcess:
    """Python with `module` made unimportable, running `code` from the repository root."""
    return subprocess.run([sys.executable, "-c", f"import sys; sys.modules[{module!r}] = None\n{code}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_predict_without_the_runner_extra_names_the_install(small_root, tmp_path):
    done = _run_without("torch", "from mmad.cli import main; sys.exit(main(['predict', '--data-dir', "
                                 f"{str(small_root)!r}, '--model', 'tiny', '--out', {str(tmp_path / 'p.jsonl')!r}]))")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "mmad predict: error: torch is not installed; it comes with the 'runner' extra: pip install -e \".[runner]\""]


def test_the_space_without_its_extra_names_the_install():
    done = _run_without("gradio", "import runpy; runpy.run_path('space/app.py', run_name='__main__')")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: gradio is not installed; it comes with the 'space' extra: pip install -e \".[space]\""]
