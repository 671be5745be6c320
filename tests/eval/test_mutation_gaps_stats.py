"""eval.stats edges that mutation testing (docs/mutation.md) found unguarded: which printed number
stands for an unprinted cell, the printed detection columns, the clipping to [0, 100], the level and
size arguments, stored bootstraps of fewer parts, and rows with one bound only. Half-widths are
worked out from the paper's counts (tests/paper_counts.py), independently of mmad_dataset's tables."""

from __future__ import annotations

import pytest

import mmad_dataset as mm
from eval import stats
from paper_counts import SPLIT

Z = 1.959963984540054
AD, DC = "anomaly_discrimination", "defect_classification"


def _var(percent: float, n: int) -> float:
    p = percent / 100
    return p * (1 - p) / n * 1e4


def _cell_var(source: str, subtask: str, percent: float, classes: tuple[float, float] | None = None) -> float:
    normal_n, abnormal_n, *rest = SPLIT[source]
    if subtask == AD:
        normal, abnormal = classes or (percent, percent)
        return (_var(normal, normal_n) + _var(abnormal, abnormal_n)) / 4
    return _var(percent, rest[mm.SUBTASKS.index(subtask) - 1])


def _half(interval) -> float:
    return (interval[1] - interval[0]) / 2


def test_a_source_average_stands_for_its_unprinted_cells_and_unknown_sources_are_skipped():
    row = {"average": 70.0, "sources": {"Other": {"average": 10.0}, "VisA": {"average": 90.0}}}
    out = stats.reported_intervals(row)
    assert list(out["sources"]) == ["VisA"]
    assert sorted(out["sources"]["VisA"]) == ["average", "subtasks"] and out["sources"]["VisA"]["subtasks"] == {}
    assert _half(out["sources"]["VisA"]["average"]) == pytest.approx(
        Z * (sum(_cell_var("VisA", t, 90.0) for t in mm.SUBTASKS) / 49) ** 0.5)
    # The Average mixes VisA's cells at 90% with the other sources' at the printed Average, 70%.
    total = sum(_cell_var(s, t, 90.0 if s == "VisA" else 70.0) for s in mm.SOURCES for t in mm.SUBTASKS)
    assert _half(out["average"]) == pytest.approx(Z * (total / 784) ** 0.5)


def test_a_subtask_average_stands_for_its_unprinted_cells():
    out = stats.reported_intervals({"average": 70.0, "subtasks": {DC: 40.0}})
    assert list(out["subtasks"]) == [DC] and out["sources"] == {}
    assert _half(out["subtasks"][DC]) == pytest.approx(Z * (sum(_cell_var(s, DC, 40.0) for s in SPLIT) / 16) ** 0.5)


def test_printed_detection_columns_split_anomaly_discrimination_into_its_classes():
    """recall = abnormal accuracy, overkill = 100 − normal accuracy: a source's own columns for its
    printed cell, the row's columns for the cells only the row's subtask average covers."""
    detection = {"recall": 60.0, "overkill": 10.0}  # normal 90%, abnormal 60%: balanced 75%
    row = {"average": 70.0, "subtasks": {AD: 75.0}, "anomaly_detection": {"recall": 80.0, "overkill": 30.0},
           "sources": {"VisA": {"subtasks": {AD: 75.0}, "anomaly_detection": detection}}}
    out = stats.reported_intervals(row)
    visa = _cell_var("VisA", AD, 75.0, (90.0, 60.0))
    assert _half(out["sources"]["VisA"]["subtasks"][AD]) == pytest.approx(Z * visa ** 0.5)
    others = sum(_cell_var(s, AD, 75.0, (70.0, 80.0)) for s in SPLIT if s != "VisA")
    assert _half(out["subtasks"][AD]) == pytest.approx(Z * ((others + visa) / 16) ** 0.5)


def test_intervals_are_clipped_to_0_and_100_and_a_number_over_100_does_not_crash():
    # 1% of 20 questions: half-width 1.96 · √(0.01 · 0.99 / 20) · 100 = 4.36064 points, clipped at 0.
    assert stats.cell_interval(1.0, 20) == pytest.approx((0.0, 5.36064), abs=1e-5)
    assert stats.cell_interval(1.0, 20).low == 0.0
    # A printed 100.5 (a typo in a table) counts as p = 1, no variance, rather than failing.
    assert stats.cell_interval(100.5, 50).high == 100.0


def test_the_level_reaches_the_average_and_tiny_subsets_span_the_scale():
    row = {"average": 70.0}
    at_90 = stats.reported_interval(row, level=0.90)
    assert at_90 == stats.reported_intervals(row, level=0.90)["average"]
    assert _half(at_90) == pytest.approx(_half(stats.reported_interval(row)) * 1.6448536 / Z)
    assert stats.reported_interval({"average": 50.0}, questions=1) == (0.0, 100.0)
    with pytest.raises(ValueError, match="questions must be positive, got -3"):
        stats.reported_interval(row, questions=-3)


def test_verified_intervals_of_a_bootstrap_with_fewer_parts():
    """A stored bootstrap that holds only the Average's bounds, or a source without its cells."""
    assert stats.verified_intervals({"bootstrap": {"low": 60.0, "high": 70.0}}) == {
        "average": (60.0, 70.0), "subtasks": {}, "sources": {}}
    only_source = {"bootstrap": {"low": 60.0, "high": 70.0, "sources": {"VisA": {"average": [50.0, 65.0]}}}}
    assert stats.verified_intervals(only_source)["sources"] == {"VisA": {"average": (50.0, 65.0), "subtasks": {}}}


def test_a_row_with_one_bound_only_spans_every_rank():
    for lows, highs in (([78, None, 50], [82, 72, 54]), ([78, 68, 50], [82, None, 54])):
        ranks = stats.rank_ranges([80, 70, 52], lows, highs)
        assert (ranks.best, ranks.worst, ranks.separable_pairs) == ([1, 1, 2], [2, 3, 3], 0)
