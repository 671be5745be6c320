"""`mmad validate`: each kind of bad root gets a clear one-line error (exit 2), a good one a report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import mmad_dataset as mm
import paper_counts


def _root_with(small_root: Path, tmp_path: Path, edit) -> Path:
    """A copy of mmad.json (no images needed for format errors) after `edit(mmad)`."""
    mmad = mm.load_mmad_json(small_root)
    edit(mmad)
    root = tmp_path / "root"
    root.mkdir()
    (root / "mmad.json").write_text(json.dumps(mmad), encoding="utf-8")
    return root


def _first_item(mmad: dict, index: int = 0) -> dict:
    return next(iter(mmad.values()))["conversation"][index]


def _rekey(mmad: dict, new_key: str) -> None:
    key = next(iter(mmad))
    mmad[new_key] = mmad.pop(key)


@pytest.mark.parametrize("edit, message", [
    (lambda m: _first_item(m).update(type="Defect Counting"), "unknown type 'Defect Counting'"),
    (lambda m: _first_item(m).update(Answer="E"), "answer 'E' is not among the options"),
    (lambda m: _rekey(m, "DS-MVTec/bottle/000.png"), "expected 5 path parts"),
], ids=["unknown-type", "answer-not-an-option", "short-key"])
def test_malformed_entries_fail_with_where_and_why(small_root, tmp_path, run_mmad, edit, message):
    root = _root_with(small_root, tmp_path, edit)
    result = run_mmad("validate", "--data-dir", root)
    assert result.returncode == 2
    assert "1 malformed image entry" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_every_malformed_entry_is_counted(small_root, tmp_path, run_mmad):
    def break_three(mmad):
        for entry in list(mmad.values())[:3]:
            entry["conversation"][0]["type"] = "Nonsense"
    result = run_mmad("validate", "--data-dir", _root_with(small_root, tmp_path, break_three))
    assert result.returncode == 2 and "3 malformed image entries" in result.stderr


def test_malformed_json_gives_the_position(tmp_path, run_mmad):
    (tmp_path / "mmad.json").write_text('{"DS-MVTec/bottle/image/good/000.png": {"conversation": [}\n')
    result = run_mmad("validate", "--data-dir", tmp_path)
    assert result.returncode == 2
    assert "malformed JSON at line 1, column" in result.stderr and "Traceback" not in result.stderr


def test_missing_root_is_a_clear_error(tmp_path, run_mmad):
    result = run_mmad("validate", "--data-dir", tmp_path / "nowhere")
    assert result.returncode == 2 and "mmad.json" in result.stderr and "Traceback" not in result.stderr


def test_missing_files_fail_unless_lenient(small_root, tmp_path, run_mmad):
    root = tmp_path / "root"
    shutil.copytree(small_root, root)
    gone = [p for p in (root / "VisA").rglob("*") if p.is_file()]
    shutil.rmtree(root / "VisA")
    strict = run_mmad("validate", "--data-dir", root)
    assert strict.returncode == 2 and "Traceback" not in strict.stderr
    assert f"{len(gone)} referenced file(s) missing" in strict.stderr and "--lenient" in strict.stderr
    assert "e.g. VisA/" in strict.stderr

    lenient = run_mmad("validate", "--data-dir", root, "--lenient")
    assert lenient.returncode == 0, lenient.stderr
    assert f"lenient: {len(gone)} referenced file(s) missing" in lenient.stdout


def _paper_report() -> dict[str, list[str]]:
    """The count table of a complete root, from the paper's numbers in `tests/paper_counts.py`."""
    def line(values: list[int]) -> list[str]:
        return [f"{v:,}" for v in (*values, sum(values))]

    sources = list(paper_counts.TABLE_1)  # the report's column order
    split = {column: [paper_counts.SPLIT[s][i] for s in sources]
             for i, column in enumerate(paper_counts.SPLIT_COLUMNS)}
    table = {"images": line([paper_counts.TABLE_1[s][0] for s in sources]),
             "questions": line([paper_counts.TABLE_1[s][1] for s in sources]),
             "anomaly_discrimination": line([n + a for n, a in zip(split["normal AD"], split["abnormal AD"])]),
             "on normal images": line(split["normal AD"]), "on abnormal images": line(split["abnormal AD"]),
             "images without an AD question": line([paper_counts.TABLE_1[s][0] - n - a for s, n, a in
                                                     zip(sources, split["normal AD"], split["abnormal AD"])])}
    for column in paper_counts.SPLIT_COLUMNS[2:]:
        table[column.lower().replace(" ", "_")] = line(split[column])
    return table


def test_report_on_a_full_scale_root_matches_the_paper(full_mmad_json, run_mmad):
    result = run_mmad("validate", "--data-dir", full_mmad_json.parent, "--lenient")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "8,366 images, 39,672 questions" in out
    assert "All counts equal the paper's" in out and "≠" not in out
    expected = _paper_report()
    table = {line[:30].strip(): line[30:].split() for line in out.splitlines() if line[:30].strip() in expected}
    assert table == expected and table["images without an AD question"][-1] == "69"
    assert "22 image(s) DS-MVTec/pill/image/good/000.png … DS-MVTec/pill/image/good/021.png" in out
    assert "issue #22" in out


def test_report_marks_counts_that_differ_from_the_paper(small_root, run_mmad):
    result = run_mmad("validate", "--data-dir", small_root)
    assert result.returncode == 0, result.stderr
    assert "MMAD root" in result.stdout and "valid" in result.stdout
    assert "12 of 12 rows differ from the paper" in result.stdout
    images_line = next(line for line in result.stdout.splitlines() if line.startswith("images "))
    assert "≠ 1,691" in images_line and "≠ 8,366" in images_line
