"""How sure a score is: intervals of reported and verified rows, and the rank ranges they imply.

The board and the CLI use these; the method is written out as formulas in docs/scoring.md
("Uncertainty"). Standard library at import; numpy only inside `rank_ranges`.

- Reported rows (numbers printed by a paper or README, no per-question answers):
  `reported_intervals(result)` gives a normal-approximation 95% interval for every printed number
  (Average, subtask averages, source averages, (source, subtask) cells) from the printed accuracies
  and the benchmark's question counts per (source, subtask) (`mmad_dataset.PAPER_COUNTS`; anomaly
  discrimination as balanced accuracy over `PAPER_NORMAL_AD` normal and the remaining abnormal
  questions), propagated through the official average (mean over sources of the mean over subtasks).
  Questions are assumed independent; pass `design_effect=DESIGN_EFFECT` to widen for image clustering.
- Verified rows (scored here): `verified_intervals(result)` reads the image-level bootstrap the scorer
  stored (eval/bootstrap.py) into the same shape.
- `rank_ranges(estimates, lows, highs)`: best and worst plausible rank of every row, and how many
  adjacent pairs of the ranking are separable.

The shared shape, `Intervals`, mirrors a stored result::

    {"average": Interval, "subtasks": {subtask: Interval},
     "sources": {source: {"average": Interval, "subtasks": {subtask: Interval}}}}

holding an entry only where the result holds a number. `Interval` is a (low, high) tuple in percent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any, NamedTuple

import mmad_dataset as mm

LEVEL = 0.95
AD = "anomaly_discrimination"
#: Variance inflation of the Average's sampling variance by the correlation of one image's
#: questions, measured by benchmarks/bench_stats.py (docs/scoring.md, "Design effect").
#: Multiply a variance by it, or a half-width by its square root; `reported_intervals` does the latter
#: when given `design_effect=DESIGN_EFFECT`. The default there is 1 (independent questions).
#: Measured for the Average; a single cell's questions mostly come from distinct images, so its own factor is nearer 1.
DESIGN_EFFECT = 1.6


class Interval(NamedTuple):
    """A confidence interval in percent; a plain (low, high) tuple (it serialises as [low, high])."""

    low: float
    high: float


Intervals = dict[str, Any]


def z_value(level: float = LEVEL) -> float:
    """The two-sided normal quantile: 1.95996... for 95%."""
    return NormalDist().inv_cdf((1 + level) / 2)


def _binomial_variance(accuracy: float, questions: float) -> float:
    """Variance of an accuracy in percent (accuracy in percent, clipped to [0, 100])."""
    p = min(max(accuracy / 100, 0.0), 1.0)
    return 1e4 * p * (1 - p) / questions


def _balanced_variance(normal: float, abnormal: float, n_normal: float, n_abnormal: float) -> float:
    """Variance of (normal accuracy + abnormal accuracy) / 2, in percent squared."""
    return (_binomial_variance(normal, n_normal) + _binomial_variance(abnormal, n_abnormal)) / 4


def _around(estimate: float, variance: float, design_effect: float, level: float) -> Interval:
    half = z_value(level) * math.sqrt(variance * design_effect)
    return Interval(max(estimate - half, 0.0), min(estimate + half, 100.0))


def cell_interval(accuracy: float, questions: float, *, design_effect: float = 1.0,
                  level: float = LEVEL) -> Interval:
    """One accuracy cell (percent) over `questions` independent questions: accuracy ± z·√(p(1−p)/n)·100.

    >>> cell_interval(80.0, 1000)  # doctest: +ELLIPSIS
    Interval(low=77.52..., high=82.47...)
    """
    return _around(accuracy, _binomial_variance(accuracy, questions), design_effect, level)


def balanced_interval(normal_accuracy: float, abnormal_accuracy: float, normal_questions: float,
                      abnormal_questions: float, *, design_effect: float = 1.0, level: float = LEVEL) -> Interval:
    """Anomaly discrimination's balanced accuracy (mean of the two class accuracies, in percent)."""
    variance = _balanced_variance(normal_accuracy, abnormal_accuracy, normal_questions, abnormal_questions)
    return _around((normal_accuracy + abnormal_accuracy) / 2, variance, design_effect, level)


def benchmark_counts(questions: float = mm.PAPER_TOTAL_QUESTIONS) -> dict[str, dict[str, float]]:
    """source → subtask → question count, plus "normal_ad" and "abnormal_ad", for the full benchmark
    (39,672 questions) or, scaled in proportion, for a subset of `questions` questions."""
    scale = questions / mm.PAPER_TOTAL_QUESTIONS
    counts: dict[str, dict[str, float]] = {}
    for source in mm.SOURCES:
        cells = {subtask: n * scale for subtask, n in mm.PAPER_COUNTS[source].items()}
        cells["normal_ad"] = mm.PAPER_NORMAL_AD[source] * scale
        cells["abnormal_ad"] = (mm.PAPER_COUNTS[source][AD] - mm.PAPER_NORMAL_AD[source]) * scale
        counts[source] = cells
    return counts


def _number(value: Any) -> float | None:
    """A printed number, None for anything else (null, a dash, a missing key)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _printed(table: Mapping[str, Any] | None, subtask: str) -> float | None:
    return _number(((table or {}).get("subtasks") or {}).get(subtask))


def _class_accuracies(table: Mapping[str, Any] | None, balanced: float) -> tuple[float, float]:
    """(normal, abnormal) accuracy of anomaly discrimination: from the printed detection columns
    (recall = abnormal accuracy, overkill = 100 − normal accuracy) where printed, else both taken
    equal to the balanced accuracy."""
    detection = (table or {}).get("anomaly_detection") or {}
    recall, overkill = _number(detection.get("recall")), _number(detection.get("overkill"))
    if recall is not None and overkill is not None:
        return 100 - overkill, recall
    return balanced, balanced


def _cell_variances(result: Mapping[str, Any], counts: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """source → subtask → variance of that cell, each cell's accuracy taken from the most specific
    number printed: the cell, else its subtask's average, else its source's average, else the Average."""
    sources = result.get("sources") or {}
    variances: dict[str, dict[str, float]] = {}
    for source in mm.SOURCES:
        table = sources.get(source)
        fallback = _number((table or {}).get("average"))
        fallback = float(result["average"]) if fallback is None else fallback
        cells: dict[str, float] = {}
        for subtask in mm.SUBTASKS:
            own = _printed(table, subtask)
            accuracy = own if own is not None else _printed(result, subtask)
            accuracy = fallback if accuracy is None else accuracy
            n = counts[source]
            if subtask == AD:
                normal, abnormal = _class_accuracies(table if own is not None else result, accuracy)
                cells[subtask] = _balanced_variance(normal, abnormal, n["normal_ad"], n["abnormal_ad"])
            else:
                cells[subtask] = _binomial_variance(accuracy, n[subtask])
        variances[source] = cells
    return variances


def reported_intervals(result: Mapping[str, Any], *, questions: float | None = mm.PAPER_TOTAL_QUESTIONS,
                       design_effect: float = 1.0, level: float = LEVEL) -> Intervals | None:
    """`Intervals` of a reported row's printed numbers; None when the size is unknown (`questions=None`)
    or nothing is printed.

    `result` has a stored entry's shape: {"average": float, "subtasks": {subtask: float},
    "sources": {source: {"average", "subtasks", "anomaly_detection": {"recall", "overkill"}}}}, any
    part but "average" optional. `questions` is the number of questions the row was measured on: the
    full benchmark by default, a subset's stated size (the per-cell counts are scaled in proportion),
    or None when a subset's size is not stated. Each interval is estimate ± z·√(design_effect·Var),
    Var propagated through the official average from every (source, subtask) cell (docs/scoring.md).
    """
    if questions is None or _number(result.get("average")) is None:
        return None
    if questions <= 0:
        raise ValueError(f"questions must be positive, got {questions!r}")
    variances = _cell_variances(result, benchmark_counts(questions))
    n_sources, n_subtasks = len(mm.SOURCES), len(mm.SUBTASKS)

    def around(estimate: Any, variance: float) -> Interval:
        return _around(float(estimate), variance, design_effect, level)

    out: Intervals = {"average": around(result["average"],
                                        sum(sum(v.values()) for v in variances.values()) / (n_sources * n_subtasks) ** 2),
                      "subtasks": {}, "sources": {}}
    for subtask in mm.SUBTASKS:
        value = _printed(result, subtask)
        if value is not None:
            out["subtasks"][subtask] = around(value, sum(v[subtask] for v in variances.values()) / n_sources ** 2)
    for source, table in (result.get("sources") or {}).items():
        if source not in variances:
            continue
        row: Intervals = {"subtasks": {}}
        if _number(table.get("average")) is not None:
            row["average"] = around(table["average"], sum(variances[source].values()) / n_subtasks ** 2)
        for subtask in mm.SUBTASKS:
            value = _printed(table, subtask)
            if value is not None:
                row["subtasks"][subtask] = around(value, variances[source][subtask])
        out["sources"][source] = row
    return out


def reported_interval(result: Mapping[str, Any], *, questions: float | None = mm.PAPER_TOTAL_QUESTIONS,
                      design_effect: float = 1.0, level: float = LEVEL) -> Interval | None:
    """The Average's interval of a reported row (see `reported_intervals`); None for an unknown size."""
    intervals = reported_intervals(result, questions=questions, design_effect=design_effect, level=level)
    return intervals["average"] if intervals else None


def verified_intervals(result: Mapping[str, Any]) -> Intervals | None:
    """`Intervals` of a scored result (one protocol's dict from `eval.score`), read from the
    image-level bootstrap it stores; None when it was scored without one."""
    boot = result.get("bootstrap")
    if not boot:
        return None
    sources = {source: {"average": Interval(*row["average"]),
                        "subtasks": {t: Interval(*pair) for t, pair in row.get("subtasks", {}).items()}}
               for source, row in boot.get("sources", {}).items()}
    return {"average": Interval(boot["low"], boot["high"]),
            "subtasks": {t: Interval(*pair) for t, pair in boot.get("subtasks", {}).items()},
            "sources": sources}


class RankRanges(NamedTuple):
    """Per input row (same order): best and worst plausible rank; and, over the rows sorted by
    estimate (highest first), how many of the adjacent pairs are separable."""

    best: list[int]
    worst: list[int]
    separable_pairs: int
    adjacent_pairs: int


def rank_ranges(estimates: Sequence[float], lows: Sequence[float | None],
                highs: Sequence[float | None]) -> RankRanges:
    """Best and worst plausible rank of each row from its interval, in O(n log n).

    Row j is statistically better than row i when low_j > high_i (the intervals do not overlap).
    best_i = 1 + #rows statistically better than i; worst_i = #rows not statistically worse than i
    (i itself included), so rows whose intervals overlap share ranks. A row without an interval
    (low or high None/NaN) counts as spanning everything: its range is 1..n and it separates nothing.
    An adjacent pair (by estimate, highest first) is separable when the upper row's low is above
    the lower row's high.

    >>> rank_ranges([80, 70, 69], [78, 68, 67], [82, 72, 71])
    RankRanges(best=[1, 2, 2], worst=[1, 3, 3], separable_pairs=1, adjacent_pairs=2)
    """
    import numpy as np

    n = len(estimates)
    if not n:
        return RankRanges([], [], 0, 0)
    low, high = np.array(lows, dtype=float), np.array(highs, dtype=float)  # None becomes NaN
    unknown = np.isnan(low) | np.isnan(high)
    low[unknown], high[unknown] = -np.inf, np.inf
    better = n - np.searchsorted(np.sort(low), high, side="right")  # rows with low_j > high_i
    worse = np.searchsorted(np.sort(high), low, side="left")  # rows with high_j < low_i
    order = np.argsort(-np.asarray(estimates), kind="stable")
    separable = int(np.count_nonzero(low[order[:-1]] > high[order[1:]]))
    return RankRanges((1 + better).tolist(), (n - worse).tolist(), separable, n - 1)
