"""Every command, every input: exit 0 or 2, one line of error, never a traceback.

Hostile files (deep nesting, huge integers, NaN, 1e999999, BOM, UTF-16, NUL bytes, empty, binary junk,
wrong types) go to each entry point that reads a user's file: `validate`, `score` (as predictions and
as the key), `export`, `predict --data-dir`, `vlmevalkit import` and `rescore` on a local store. In
process through `mmad.cli.main`, to stay fast; a few through the real `mmad` entry point.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mmad.cli import main

HOSTILE: dict[str, bytes] = {
    "deep array": b"[" * 3_000_000,
    "deep object": b'{"a":' * 200_000,
    "5000-digit integer": b'{"x": ' + b"9" * 5000 + b"}",
    "NaN": b'{"x": NaN}',
    "1e999999": b'{"x": 1e999999}',
    "BOM object": b"\xef\xbb\xbf{}",
    "UTF-16": '{"a": 1}'.encode("utf-16"),
    "NUL bytes": b'{"a"\x00: 1}',
    "empty": b"",
    "binary junk": random.Random(0).randbytes(4096),
    "array": b"[1, 2, 3]",
    "string": b'"mmad"',
    "wrong shapes": json.dumps({"DS-MVTec/bottle/image/good/000.png": {"conversation": [
        {"Question": 1, "Answer": [], "Options": "x", "type": 5}]}}).encode(),
    "entry not an object": json.dumps({"DS-MVTec/bottle/image/good/000.png": [1]}).encode(),
    "lines of junk": b'{"question_id": 5}\n[[[\n' + b"9" * 5000 + b"\n",
}


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    err = capsys.readouterr().err
    return code, err


def assert_clean(code, err: str) -> None:
    assert code in (0, 2), err[-1500:]
    assert "Traceback" not in err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and len(err) < 2000, err[:2000]


def hostile_root(tmp_path: Path, name: str) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    (root / "mmad.json").write_bytes(HOSTILE[name])
    return root


@pytest.mark.parametrize("name", HOSTILE)
def test_commands_reading_a_raw_root_refuse_a_hostile_mmad_json(name, tmp_path, capsys, small_root):
    root = hostile_root(tmp_path, name)
    assert_clean(*run_cli(["validate", "--data-dir", str(root)], capsys))
    assert_clean(*run_cli(["export", "--data-dir", str(root), "--out", str(tmp_path / "out")], capsys))
    assert_clean(*run_cli(["predict", "--data-dir", str(root), "--out", str(tmp_path / "p.jsonl"),
                           "--model", str(tmp_path / "no-model"), "--limit", "1"], capsys))
    good = small_root / "mmad.json"
    assert_clean(*run_cli(["score", str(good), "--key", str(root), "--resamples", "0"], capsys))


@pytest.mark.parametrize("name", HOSTILE)
def test_commands_reading_predictions_refuse_hostile_files(name, tmp_path, capsys, small_root):
    data = HOSTILE[name]
    predictions = tmp_path / "p.jsonl"
    predictions.write_bytes(data)
    assert_clean(*run_cli(["score", str(predictions), "--key", str(small_root), "--resamples", "0"], capsys))
    for suffix in (".json", ".tsv"):
        vlm = tmp_path / f"m_MMAD{suffix}"
        vlm.write_bytes(data)
        assert_clean(*run_cli(["vlmevalkit", "import", str(vlm), "--tsv", str(tmp_path / "no.tsv"),
                               "--out", str(tmp_path / "v.jsonl")], capsys))


@pytest.mark.parametrize("name", ["deep array", "5000-digit integer", "NaN", "binary junk", "array"])
def test_rescore_skips_or_refuses_a_hostile_stored_entry(name, tmp_path, capsys, small_root):
    entry = tmp_path / "store" / "verified" / "20250101T000000Z-0123456789"
    entry.mkdir(parents=True)
    for part in ("metadata.json", "result.json", "predictions.jsonl"):
        (entry / part).write_bytes(HOSTILE[name])
    assert_clean(*run_cli(["rescore", "--store", str(tmp_path / "store"), "--key", str(small_root)], capsys))


@pytest.mark.parametrize("name", ["deep array", "5000-digit integer", "UTF-16"])
def test_the_installed_entry_point_exits_2_in_one_line(name, tmp_path):
    """The real process: the interpreter's own recursion and integer limits, not only `main()`."""
    root = hostile_root(tmp_path, name)
    mmad = shutil.which("mmad")
    command = [mmad] if mmad else [sys.executable, "-m", "mmad.cli"]
    done = subprocess.run([*command, "validate", "--data-dir", str(root)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
