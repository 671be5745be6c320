"""The board's model: rows, filters, views and ranks. Pure: no files, no network, no display.

Rows are built from entries in `space/populate.py`; they are shown by `space/render.py` (tables,
markdown) and `space/charts.py` (figures).

Ranking rules (stated on the About tab too):
- only `taxonomy.comparable()` entries are ranked; reference lines, synthetic demo results and
  non-comparable entries are shown unranked, each visibly marked;
- ranks come from the averages rounded to the displayed 2 decimals, so equal numbers share a rank;
- ranks are computed on the whole view (overall or one source) before filters and search, so
  narrowing the table never renumbers it;
- each ranked row also gets its range of plausible ranks from the 95% intervals (`space/intervals.py`),
  and rows no adjacent separable pair splits share a tie band.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from mmad_dataset import SOURCES, SUBTASKS

from . import intervals, taxonomy
from .intervals import Interval, RowIntervals

OVERALL = "All sources"
VIEWS: tuple[str, ...] = (OVERALL, *SOURCES)
SIZE_BUCKETS: tuple[str, ...] = ("≤ 10B", "10–40B", "> 40B", "unknown")
TYPES: tuple[str, ...] = ("open", "API", "industrial-specialised")
COMPARABLE_ONLY = "comparable only (default)"
#: Comparable rows none of whose comparability fields the board presumes (`taxonomy.presumptions`).
STATED_ONLY = "comparability: stated only"
ALL_ENTRIES = "all entries"
SHOW_CHOICES: tuple[str, ...] = (COMPARABLE_ONLY, STATED_ONLY, ALL_ENTRIES)
#: What the Rank column says for rows that are shown but not ranked.
UNRANKED_MARK = {"reference": "ref", "synthetic": "demo", "other": "—"}

SHORT_TITLES: dict[str, str] = {
    "anomaly_discrimination": "Anomaly Disc.", "defect_classification": "Defect Cls.",
    "defect_localization": "Defect Loc.", "defect_description": "Defect Desc.",
    "defect_analysis": "Defect Anal.", "object_classification": "Object Cls.",
    "object_analysis": "Object Anal.",
}
SUBTASK_COLUMNS: tuple[str, ...] = tuple(SHORT_TITLES[s] for s in SUBTASKS)
ACCURACY_COLUMNS = frozenset({*SUBTASK_COLUMNS, "Average", "Strict avg", "Overkill", "Miss"})
PERCENT_COLUMNS = frozenset({"Answered"})
NUMBER_COLUMNS = ACCURACY_COLUMNS | PERCENT_COLUMNS
SORT_CHOICES: tuple[str, ...] = ("Average", "Strict avg", *SUBTASK_COLUMNS)


# --- rows ---------------------------------------------------------------------------------------

@dataclass
class Row:
    """One board entry, whatever its origin, with the taxonomy fields that decide whether it is ranked."""

    id: str
    model: str
    status: str                      # "reported", "reference" or "verified"
    average: float | None
    subtasks: dict[str, float]
    setting: str = ""
    protocol: str = ""
    coverage: str = ""
    training_exposure: str = ""
    measured_by: str = ""
    setting_detail: str = ""
    protocol_detail: str = ""
    coverage_detail: str = ""
    training_detail: str = ""
    quantisation: str = ""
    quantisation_detail: str = ""
    basis: dict[str, dict] = field(default_factory=dict)  # reported: stated or presumed, per comparability field
    link: str = ""
    model_version: str = ""
    size: str | None = None
    type: str = ""
    run_note: str = ""
    notes: str = ""
    flags: list[str] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)       # who published this run (reported entries)
    by_source: dict[str, dict] = field(default_factory=dict)  # numbers per MMAD source (DS-MVTec, …)
    detection: dict[str, float] = field(default_factory=dict)
    strict_average: float | None = None
    strict_by_source: dict[str, dict] = field(default_factory=dict)
    answered: float | None = None    # verified: % of the questions answered
    categories: dict[str, dict] = field(default_factory=dict)  # verified: the scorer's per-category breakdown
    synthetic: bool = False          # verified against the synthetic demo key
    caveats: list[str] = field(default_factory=list)  # verified: why its score cannot rank (the key)
    hedging: str = ""                # verified: official far above strict (replies the strict protocol cannot read)
    scored_on: str = ""              # verified, not on this board's full key: what it was scored against
    scorer: str = ""
    submitted: str = ""
    updated: str = ""
    uncertainty: RowIntervals = field(default_factory=RowIntervals)  # computed once, when the row is built

    def taxonomy_fields(self) -> dict[str, str]:
        """The fields `taxonomy.comparable` and `taxonomy.why_not_comparable` read."""
        return {"setting": self.setting, "protocol": self.protocol, "coverage": self.coverage,
                "training_exposure": self.training_exposure, "protocol_detail": self.protocol_detail,
                "coverage_detail": self.coverage_detail}

    @property
    def kind(self) -> str:
        """reference / synthetic / unverified / verified / reported: what the Status column and the charts say.

        "verified" only for a score checked against this board's full answer key; a result scored on any
        other key (a subset, a synthetic root, another key's hash, no key here) is "unverified"."""
        if self.status == "reference":
            return "reference"
        if self.synthetic:
            return "synthetic"
        return "unverified" if self.status == "verified" and self.scored_on else self.status

    @cached_property
    def comparable(self) -> bool:
        """Belongs in the default view (reference lines always do; they are just never ranked). Cached, like
        `presumed`: a row is not changed once built, and every view and request asks."""
        return self.status == "reference" or (taxonomy.comparable(self.taxonomy_fields()) and not self.caveats
                                               and not self.hedging)

    @cached_property
    def presumed(self) -> dict[str, str]:
        """Comparability field → why the board presumes its value (empty: every value is stated)."""
        return taxonomy.presumptions({"basis": self.basis})

    def marked(self, name: str) -> str:
        """A comparability value as a cell shows it: followed by the presumption mark when presumed."""
        value = getattr(self, name) or "–"
        return f"{value} {taxonomy.PRESUMED_MARK}" if name in self.presumed else value

    @property
    def ranked(self) -> bool:
        return self.kind in ("verified", "reported") and self.comparable

    def not_ranked_because(self) -> list[str]:
        """Why a row shown on the board has no rank (empty when it is ranked), the real cause first: what
        the score was computed against, then what was run (coverage, setting, …), then hedged replies
        (a 40-question run is "subset" before it is "hedged")."""
        if self.status == "reference":
            return ["reference line"]
        reasons = [*self.caveats, *taxonomy.why_not_comparable(self.taxonomy_fields())]
        if self.synthetic:
            reasons.insert(0, "scored against the synthetic demo key, not MMAD")
        return reasons + ([self.hedging] if self.hedging else [])


def params_billions(size: str | None) -> float | None:
    """'7B' → 7.0, '1.5B' → 1.5, '500M' → 0.5; None when unknown."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([BbMm])?\s*", size or "")
    if not match:
        return None
    value = float(match.group(1))
    return value / 1000 if (match.group(2) or "B").upper() == "M" else value


def size_bucket(size: str | None) -> str:
    value = params_billions(size)
    if value is None:
        return "unknown"
    return "≤ 10B" if value <= 10 else "10–40B" if value <= 40 else "> 40B"


DETECTION_FIELDS = ("recall", "precision", "f1", "overkill", "miss")


def detection_of(official: Mapping[str, Any]) -> dict[str, float]:
    return {k: official[k] for k in DETECTION_FIELDS if isinstance(official.get(k), (int, float))}


# --- filtering --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """The board's controls; the defaults are the default view (comparable entries, all of them)."""

    search: str = ""
    show: str = COMPARABLE_ONLY
    sizes: Sequence[str] = SIZE_BUCKETS
    types: Sequence[str] = TYPES
    settings: Sequence[str] = taxonomy.SETTINGS
    exposures: Sequence[str] = taxonomy.TRAINING_EXPOSURES
    measured_by: Sequence[str] = taxonomy.MEASURED_BY
    protocols: Sequence[str] = taxonomy.PROTOCOLS
    coverages: Sequence[str] = taxonomy.COVERAGES
    show_reference: bool = True


def matches(row: Row, filters: Filters, *, search: bool = True) -> bool:
    """Whether a row passes the controls (`search=False`: every control but the search box)."""
    if search and not _search_hit(row, filters.search):
        return False
    if filters.show == STATED_ONLY and row.presumed:
        return False
    if row.status == "reference":
        return filters.show_reference
    if filters.show != ALL_ENTRIES and not row.comparable:
        return False
    return (size_bucket(row.size) in filters.sizes and row.type in filters.types
            and row.setting in filters.settings and row.training_exposure in filters.exposures
            and row.measured_by in filters.measured_by and row.protocol in filters.protocols
            and row.coverage in filters.coverages)


def search_text(row: Row) -> str:
    """What the search box looks in, lowercased."""
    return " ".join([row.id, row.model, row.model_version, row.notes, row.run_note, row.setting,
                     row.setting_detail, row.type, row.measured_by, *row.flags,
                     *(str(s.get("title", "")) for s in row.sources)]).lower()


def _search_hit(row: Row, search: str) -> bool:
    haystack = search_text(row)
    return all(needle in haystack for needle in search.lower().split())


def filter_rows(rows: Iterable[Row], filters: Filters) -> list[Row]:
    return [row for row in rows if matches(row, filters)]


# --- views and ranks ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Numbers:
    """One row's numbers in one view (overall, or one MMAD source), with their 95% intervals where known
    (looked up on first use: most callers want only the average)."""

    average: float | None
    subtasks: Mapping[str, float]
    strict: float | None
    detection: Mapping[str, float]
    uncertainty: RowIntervals = RowIntervals()
    view: str = OVERALL

    @cached_property
    def interval(self) -> Interval | None:
        return intervals.average_interval(self.uncertainty.official, self.view, OVERALL)

    @cached_property
    def subtask_intervals(self) -> Mapping[str, Interval]:
        return intervals.subtask_intervals(self.uncertainty.official, self.view, OVERALL)

    @cached_property
    def strict_interval(self) -> Interval | None:
        return intervals.average_interval(self.uncertainty.strict, self.view, OVERALL)


def numbers(row: Row, view: str) -> Numbers:
    if view == OVERALL:
        return Numbers(row.average, row.subtasks, row.strict_average, row.detection, row.uncertainty, view)
    per_source = row.by_source.get(view) or {}
    return Numbers(per_source.get("average"), per_source.get("subtasks", {}),
                   (row.strict_by_source.get(view) or {}).get("average"),
                   per_source.get("anomaly_detection") or detection_of(per_source), row.uncertainty, view)


def rank_ranges(rows: Iterable[Row], view: str = OVERALL) -> intervals.Ranges:
    """Best/worst plausible ranks and tie bands of the ranked rows with numbers in this view, from their intervals."""
    scored = [(row.id, nums.average, nums.interval) for row in rows if row.ranked
              for nums in [numbers(row, view)] if nums.average is not None]
    return intervals.rank_ranges([i for i, _, _ in scored], [a for _, a, _ in scored], [c for _, _, c in scored])


def ranks(rows: Iterable[Row], view: str = OVERALL) -> dict[str, int]:
    """Row id → rank among the ranked rows with numbers in this view; equal at 2 decimals = equal rank."""
    return ranks_of([(row.id, average) for row in rows if row.ranked
                     for average in [numbers(row, view).average] if average is not None])


def ranks_of(averages: Sequence[tuple[str, float]]) -> dict[str, int]:
    """Row id → rank, from the (id, average) of the ranked rows of a view (`ranks`)."""
    scored = [(row_id, round(float(average), 2)) for row_id, average in averages]
    descending = sorted((-value for _, value in scored))
    return {row_id: 1 + bisect.bisect_left(descending, -value) for row_id, value in scored}


def group(row: Row) -> int:
    """Display order of the groups: ranked rows with reference lines, then demo rows, then the rest."""
    if row.ranked or row.status == "reference":
        return 0
    return 1 if row.synthetic and row.comparable else 2


@dataclass(frozen=True)
class View:
    """What the board shows: rows with numbers in `view` passing the filters, and the view's ranks."""

    rows: list[Row]
    ranks: dict[str, int]
    view: str
    matched_before_search: int
    hidden: int = 0  # entries the same filters and search would show with "all entries", not comparable
    ranges: intervals.Ranges = intervals.Ranges({}, {})

    def rank_text(self, row: Row) -> str:
        """"4" when the row's rank is certain, "4 (3–7)" with its range of plausible ranks otherwise."""
        if row.id in self.ranks:
            best, worst = self.ranges.ranks.get(row.id, (0, 0))
            return f"{self.ranks[row.id]} ({best}–{worst})" if best != worst else str(self.ranks[row.id])
        return UNRANKED_MARK["reference" if row.status == "reference" else "synthetic" if row.synthetic else "other"]

    def separable(self) -> tuple[int, int]:
        """(separable, all) adjacent pairs among the ranked rows shown, ordered by average."""
        shown = [numbers(row, self.view) for row in self.rows if row.id in self.ranks]
        return intervals.separable_pairs([n.average for n in shown], [n.interval for n in shown])


def board_view(rows: Sequence[Row], filters: Filters = Filters(), view: str = OVERALL) -> View:
    """Ranks on the whole view first, then the filters, then the search (so neither renumbers)."""
    view = view if view in VIEWS else OVERALL
    present = [row for row in rows if numbers(row, view).average is not None]
    filtered = [row for row in present if matches(row, filters, search=False)]
    everything = replace(filters, show=ALL_ENTRIES)
    hidden = 0 if filters.show == ALL_ENTRIES else sum(
        1 for row in present if not row.comparable and matches(row, everything))
    return View([row for row in filtered if _search_hit(row, filters.search)], ranks(present, view), view,
                len(filtered), hidden, rank_ranges(present, view))


def cell_number(column: str, row: Row, nums: Numbers) -> float | None:
    """The value of a numeric column for a row in a view."""
    if column == "Average":
        return nums.average
    if column == "Strict avg":
        return nums.strict
    if column == "Answered":
        return row.answered
    if column in ("Overkill", "Miss"):
        return nums.detection.get(column.lower())
    subtask = next(s for s, title in SHORT_TITLES.items() if title == column)
    return nums.subtasks.get(subtask)


def ordered(board: View, sort_by: str = "Average") -> list[Row]:
    """Groups first, then the chosen column (rows without a value last), ties broken by the average.

    Sorting by a column few rows have (Strict avg) keeps the others in average order, ranks unchanged.
    """
    column = sort_by if sort_by in NUMBER_COLUMNS else "Average"

    def key(row: Row) -> tuple:
        nums = numbers(row, board.view)
        chosen, average = cell_number(column, row, nums), nums.average
        return (group(row), chosen is None, -(chosen or 0.0), -(average or 0.0), row.model.casefold())
    return sorted(board.rows, key=key)


def counts(rows: Sequence[Row]) -> dict[str, int]:
    """The header's numbers: verified (on this board's full key), demo, scored on another key, reported,
    reference lines, ranked by default."""
    return {"verified": sum(r.kind == "verified" for r in rows), "synthetic": sum(r.kind == "synthetic" for r in rows),
            "unverified": sum(r.kind == "unverified" for r in rows),
            "reported": sum(r.kind == "reported" for r in rows), "reference": sum(r.kind == "reference" for r in rows),
            "ranked": sum(r.ranked for r in rows)}


def last_updated(rows: Iterable[Row]) -> str:
    stamps = [row.updated for row in rows if row.updated]
    return max(stamps) if stamps else "bundled reported results only"
