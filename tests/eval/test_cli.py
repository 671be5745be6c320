"""`mmad score`: the table, --protocol, --json, exit codes, and a light import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cases import mini_lines
from mmad.cli import main


def write_predictions(tmp_path, key) -> str:
    path = tmp_path / "preds.jsonl"
    path.write_text(mini_lines(key) + "\n", encoding="utf-8")
    return str(path)


def test_table_shows_both_protocols_side_by_side(mini_key, mini_key_path, tmp_path, capsys):
    assert main(["score", write_predictions(tmp_path, mini_key), "--key", str(mini_key_path)]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if "official" in line and "strict" in line)
    assert header.split()[:2] == ["official", "strict"]
    average = next(line for line in out.splitlines() if line.startswith("Average"))
    assert average.split()[1:3] == [f"{625 / 28:.2f}", f"{575 / 28:.2f}"]  # overall: official, strict
    assert "official: 11 of 13 questions scored, 1 invalid, 0 missing, 1 skipped" in out
    assert "bootstrap interval" in out


def test_one_protocol_and_json_output(mini_key, mini_key_path, tmp_path, capsys):
    preds, out_json = write_predictions(tmp_path, mini_key), tmp_path / "result.json"
    assert main(["score", preds, "--key", str(mini_key_path), "--protocol", "strict", "--json", str(out_json),
                 "--resamples", "20", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "official" not in out and "strict:" in out
    written = json.loads(out_json.read_text())
    # The hand-computed strict table of the mini benchmark (see test_strict.test_hand_computed_strict_table).
    assert written["protocol"] == "strict" and written["answer_key_sha256"] == mini_key.sha256
    assert written["average"] == pytest.approx(575 / 28, abs=1e-9)
    expected_sources = {"DS-MVTec": 325 / 7, "MVTec-LOCO": 0.0, "VisA": 0.0, "GoodsAD": 250 / 7}
    assert {s: row["average"] for s, row in written["sources"].items()} == pytest.approx(expected_sources, abs=1e-9)
    assert written["counts"] == {"questions": 13, "scored": 13, "invalid": 2, "missing": 0, "skipped": 0,
                                 "answered": 11}
    assert written["coverage"] == pytest.approx(1100 / 13, abs=1e-9)  # 2 invalid: unanswered
    assert written["invalid_rate"] == pytest.approx(200 / 13, abs=1e-9)
    ci = written["bootstrap"]
    assert (ci["resamples"], ci["seed"], ci["level"]) == (20, 3, 0.95) and ci["low"] <= ci["high"]


def test_json_to_stdout(mini_key, mini_key_path, tmp_path, capsys):
    assert main(["score", write_predictions(tmp_path, mini_key), "--key", str(mini_key_path), "--json", "-",
                 "--resamples", "0"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"official", "strict"}


def test_bad_input_exits_2_with_one_line(mini_key_path, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question_id": "DS-MVTec/bottle/image/good/000.png#0", "answer": "E"}\n')
    assert main(["score", str(bad), "--key", str(mini_key_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mmad score: error: line 1: answer 'E' is not an option") and "\n" not in err
    assert main(["score", str(bad), "--key", str(tmp_path / "missing")]) == 2
    assert main(["score", str(bad), "--key", str(mini_key_path), "--max-mb", "0"]) == 2


def test_import_is_light():
    """`import eval` and reading predictions must not pull pandas or numpy (CLI start-up time)."""
    code = ("import sys, eval, eval.score_cli; "
            "print(sorted(m for m in ('pandas', 'numpy', 'datasets', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_table_shows_the_interval_of_every_subtask_and_source(small_root, tmp_path, capsys):
    from eval import load_key

    key = load_key(small_root)
    preds = tmp_path / "preds.jsonl"
    preds.write_text("\n".join(json.dumps({"question_id": q.qid, "answer": q.answer if i % 3 else
                                           next(x for x in q.options if x != q.answer)})
                               for i, q in enumerate(key.questions)) + "\n", encoding="utf-8")
    out_json = tmp_path / "result.json"
    assert main(["score", str(preds), "--key", str(small_root), "--protocol", "strict", "--resamples", "200",
                 "--json", str(out_json)]) == 0
    out = capsys.readouterr().out.splitlines()
    block = out[out.index("95% bootstrap intervals (images resampled within each source)") + 2:]
    written = json.loads(out_json.read_text())
    low, high = written["bootstrap"]["sources"]["VisA"]["subtasks"]["defect_analysis"]
    row = next(line for line in block if line.startswith("Defect Analysis"))[len("Defect Analysis"):].split()
    assert row[3] == f"{low:.1f}–{high:.1f}"  # Overall, DS-MVTec, MVTec-LOCO, VisA
    assert low <= written["sources"]["VisA"]["subtasks"]["defect_analysis"] <= high
