"""`scripts/lmms_eval_env.sh`: a failed build leaves nothing behind, and a broken environment skips its tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lmms_task import REPO


def test_a_failed_build_leaves_no_half_built_environment(tmp_path):
    """pip cannot reach an index here: the build fails, and neither the venv nor its build folder stays."""
    venv = tmp_path / "lmms-venv"
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tmp_path), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run(["bash", str(REPO / "scripts" / "lmms_eval_env.sh"), str(venv)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert not venv.exists() and not Path(f"{venv}.building").exists()


def test_a_broken_environment_skips_the_end_to_end_test(tmp_path):
    """A `bin/python` that exists but cannot import lmms-eval (a half-built venv) means skipped, not failed."""
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    env = {**os.environ, "MMAD_LMMS_EVAL_PYTHON": str(broken)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                           str(REPO / "tests" / "integrations" / "test_lmms_eval_e2e.py")],
                          env=env, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "skipped" in done.stdout and "failed" not in done.stdout
