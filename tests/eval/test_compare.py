"""`mmad compare` and eval.compare: differences, McNemar and verdicts worked out by hand on a tiny
benchmark; the CLI's table, JSON and errors."""

from __future__ import annotations

import json
from math import comb

import pytest

from eval.compare import A_BETTER, B_BETTER, NO_DIFFERENCE, compare, mcnemar_p, verdict
from mmad.cli import main

FOUR = {"A": "Scratch.", "B": "Crack.", "C": "Stain.", "D": "Dent."}
IMAGES = {"DS-MVTec": "DS-MVTec/bottle/image/broken_large/{:03d}.png", "VisA": "VisA/candle/test/bad/{:03d}.JPG"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """2 sources × 5 images, each with a Defect Classification and an Object Classification question
    (answer A): 2 sources × 2 subtasks × 5 questions."""
    body = {pattern.format(i): {"conversation": [
        {"Question": "Which defect?", "Options": FOUR, "Answer": "A", "type": "Defect Classification"},
        {"Question": "Which object?", "Options": FOUR, "Answer": "A", "type": "Object Classification"}],
        "random_templates": [], "similar_templates": [], "mask_path": ""}
        for pattern in IMAGES.values() for i in range(5)}
    folder = tmp_path_factory.mktemp("tiny")
    (folder / "mmad.json").write_text(json.dumps(body), encoding="utf-8")
    # A answers everything right. B misses DS-MVTec's Defect Classification on images 0 and 1 and
    # VisA's Object Classification on image 0.
    misses = {("DS-MVTec", 0, 0), ("DS-MVTec", 1, 0), ("VisA", 0, 1)}
    for name, wrong in (("a", set()), ("b", misses)):
        lines = [json.dumps({"question_id": f"{pattern.format(i)}#{q}", "answer": "B" if (source, i, q) in wrong else "A"})
                 for source, pattern in IMAGES.items() for i in range(5) for q in (0, 1)]
        (folder / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_differences_and_mcnemar_by_hand(tiny):
    result = compare(tiny / "a.jsonl", tiny / "b.jsonl", tiny / "mmad.json", resamples=500)
    # B: DS-MVTec DC 3/5 = 60, OC 100 → 80; VisA DC 100, OC 4/5 = 80 → 90; Average (80 + 90) / 2 = 85.
    # DC over sources (60 + 100) / 2 = 80; OC (100 + 80) / 2 = 90. A is 100 everywhere.
    average = result["average"]
    assert (average["a"], average["b"], average["difference"]) == pytest.approx((100, 85, 15))
    assert result["subtasks"]["defect_classification"]["difference"] == pytest.approx(20)
    assert result["subtasks"]["object_classification"]["difference"] == pytest.approx(10)
    assert result["sources"]["DS-MVTec"]["average"]["difference"] == pytest.approx(20)
    assert result["sources"]["VisA"]["subtasks"]["object_classification"]["difference"] == pytest.approx(20)
    assert result["sources"]["VisA"]["subtasks"]["defect_classification"]["difference"] == 0
    # McNemar: overall 3 discordant pairs, all for A: p = 2 · (1/2)^3 = 0.25; DS-MVTec DC 2: 2 · 1/4 = 0.5;
    # VisA OC 1: 2 · 1/2, capped at 1; no discordant pair: 1.
    assert (average["a_only"], average["b_only"], average["mcnemar_p"]) == (3, 0, pytest.approx(0.25))
    assert result["sources"]["DS-MVTec"]["subtasks"]["defect_classification"]["mcnemar_p"] == pytest.approx(0.5)
    assert result["sources"]["VisA"]["subtasks"]["object_classification"]["mcnemar_p"] == 1.0
    assert result["sources"]["VisA"]["subtasks"]["defect_classification"]["mcnemar_p"] == 1.0
    # Resampling images: B's DS-MVTec deficit is 0–50 points of its average and VisA's 0–50, so the
    # Average's difference stays within [0, 50]; a scope where the runs agree is the point 0.
    assert 0 <= average["low"] <= 15 <= average["high"] <= 50
    vis_dc = result["sources"]["VisA"]["subtasks"]["defect_classification"]
    assert (vis_dc["low"], vis_dc["high"], vis_dc["verdict"]) == (0, 0, NO_DIFFERENCE)


@pytest.mark.parametrize("a_only,b_only", [(0, 0), (1, 0), (2, 8), (30, 12), (500, 560)])
def test_mcnemar_is_the_exact_binomial_tail(a_only, b_only):
    n, low = a_only + b_only, min(a_only, b_only)
    expected = min(1.0, 2 * sum(comb(n, k) for k in range(low + 1)) / 2 ** n) if n else 1.0
    assert mcnemar_p(a_only, b_only) == pytest.approx(expected, rel=1e-9)
    assert mcnemar_p(a_only, b_only) == mcnemar_p(b_only, a_only)


def test_verdict_rule():
    assert verdict(0.1, 2.0) == A_BETTER and verdict(-2.0, -0.1) == B_BETTER
    assert verdict(0.0, 2.0) == verdict(-1.0, 1.0) == NO_DIFFERENCE == "no detectable difference at 95%"


def test_a_run_against_itself_is_no_difference(tiny):
    result = compare(tiny / "b.jsonl", tiny / "b.jsonl", tiny / "mmad.json", resamples=50)
    assert result["average"] == {"a": 85.0, "b": 85.0, "difference": 0.0, "low": 0.0, "high": 0.0,
                                      "mcnemar_p": 1.0, "a_only": 0, "b_only": 0, "verdict": NO_DIFFERENCE}


def test_cli_table_and_json(tiny, capsys):
    out_json = tiny / "cmp.json"
    args = [str(tiny / "a.jsonl"), str(tiny / "b.jsonl"), "--key", str(tiny / "mmad.json")]
    assert main(["compare", *args, "--json", str(out_json), "--resamples", "200", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    average = next(line for line in out.splitlines() if line.startswith("Average"))
    assert average.split()[1:4] == ["100.00", "85.00", "+15.00"] and "0.2500" in average
    assert any(line.startswith("Defect Classification") and "+20.00" in line for line in out.splitlines())
    assert any(line.startswith("VisA") and "+10.00" in line for line in out.splitlines())
    written = json.loads(out_json.read_text())
    assert (written["protocol"], written["resamples"], written["seed"]) == ("strict", 200, 4)
    assert written["average"]["difference"] == pytest.approx(15)
    assert main(["compare", *args, "--json", "-", "--resamples", "20"]) == 0
    assert json.loads(capsys.readouterr().out)["average"]["a_only"] == 3


@pytest.mark.parametrize("content,expected", [
    ('{"answer": "A"}\n', "B "),
    ('{"question_id": "VisA/candle/test/bad/000.JPG#0", "answer": "E"}\n', "not an option"),
])
def test_bad_input_exits_2_with_one_line(tiny, tmp_path, capsys, content, expected):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, encoding="utf-8")
    assert main(["compare", str(tiny / "a.jsonl"), str(bad), "--key", str(tiny / "mmad.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("mmad compare: error: B ") and expected in err
    assert "Traceback" not in err


def test_bad_options_exit_2(tiny, capsys):
    args = [str(tiny / "a.jsonl"), str(tiny / "b.jsonl"), "--key", str(tiny / "mmad.json")]
    assert main(["compare", *args, "--resamples", "0"]) == 2
    assert main(["compare", *args[:2], "--key", str(tiny / "missing.json")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 2
