"""eval.stats against numbers worked out by hand and against the definitions, written out naively."""

from __future__ import annotations

import json
import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mmad_dataset as mm
from eval import load_key, read_predictions, score, stats
from paper_counts import SPLIT

Z = 1.959963984540054  # the 97.5% normal quantile


def test_one_cell_by_hand():
    # 80% of 1,000: sd = sqrt(0.8 * 0.2 / 1000) * 100 = 1.264911; half-width 1.96 * 1.264911 = 2.479180.
    assert stats.cell_interval(80.0, 1000) == pytest.approx((77.520820, 82.479180), abs=1e-5)
    # Balanced accuracy of 90% on 400 normal and 60% on 100 abnormal questions, printed as 75%:
    # var = (0.9 * 0.1 / 400 + 0.6 * 0.4 / 100) / 4 * 100^2 = (0.000225 + 0.0024) / 4 * 1e4 = 6.5625;
    # sd = 2.561738, half-width 1.959964 * 2.561738 = 5.020914.
    assert stats.balanced_interval(90.0, 60.0, 400, 100) == pytest.approx((69.979086, 80.020914), abs=1e-5)


def test_average_only_at_50_percent_by_hand():
    """A row printing only its Average, 50.00: every cell is taken at p = 0.5, so
    Var = 2500 / 28^2 * S with S = sum over the 24 non-AD cells of 1/n + sum over sources of
    (1/n_normal + 1/n_abnormal) / 4 (the paper's counts) = 0.0238155; Var = 0.0759422, sd = 0.275576,
    half-width 0.540119: [49.4599, 50.5401], the issue's "±0.54" for a mid-table row."""
    total = sum(Fraction(1, 4) * (Fraction(1, normal) + Fraction(1, abnormal)) + sum(Fraction(1, n) for n in rest)
                for normal, abnormal, *rest in SPLIT.values())
    assert float(total) == pytest.approx(0.0238155, abs=1e-7)
    half = Z * (2500 * float(total) / 28 ** 2) ** 0.5
    assert half == pytest.approx(0.540119, abs=1e-6)
    assert stats.reported_interval({"average": 50.0}) == pytest.approx((50 - half, 50 + half), abs=1e-9)


def test_the_counts_are_the_papers():
    counts = stats.benchmark_counts()
    for source, (normal, abnormal, *rest) in SPLIT.items():
        assert (counts[source]["normal_ad"], counts[source]["abnormal_ad"]) == (normal, abnormal)
        assert [counts[source][t] for t in mm.SUBTASKS[1:]] == rest


def test_cells_propagate_through_the_macro_average():
    """Printed cells: the Average's variance is the sum of the cell variances over 28^2, each
    subtask's the sum over sources over 4^2, each source's over 7^2 (independent cells)."""
    rng = random.Random(0)
    cells = {s: {t: rng.uniform(40, 95) for t in mm.SUBTASKS} for s in mm.SOURCES}
    result = {"average": 70.0, "subtasks": {t: 70.0 for t in mm.SUBTASKS},
              "sources": {s: {"average": 70.0, "subtasks": row} for s, row in cells.items()}}
    out = stats.reported_intervals(result)

    def var(source: str, subtask: str) -> float:
        p = cells[source][subtask] / 100
        normal, abnormal, *rest = SPLIT[source]
        if subtask == "anomaly_discrimination":  # no class accuracies printed: both at the balanced one
            return p * (1 - p) * (1 / normal + 1 / abnormal) / 4 * 1e4
        return p * (1 - p) / rest[mm.SUBTASKS.index(subtask) - 1] * 1e4

    def half(interval) -> float:
        return (interval[1] - interval[0]) / 2

    assert half(out["average"]) == pytest.approx(Z * (sum(var(s, t) for s in cells for t in mm.SUBTASKS) / 784) ** 0.5)
    assert half(out["subtasks"]["defect_analysis"]) == pytest.approx(
        Z * (sum(var(s, "defect_analysis") for s in cells) / 16) ** 0.5)
    assert half(out["sources"]["VisA"]["average"]) == pytest.approx(Z * (sum(var("VisA", t) for t in mm.SUBTASKS) / 49) ** 0.5)
    assert half(out["sources"]["VisA"]["subtasks"]["object_analysis"]) == pytest.approx(Z * var("VisA", "object_analysis") ** 0.5)


def test_subset_size_unknown_size_and_design_effect():
    row = {"average": 70.0}
    full = stats.reported_interval(row)
    quarter = stats.reported_interval(row, questions=mm.PAPER_TOTAL_QUESTIONS / 4)
    widened = stats.reported_interval(row, design_effect=4.0)
    assert quarter == pytest.approx((70 - 2 * (70 - full.low), 70 + 2 * (full.high - 70)))  # n / 4: sd × 2
    assert widened == pytest.approx(quarter)  # variance × 4 is the same widening
    assert stats.reported_interval(row, questions=None) is None
    assert stats.reported_intervals({"subtasks": {}}) is None
    with pytest.raises(ValueError):
        stats.reported_interval(row, questions=0)


def test_interval_stays_inside_0_to_100():
    low, high = stats.reported_interval({"average": 99.9}, questions=50)
    assert 0 <= low and high == 100.0


def _naive_ranks(lows, highs):
    n = len(lows)
    best = [1 + sum(lows[j] > highs[i] for j in range(n)) for i in range(n)]
    worst = [sum(not highs[j] < lows[i] for j in range(n)) for i in range(n)]
    return best, worst


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 6)), min_size=1, max_size=30))
def test_rank_ranges_follow_the_definition(rows):
    """Against the O(n^2) definition, ties and touching intervals included (integers make them common)."""
    estimates = [e for e, _ in rows]
    lows, highs = [e - w for e, w in rows], [e + w for e, w in rows]
    ranks = stats.rank_ranges(estimates, lows, highs)
    assert (ranks.best, ranks.worst) == _naive_ranks(lows, highs)
    order = sorted(range(len(rows)), key=lambda i: -estimates[i])
    assert ranks.separable_pairs == sum(lows[a] > highs[b] for a, b in zip(order, order[1:]))
    assert ranks.adjacent_pairs == len(rows) - 1


def test_rank_ranges_by_hand():
    # A [78, 82] is above everyone; B [68, 72], C [67, 71], D [66, 70] overlap; E [50, 54] below all;
    # F has no interval: it could be anywhere, and nobody is separable from it.
    ranks = stats.rank_ranges([80, 70, 69, 68, 52, 75], [78, 68, 67, 66, 50, None], [82, 72, 71, 70, 54, None])
    assert ranks.best == [1, 2, 2, 2, 5, 1]
    assert ranks.worst == [2, 5, 5, 5, 6, 6]
    # Order by estimate: A 80, F 75, B 70, C 69, D 68, E 52: only D–E is separable.
    assert (ranks.separable_pairs, ranks.adjacent_pairs) == (1, 5)
    assert stats.rank_ranges([], [], []) == ([], [], 0, 0)


def test_reported_rows_of_the_board_get_the_issues_widths():
    """Every full-benchmark reported row's Average is uncertain by ±0.36–0.54 points (95%, independent
    questions), as the issue computed from the same cells and counts."""
    from pathlib import Path

    halves = []
    for path in sorted(Path(__file__).parents[2].joinpath("submissions", "reported").glob("*.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry["coverage"] == "full":
            low, high = stats.reported_interval(entry["result"])
            halves.append((high - low) / 2)
    assert halves and 0.35 < min(halves) and max(halves) < 0.55


def test_verified_intervals_read_the_stored_bootstrap(small_key):
    rng = random.Random(0)
    lines = "\n".join(json.dumps({"question_id": q.qid, "answer": q.answer if rng.random() < 0.7 else
                                  next(x for x in q.options if x != q.answer)}) for q in small_key.questions)
    result = score(read_predictions(lines.encode(), small_key), small_key, "strict", resamples=200)
    intervals = stats.verified_intervals(result)
    assert intervals["average"] == (result["bootstrap"]["low"], result["bootstrap"]["high"])
    for subtask, value in result["subtasks"].items():
        low, high = intervals["subtasks"][subtask]
        assert low <= value <= high
    for source, row in result["sources"].items():
        assert intervals["sources"][source]["average"][0] <= row["average"] <= intervals["sources"][source]["average"][1]
        assert set(intervals["sources"][source]["subtasks"]) == set(row["subtasks"])
    assert stats.verified_intervals({"bootstrap": None}) is None
