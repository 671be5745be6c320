"""`paired()` / `compare()` edges that mutation testing (docs/mutation.md) found unguarded: questions
only B got right, the discordant counts of every scope, anomaly discrimination's class columns, a
listed source without questions, and the seed."""

from __future__ import annotations

import random

import pytest

from eval.compare import mcnemar_p, paired, verdict
from eval.key import Question

AD, DC = "anomaly_discrimination", "defect_classification"
COLUMNS = [AD, DC]
YES_NO = {"A": "Yes", "B": "No"}


def _question(source: str, image: int, subtask: str, normal: bool) -> Question:
    name = f"{source}/x/{'good' if normal else 'bad'}/{image:03d}.png"
    index = COLUMNS.index(subtask)
    return Question(f"{name}#{index}", name, index, source, "x", "good" if normal else "bad", normal,
                    subtask, subtask, YES_NO, "A")


#: (source, image, normal?, A right on AD, A right on DC, B right on AD, B right on DC)
RUNS = [("DS-MVTec", 0, True, 1, 0, 1, 1), ("DS-MVTec", 1, True, 1, 1, 0, 1),
        ("DS-MVTec", 2, False, 1, 1, 1, 0), ("DS-MVTec", 3, False, 0, 1, 1, 1),
        ("VisA", 0, True, 1, 1, 1, 0), ("VisA", 1, False, 1, 1, 1, 1)]


def _outcomes(rows=RUNS) -> tuple[list, list]:
    a, b = [], []
    for source, image, normal, a_ad, a_dc, b_ad, b_dc in rows:
        for subtask, right_a, right_b in ((AD, a_ad, b_ad), (DC, a_dc, b_dc)):
            question = _question(source, image, subtask, normal)
            a.append((question, "A" if right_a else "B", "A", bool(right_a)))
            b.append((question, "A" if right_b else "B", "A", bool(right_b)))
    return a, b


def test_discordant_questions_are_counted_per_scope_for_each_side():
    # Only A right: DS-MVTec image 1 AD, image 2 DC, VisA image 0 DC. Only B right: DS-MVTec image 0 DC, image 3 AD.
    a, b = _outcomes()
    scopes = paired(a, b, ["DS-MVTec", "VisA"], COLUMNS, resamples=20)
    counts = {path: (scope["a_only"], scope["b_only"]) for path, scope in scopes.items()}
    assert counts[("average",)] == (3, 2)
    assert counts[("subtasks", AD)] == (1, 1) and counts[("subtasks", DC)] == (2, 1)
    assert counts[("sources", "DS-MVTec", "average")] == (2, 2)
    assert counts[("sources", "VisA", "average")] == (1, 0)
    assert counts[("sources", "DS-MVTec", "subtasks", DC)] == (1, 1)
    assert counts[("sources", "VisA", "subtasks", AD)] == (0, 0)
    swapped = paired(b, a, ["DS-MVTec", "VisA"], COLUMNS, resamples=20)
    assert (swapped[("average",)]["a_only"], swapped[("average",)]["b_only"]) == (2, 3)


def test_balanced_accuracy_and_a_listed_source_without_questions():
    """Anomaly discrimination is the mean of its normal and abnormal accuracies in both runs; a source
    named but holding no question scores 0 in both (the scorer's empty-cell rule) and weighs in the Average."""
    a, b = _outcomes()
    scopes = paired(a, b, ["DS-MVTec", "MVTec-LOCO", "VisA"], COLUMNS, resamples=50)
    ds_ad = scopes[("sources", "DS-MVTec", "subtasks", AD)]
    # A: normal 2/2, abnormal 1/2 -> 75; B: normal 1/2, abnormal 2/2 -> 75.
    assert (ds_ad["a"], ds_ad["b"], ds_ad["difference"]) == (75.0, 75.0, 0.0)
    loco = scopes[("sources", "MVTec-LOCO", "average")]
    assert (loco["a"], loco["b"], loco["low"], loco["high"]) == (0.0, 0.0, 0.0, 0.0)
    # A: (75 + 0 + 100) / 3; B: (75 + 0 + 75) / 3.
    average = scopes[("average",)]
    assert (average["a"], average["b"]) == pytest.approx((175 / 3, 50.0))
    assert scopes[("subtasks", DC)]["b"] == pytest.approx((75 + 0 + 50) / 3)
    assert average["low"] <= average["difference"] <= average["high"]


def _random_runs() -> tuple[list, list]:
    rng = random.Random(3)
    rows = [(source, i, i % 2 == 0, *(rng.random() < 0.7 for _ in range(4)))
            for source in ("DS-MVTec", "VisA") for i in range(40)]
    return _outcomes(rows)


def test_the_seed_fixes_the_intervals_and_defaults_to_0():
    a, b = _random_runs()
    sources = ["DS-MVTec", "VisA"]

    def limits(**seed) -> list:
        return [(s["low"], s["high"]) for s in paired(a, b, sources, COLUMNS, resamples=200, **seed).values()]

    assert limits(seed=5) == limits(seed=5)
    assert limits(seed=5) != limits(seed=6)
    assert limits() == limits(seed=0)


def test_mcnemar_p_of_ties_and_no_discordant_pair_is_1():
    assert mcnemar_p(0, 0) == 1.0
    assert mcnemar_p(4, 4) == 1.0 and mcnemar_p(250, 250) == 1.0
    assert mcnemar_p(0, 1) == 1.0 and mcnemar_p(3, 4) == pytest.approx(1.0)


def test_verdict_at_zero_and_inside_one_point():
    assert verdict(-1.0, 0.0) == verdict(-1.0, 0.5) == verdict(-0.5, 1.0) == "no detectable difference at 95%"
    assert verdict(0.5, 3.0) == "A better" and verdict(-3.0, -0.5) == "B better"
