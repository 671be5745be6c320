"""Question-level errata (issue 18): jam-cc/MMAD issue #18 says the Defect Localization answer of
DS-MVTec/bottle/image/broken_large/016.png is wrong. The erratum is keyed by image and question type and
lands on that question's id wherever the conversation puts it; the export, the card and `mmad score` say so,
and the official protocol still scores the question as upstream does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import mmad_dataset as mm
from mmad.export import export_root

BOTTLE = "DS-MVTec/bottle/image/broken_large/016.png"


def _question(qtype: str, question: str, answer: str) -> dict:
    return {"Question": question, "Answer": answer, "Options": {"A": "Around the center.", "B": "At the edges."},
            "type": qtype}


@pytest.fixture(scope="module")
def errata_root(small_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small synthetic root plus the image of the erratum, whose conversation has no Anomaly Detection
    question: its Defect Localization question is #1 here, not #2 as in most conversations."""
    root = tmp_path_factory.mktemp("errata") / "root"
    shutil.copytree(small_root, root)
    mmad = json.loads((root / "mmad.json").read_text(encoding="utf-8"))
    model = mmad["DS-MVTec/bottle/image/broken_large/000.png"]
    mmad[BOTTLE] = {**model, "conversation": [
        _question("Defect Classification", "There is a defect in the object. What is the type of the defect?", "A"),
        _question("Defect Localization", "There is a defect in the object. Where is the defect?", "A"),
    ]}
    shutil.copyfile(root / "DS-MVTec/bottle/image/broken_large/000.png", root / BOTTLE)
    (root / "mmad.json").write_text(json.dumps(mmad), encoding="utf-8")
    return root


def test_the_erratum_lands_on_its_question_id_only(errata_root):
    rows = {row["question_id"]: row for row in mm.load_rows(errata_root)}
    assert "issue #18" in rows[f"{BOTTLE}#1"]["known_issue"] and "edges" in rows[f"{BOTTLE}#1"]["known_issue"]
    assert rows[f"{BOTTLE}#0"]["known_issue"] is None  # the image's other question is fine
    flagged = {qid for qid, row in rows.items() if row["known_issue"] and not qid.startswith("DS-MVTec/pill/")}
    assert flagged == {f"{BOTTLE}#1"}


def test_in_the_full_synthetic_benchmark_it_is_question_2(full_mmad_json):
    """The synthetic tree mirrors upstream's order (Anomaly Detection first): Defect Localization is #2."""
    flagged = [row["question_id"] for row in mm.load_rows(full_mmad_json) if row["image_path"] == BOTTLE
               and row["known_issue"]]
    assert flagged == [f"{BOTTLE}#2"]


def test_an_answer_key_exported_before_the_erratum_gets_it_when_loaded(errata_root, tmp_path):
    key = tmp_path / mm.ANSWER_KEY_FILE
    with key.open("w", encoding="utf-8") as handle:
        for row in mm.load_rows(errata_root):
            handle.write(json.dumps({**row, "known_issue": None}) + "\n")
    rows = {row["question_id"]: row for row in mm.load_rows(key)}
    assert "issue #18" in rows[f"{BOTTLE}#1"]["known_issue"] and rows[f"{BOTTLE}#0"]["known_issue"] is None


def test_export_lists_the_question_in_errata_and_the_card(errata_root, tmp_path):
    summary = export_root(errata_root, tmp_path / "MMAD")
    errata = json.loads((summary.out / "errata.json").read_text(encoding="utf-8"))
    assert errata["known_questions"] == [{"question_id": f"{BOTTLE}#1", "image_path": BOTTLE,
                                          "question_type": "Defect Localization",
                                          "issue": mm.KNOWN_QUESTION_ISSUES[(BOTTLE, "Defect Localization")]}]
    assert BOTTLE not in {item["image_path"] for item in errata["known_images"]}  # the image itself is fine
    card = (summary.out / "README.md").read_text(encoding="utf-8")
    assert f"`{BOTTLE}#1` (Defect Localization)" in card and "issue #18" in card


def test_score_reports_the_flagged_question_and_the_average_without_it(errata_root, tmp_path, run_mmad):
    """Every answer right but the flagged one: the official average stays upstream's (below 100), and
    without the flagged question it would be 100."""
    rows = mm.load_rows(errata_root)
    wrong = {row["question_id"]: "B" if row["question_id"] == f"{BOTTLE}#1" else row["answer"] for row in rows}
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("".join(json.dumps({"question_id": qid, "answer": answer}) + "\n"
                                   for qid, answer in wrong.items()), encoding="utf-8")
    out = tmp_path / "result.json"
    done = run_mmad("score", predictions, "--key", errata_root, "--resamples", "0", "--json", out)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    for protocol in ("official", "strict"):
        errata = result[protocol]["errata"]
        assert (errata["flagged_questions"], errata["answered"]) == (len([r for r in rows if r["known_issue"]]),
                                                                     len([r for r in rows if r["known_issue"]]))
        assert result[protocol]["average"] < 100 and errata["average_without_flagged"] == pytest.approx(100)
        assert {q["question_id"] for q in errata["questions"]} >= {f"{BOTTLE}#1"}
    assert "known wrong upstream; this file answered" in done.stdout and "average without them 100.00" in done.stdout
    partial = tmp_path / "partial.jsonl"
    partial.write_text("".join(json.dumps({"question_id": qid, "answer": answer}) + "\n"
                               for qid, answer in wrong.items() if qid != f"{BOTTLE}#1"), encoding="utf-8")
    done = run_mmad("score", partial, "--key", errata_root, "--protocol", "official", "--resamples", "0",
                    "--json", "-")
    errata = json.loads(done.stdout)["errata"]
    assert errata["answered"] == errata["flagged_questions"] - 1
    assert [q["answered"] for q in errata["questions"] if q["question_id"] == f"{BOTTLE}#1"] == [False]


def test_the_about_tab_names_the_erratum_and_its_upstream_issue():
    from space import about

    assert f"`{BOTTLE}`, its Defect Localization question" in about.ABOUT and "issue #18" in about.ABOUT


def test_validate_names_the_question(errata_root):
    from mmad.validate import check_root, format_report

    report = format_report(check_root(errata_root))
    assert f"question {BOTTLE}#1 (Defect Localization): " in report and "issue #18" in report
