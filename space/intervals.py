"""How sure the board's numbers are: each row's intervals, the rank ranges and tie bands of a view,
and the unpaired difference of two rows. The statistics are `eval.stats`'; this module applies them
to rows (docs/scoring.md, "Uncertainty", has the formulas).

A row's intervals are found once, when the row is built (`of_reported` computes them at load,
`of_submission` keeps the bootstrap stored with its result), never per request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eval import stats
from eval.stats import Interval, Intervals
from mmad_dataset import PAPER_TOTAL_QUESTIONS

from . import taxonomy
from .index import averages

#: Why a row has no interval (shown in its cells and its detail).
REFERENCE = "reference line"
OTHER_PROTOCOL = "computed with another protocol (the interval's formula is the official average's)"
UNKNOWN_SIZE = "subset of unstated size"
NOT_STORED = "scored before intervals were stored (re-scoring adds one)"
#: What an interval cell says instead of a number.
SHORT = {REFERENCE: "–", OTHER_PROTOCOL: "other protocol", UNKNOWN_SIZE: "size unknown", NOT_STORED: "not stored"}


@dataclass(frozen=True)
class RowIntervals:
    """The intervals of one row under both protocols, and why there are none: `eval.stats.Intervals`, or a
    verified row's bootstraps as stored (read through `average_interval` and `subtask_intervals`)."""

    official: Intervals | None = None
    strict: Intervals | None = None
    missing_because: str = ""


def of_reported(entry: Mapping[str, Any]) -> RowIntervals:
    """A curated entry: the analytic interval from its printed numbers and the benchmark's counts (the
    whole benchmark, or the question count a subset states); none for reference lines, other protocols
    and subsets of unstated size."""
    if entry.get("status") == "reference":
        return RowIntervals(missing_because=REFERENCE)
    if entry.get("protocol") != taxonomy.OFFICIAL_PROTOCOL:
        return RowIntervals(missing_because=OTHER_PROTOCOL)
    full = entry.get("coverage") == taxonomy.FULL_COVERAGE
    questions = PAPER_TOTAL_QUESTIONS if full else entry.get("questions")
    official = stats.reported_intervals(entry["result"], questions=questions)
    return RowIntervals(official, None, "" if official else UNKNOWN_SIZE)


def of_submission(result: Mapping[str, Any]) -> RowIntervals:
    """A stored verified result: the image-level bootstrap it was scored with, for each protocol, kept as the
    scorer stores it (see `average_interval`: a board of 10,000 rows would otherwise build half a million
    intervals at start, to read a few). The strict protocol is shown by its averages only, so it keeps
    their intervals (as the summary index does: `space.index.summarize_result`)."""
    official = (result.get("official") or {}).get("bootstrap") or None
    strict = (result.get("strict") or {}).get("bootstrap") or None
    return RowIntervals(official, strict and averages(strict), "" if official else NOT_STORED)


def _part(intervals: Intervals | None, view: str, overall: str) -> Mapping[str, Any]:
    """The intervals of one view: overall, or one MMAD source's (empty when there are none)."""
    if not intervals:
        return {}
    return intervals if view == overall else (intervals.get("sources") or {}).get(view) or {}


def average_interval(intervals: Intervals | None, view: str, overall: str) -> Interval | None:
    """The 95% interval of a view's average. `intervals`: an `eval.stats.Intervals`, or a bootstrap as the
    scorer stores it, the same but for its overall bounds, `low` and `high` (`eval.stats.verified_intervals`)."""
    part = _part(intervals, view, overall)
    average = part.get("average")
    if average is None and "low" in part:
        average = (part["low"], part["high"])
    return None if average is None else Interval._make(average)


def subtask_intervals(intervals: Intervals | None, view: str, overall: str) -> dict[str, Interval]:
    """Subtask → the 95% interval of its accuracy in a view."""
    return {name: Interval._make(bounds)
            for name, bounds in (_part(intervals, view, overall).get("subtasks") or {}).items()}


# --- rank ranges and bands ------------------------------------------------------------------------

@dataclass(frozen=True)
class Ranges:
    """Row id → (best, worst) plausible rank and → tie band (0, 1, 2, … from the top): a band ends where
    an adjacent pair (by average) is separable, so the rows of one band are never told apart by their
    neighbours."""

    ranks: dict[str, tuple[int, int]]
    bands: dict[str, int]


def _bounds(intervals: Sequence[Interval | None]) -> tuple[list[float | None], list[float | None]]:
    return [i.low if i else None for i in intervals], [i.high if i else None for i in intervals]


def rank_ranges(ids: Sequence[str], estimates: Sequence[float], intervals: Sequence[Interval | None]) -> Ranges:
    """Best/worst ranks (`eval.stats.rank_ranges`) and tie bands of the ranked rows of a view."""
    lows, highs = _bounds(intervals)
    ranges = stats.rank_ranges(estimates, lows, highs)
    order = sorted(range(len(ids)), key=lambda i: -estimates[i])
    bands, band = {}, 0
    for before, index in zip([None, *order], order):
        if before is not None and _separable(intervals[before], intervals[index]):
            band += 1
        bands[ids[index]] = band
    return Ranges(dict(zip(ids, zip(ranges.best, ranges.worst))), bands)


def _separable(upper: Interval | None, lower: Interval | None) -> bool:
    """eval.stats' rule: the upper row's low above the lower row's high; a row without an interval never is."""
    return upper is not None and lower is not None and upper.low > lower.high


def separable_pairs(estimates: Sequence[float], intervals: Sequence[Interval | None]) -> tuple[int, int]:
    """(separable, all) adjacent pairs of these rows ordered by average."""
    lows, highs = _bounds(intervals)
    ranges = stats.rank_ranges(estimates, lows, highs)
    return ranges.separable_pairs, ranges.adjacent_pairs


# --- unpaired difference --------------------------------------------------------------------------

def unpaired_difference(a: float, a_interval: Interval, b: float, b_interval: Interval) -> Interval:
    """Interval of a − b for two independent estimates from their own intervals (Newcombe's MOVER:
    each side combines the matching half-widths in quadrature, so an asymmetric or clipped interval
    keeps its shape). For symmetric normal intervals it is (a − b) ± z·√(se_a² + se_b²)."""
    difference = a - b
    down = math.hypot(a - a_interval.low, b_interval.high - b)
    up = math.hypot(a_interval.high - a, b - b_interval.low)
    return Interval(difference - down, difference + up)
