"""The board's rows prepared once per change of the store, so a request only selects and slices.

`ranking.board_view` and `render.table` recompute everything for every call: which rows have
numbers in the view, their ranks, each row's filter fields and search text, sort keys, display
cells. With 10,000 stored submissions that is most of a second per request. `Prepared` computes
them once per board generation (`populate.Board.current`) and per view, lazily, and answers with
the same `View`, order and cells as those functions (tests/space/test_space_prepared.py checks it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from . import intervals, render
from .intervals import Interval
from .ranking import (ALL_ENTRIES, NUMBER_COLUMNS, OVERALL, PERCENT_COLUMNS, STATED_ONLY, VIEWS, Filters, Row, View,
                      numbers, ordered, ranks_of, search_text, size_bucket)
from .snapshot import row_digest, snapshot_id


def _filter_fields(row: Row) -> tuple:
    """What `ranking.matches` looks at, in the order `_passes` reads it."""
    return (bool(row.presumed), row.status == "reference", row.comparable, size_bucket(row.size), row.type,
            row.setting, row.training_exposure, row.measured_by, row.protocol, row.coverage)


def _passes(fields: tuple, allowed: tuple, filters: Filters, show: str) -> bool:
    """`ranking.matches(row, filters, search=False)` on prepared fields, with `show` for `filters.show`."""
    if show == STATED_ONLY and fields[0]:
        return False
    if fields[1]:
        return filters.show_reference
    if show != ALL_ENTRIES and not fields[2]:
        return False
    return all(value in chosen for value, chosen in zip(fields[3:], allowed))


@dataclass(frozen=True)
class _Facts:
    """What a view needs of one row (`_ViewCache`), kept for the next generations while the row is the same
    object (a reload rebuilds only the rows of changed entries): after another instance's submission, a
    view of 10,000 rows re-ranks them without reading each row's numbers again."""

    row: Row
    average: float | None
    interval: Interval | None  # ranked rows only
    ranked: bool
    fields: tuple
    haystack: str


def _facts(row: Row, view: str) -> _Facts:
    nums = numbers(row, view)
    ranked = row.ranked and nums.average is not None
    return _Facts(row, nums.average, nums.interval if ranked else None, ranked, _filter_fields(row), search_text(row))


def _still_valid(rows: Sequence[Row], previous: Prepared | None) -> dict[tuple[str, str], _Facts]:
    """The facts of earlier generations about rows that are still the same objects (no stale row is kept)."""
    if previous is None:
        return {}
    current = {row.id: row for row in rows}
    return {key: facts for key, facts in {**previous._earlier_facts, **previous._facts}.items()
            if current.get(key[1]) is facts.row}


def display_values(record: dict[str, Any]) -> dict[str, Any]:
    """A record's cells as the API's `display` shows them (numbers and interval bounds with two decimals,
    rank bounds as they are)."""
    return {c: render.fixed(v, "%" if c in PERCENT_COLUMNS else "")
            if c in NUMBER_COLUMNS or c in render.CI_BOUNDS else v for c, v in record.items()}


def _take_over(old: _ViewCache | None, new: _ViewCache) -> None:
    """Copy into `new` the display cells of `old` for the rows that did not change (the same `Row`
    objects), when the view's ranked rows did not change either: a cell may depend on the whole
    ranking (the rank, a rank range), so a new ranked row renders the view again."""
    if old is None or old.board.ranks != new.board.ranks or old.board.ranges != new.board.ranges:
        return
    before = {row.id: row for row in old.board.rows}
    if any(before.get(row.id) is not row for row in new.board.rows if row.id in new.board.ranks):
        return
    for row in new.board.rows:
        if before.get(row.id) is row and row.id in old.records:
            new.records[row.id] = old.records[row.id]
            if row.id in old.shown:
                new.shown[row.id] = old.shown[row.id]


@dataclass
class _ViewCache:
    """One view's rows with numbers, their ranks and rank ranges, the averages and intervals of the ranked
    rows, filter fields, search texts, orders and cells."""

    board: View
    fields: list[tuple]
    haystacks: list[str]
    estimates: dict[str, tuple[float, Interval | None]]
    orders: dict[str, list[Row]] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    shown: dict[str, dict[str, Any]] = field(default_factory=dict)


class Prepared:
    """Everything per row that does not depend on a request, for one generation of the board.

    `previous`: the last generation's; display cells of rows that did not change are taken over
    while the ranking did not change (`_take_over`), so that, e.g., a submission that is not ranked
    does not re-render 10,000 rows.
    `memo` keeps the last few whole answers (a generation's answers never change), `constant` what
    every answer of the generation shares (the header's counts, the snapshot id)."""

    MEMO = 16

    def __init__(self, rows: Sequence[Row], previous: Prepared | None = None) -> None:
        self.rows = list(rows)
        self._views: dict[str, _ViewCache] = {}
        self._previous = dict(previous._views) if previous is not None else {}
        self._memo: OrderedDict[tuple, Any] = OrderedDict()
        self._constants: dict[str, Any] = {}
        self._digests: dict[str, tuple[Row, str]] = {}  # row id → (row, `snapshot.row_digest`)
        self._earlier_digests = (previous._digests or previous._earlier_digests) if previous is not None else {}
        self._facts: dict[tuple[str, str], _Facts] = {}  # (view, row id) → facts, this generation's
        self._earlier_facts = _still_valid(self.rows, previous)
        self._lock = threading.Lock()

    def _cache(self, view: str) -> _ViewCache:
        with self._lock:
            if view not in self._views:
                present = [f for f in (self._row_facts(row, view) for row in self.rows) if f.average is not None]
                ranked = [f for f in present if f.ranked]
                ids = [f.row.id for f in ranked]
                board = View([f.row for f in present], ranks_of([(f.row.id, f.average) for f in ranked]), view,
                             len(present), ranges=intervals.rank_ranges(ids, [f.average for f in ranked],
                                                                       [f.interval for f in ranked]))
                cache = _ViewCache(board, [f.fields for f in present], [f.haystack for f in present],
                                   {f.row.id: (f.average, f.interval) for f in ranked})
                _take_over(self._previous.pop(view, None), cache)
                self._views[view] = cache
            return self._views[view]

    def _row_facts(self, row: Row, view: str) -> _Facts:
        """A row's facts in a view, from an earlier generation when the row did not change (`_still_valid`);
        call under the lock, once per view and row (`_cache` builds each view once)."""
        key = (view, row.id)
        known = self._earlier_facts.get(key) or _facts(row, view)
        self._facts[key] = known
        return known

    def memo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """`compute()`, or its value from an earlier call with the same key in this generation."""
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        value = compute()
        with self._lock:
            self._memo[key] = value
            while len(self._memo) > self.MEMO:
                self._memo.popitem(last=False)
        return value

    def constant(self, name: str, compute: Callable[[], Any]) -> Any:
        """`compute()` once per generation (never evicted, unlike `memo`)."""
        with self._lock:
            if name in self._constants:
                return self._constants[name]
        value = compute()
        with self._lock:
            return self._constants.setdefault(name, value)

    def snapshot(self) -> str:
        """`snapshot.snapshot_id(self.rows)`, digesting only the rows that changed since the last generation."""
        def compute() -> str:
            found = snapshot_id(self.rows, self._digest)
            self._earlier_digests = {}  # every row's digest is in `_digests` now
            return found
        return self.constant("snapshot", compute)

    def _digest(self, row: Row) -> str:
        """A row's digest, from the last generation while it is the same row (called once per row: the snapshot
        is a constant of the generation)."""
        known = self._earlier_digests.get(row.id)
        if known is None or known[0] is not row:
            known = (row, row_digest(row))
        self._digests[row.id] = known
        return known[1]

    def view(self, filters: Filters = Filters(), view: str = OVERALL) -> View:
        """`ranking.board_view(self.rows, filters, view)`, from the prepared fields."""
        view = view if view in VIEWS else OVERALL
        cache = self._cache(view)
        allowed = tuple(frozenset(values) for values in (
            filters.sizes, filters.types, filters.settings, filters.exposures, filters.measured_by,
            filters.protocols, filters.coverages))
        needles = filters.search.lower().split()
        everything = filters.show == ALL_ENTRIES
        shown, matched, hidden = [], 0, 0
        for row, fields, haystack in zip(cache.board.rows, cache.fields, cache.haystacks):
            hit = all(needle in haystack for needle in needles)
            if _passes(fields, allowed, filters, filters.show):
                matched += 1
                if hit:
                    shown.append(row)
            elif not everything and hit and not fields[2] and _passes(fields, allowed, filters, ALL_ENTRIES):
                hidden += 1
        return View(shown, cache.board.ranks, view, matched, hidden, cache.board.ranges)

    def separable(self, board: View) -> tuple[int, int]:
        """`board.separable()`: (separable, all) adjacent pairs among the ranked rows shown, from the
        view's prepared averages and intervals."""
        cache = self._cache(board.view)
        shown = [cache.estimates[row.id] for row in board.rows if row.id in board.ranks]
        return intervals.separable_pairs([a for a, _ in shown], [i for _, i in shown])

    def ordered(self, board: View, sort_by: str = "Average") -> list[Row]:
        """`ranking.ordered(board, sort_by)`: the view's whole order, sorted once, kept to the shown rows."""
        cache = self._cache(board.view)
        with self._lock:
            if sort_by not in cache.orders:
                cache.orders[sort_by] = ordered(cache.board, sort_by)
            order = cache.orders[sort_by]
        ids = {row.id for row in board.rows}
        return [row for row in order if row.id in ids]

    def record(self, row: Row, board: View) -> dict[str, Any]:
        """`render.display_record(row, board)`, computed once per row and view (do not change it)."""
        cache = self._cache(board.view)
        found = cache.records.get(row.id)
        if found is None:
            found = cache.records[row.id] = render.display_record(row, cache.board)
        return found

    def shown(self, record: dict[str, Any], board: View) -> dict[str, Any]:
        """`display_values(record)`, once per row and view unless the record was changed for this table."""
        cache = self._cache(board.view)
        row_id = record[render.ID_COLUMN]
        if cache.records.get(row_id) is not record:
            return display_values(record)
        found = cache.shown.get(row_id)
        if found is None:
            found = cache.shown[row_id] = display_values(record)
        return found


@dataclass(frozen=True)
class Table:
    """The board's table for one set of controls (`space.ui.callbacks.BoardApp._table`): the shown rows in
    order and the line above them. Display records are made per page (`records`), so a request for 500 of
    10,000 rows formats 500."""

    prepared: Prepared
    shown: View
    order: list[Row]
    line: str

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {row.id: i for i, row in enumerate(self.order)}

    @cached_property
    def _repeated(self) -> dict[str, str]:
        return render.repeated_runs(self.order)

    def position(self, row_id: str) -> int | None:
        """Where a row is in the table (None: not shown)."""
        return self._positions.get(row_id)

    def records(self, start: int, count: int) -> list[dict]:
        """The display records of rows `start` to `start + count` (runs of one model told apart over the whole
        table, so a page names them as the whole table would)."""
        return render.table_records(self.shown, self.order[start:start + count], self.prepared.record,
                                    repeated=self._repeated)
