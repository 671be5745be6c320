"""Requests answered from the rows prepared once per store generation show exactly what computing
everything per request shows, and a change of the store (this instance's submission, another
instance's, a re-score) reaches the next answer."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from board_entries import BUNDLED, row, verified

from space import ranking, render
from space.prepared import Prepared, display_values
from space.ranking import ALL_ENTRIES, STATED_ONLY, Filters

def stored(row_id: str, **kwargs) -> ranking.Row:
    return dataclasses.replace(verified(**kwargs), id=row_id)


ROWS = [*BUNDLED, row(id="twin-a", model="Twin", average=71.0), row(id="twin-b", model="Twin", average=71.004),
        row(id="tied", model="Tied", average=70.996), row(id="big", model="Big", size="72B", type="API"),
        row(id="trained", model="Trained", training_exposure="MMAD questions"),
        stored("v-mine", name="Mine", average=80.0), stored("v-partial", name="Partial", coverage=90.0),
        stored("v-demo", name="Demo", synthetic=True), stored("v-tie", name="Tie", average=80.001)]
FILTERS = [Filters(), Filters(show=ALL_ENTRIES), Filters(search="twin"), Filters(search="qwen 7b", show=ALL_ENTRIES),
           Filters(search="no such model"), Filters(sizes=("> 40B",), show=ALL_ENTRIES), Filters(types=("API",)),
           Filters(show_reference=False), Filters(exposures=("MMAD questions",), show=ALL_ENTRIES),
           Filters(search="gpt", sizes=("unknown",)), Filters(show=STATED_ONLY),
           Filters(show=STATED_ONLY, search="qwen", show_reference=False)]


@pytest.mark.parametrize(("filters", "view"), itertools.product(FILTERS, ranking.VIEWS))
def test_prepared_views_equal_views_computed_per_request(filters, view):
    prepared = Prepared(ROWS)
    expected = ranking.board_view(ROWS, filters, view)
    shown = prepared.view(filters, view)
    assert ([r.id for r in shown.rows], shown.ranks, shown.view, shown.matched_before_search, shown.hidden) == (
        [r.id for r in expected.rows], expected.ranks, expected.view, expected.matched_before_search, expected.hidden)
    assert shown.ranges == expected.ranges and prepared.separable(shown) == expected.separable()
    for sort_by in ("Average", "Strict avg", "Defect Cls."):
        assert [r.id for r in prepared.ordered(shown, sort_by)] == [r.id for r in ranking.ordered(expected, sort_by)]
        records = render.table_records(shown, prepared.ordered(shown, sort_by), prepared.record)
        assert records == render.table_records(expected, ranking.ordered(expected, sort_by))
        assert [prepared.shown(r, shown) for r in records] == [display_values(r) for r in records]


def test_ranks_of_a_large_view_count_the_rows_strictly_above():
    rows = [row(id=f"r{i}", model=f"M{i}", average=50 + (i % 97) / 7) for i in range(2000)]
    averages = {r.id: round(r.average, 2) for r in rows}
    ranks = ranking.ranks(rows)
    assert all(ranks[i] == 1 + sum(other > a for other in averages.values()) for i, a in list(averages.items())[:50])


@pytest.mark.parametrize("ranked", [True, False])
def test_a_new_generation_renders_what_changed(ranked):
    """A new ranked row moves the rows below it: the view is rendered again; a new unranked row
    (here: another key's demo result) changes no other cell, which are then taken over as they were."""
    first = Prepared(ROWS)
    board = first.view(Filters(show=ALL_ENTRIES))
    before = {r.id: first.record(r, board) for r in board.rows}
    added = stored("v-new", name="New", average=99.0, synthetic=not ranked)
    second = Prepared([*ROWS, added], first)
    after_board = second.view(Filters(show=ALL_ENTRIES))
    after = {r.id: second.record(r, after_board) for r in after_board.rows}
    assert after["v-new"]["Rank"].split()[0] == ("1" if ranked else "demo")  # "1 (1–42)": it has no interval
    for row in after_board.rows:
        assert after[row.id] == render.display_record(row, after_board)
        if row.id in before:
            assert (after[row.id] is before[row.id]) is not ranked


def test_memo_answers_once_per_key():
    prepared, calls = Prepared(ROWS), []
    for key in ("a", "a", "b", "a"):
        prepared.memo((key,), lambda: calls.append(1) or len(calls))
    assert len(calls) == 2


def test_each_constant_of_a_generation_is_computed_once_and_kept_under_its_own_name():
    prepared, calls = Prepared(ROWS), []
    answers = [prepared.constant(name, lambda name=name: calls.append(name) or f"value of {name}")
               for name in ("counts", "picker", "counts", "picker")]
    assert answers == ["value of counts", "value of picker"] * 2 and calls == ["counts", "picker"]


@pytest.mark.parametrize("view", ranking.VIEWS)
def test_a_rescored_row_is_ranked_and_found_by_its_new_numbers_in_the_next_generation(view):
    """Rows are rebuilt as new objects when their entry changes (same id): the next generation ranks, filters
    and searches them by their new values, never by what an earlier generation computed for that id."""
    first = Prepared(ROWS)
    for filters in FILTERS:
        first.view(filters, view)
    changed = {"v-mine": stored("v-mine", name="Renamed", average=12.0),
               "twin-a": row(id="twin-a", model="Twin", average=99.0, size="7B", type="API")}
    rows = [changed.get(r.id, r) for r in ROWS]
    second = Prepared(rows, first)
    for filters in FILTERS:
        expected = ranking.board_view(rows, filters, view)
        shown = second.view(filters, view)
        assert ([r.id for r in shown.rows], shown.ranks, shown.ranges, shown.hidden) == (
            [r.id for r in expected.rows], expected.ranks, expected.ranges, expected.hidden)
    assert second.view(Filters(search="renamed", show=ALL_ENTRIES), view).rows[0].model == "Renamed"


def test_memo_keeps_the_most_recently_used_answers():
    prepared, computed = Prepared(ROWS), []

    def answer(key: int) -> int:
        return prepared.memo((key,), lambda: computed.append(key) or key)

    for key in range(Prepared.MEMO):
        answer(key)
    answer(0)  # used again: now the most recent
    answer(Prepared.MEMO)  # one too many: the least recently used (1) goes
    computed.clear()
    for key in (0, *range(2, Prepared.MEMO + 1)):
        assert answer(key) == key
    assert computed == []  # all still kept
    answer(1)
    assert computed == [1]


def test_the_snapshot_digests_only_the_rows_that_changed_since_the_last_generation(monkeypatch):
    from space import prepared as prepared_module
    from space.snapshot import row_digest, snapshot_id

    digested = []
    monkeypatch.setattr(prepared_module, "row_digest", lambda r: digested.append(r.id) or row_digest(r))
    first = Prepared(ROWS)
    assert first.snapshot() == first.snapshot() == snapshot_id(ROWS) and len(digested) == len(ROWS)
    changed = [stored("v-mine", name="Mine", average=79.0) if r.id == "v-mine" else r for r in ROWS]
    digested.clear()
    second = Prepared(changed, first)
    assert second.snapshot() == snapshot_id(changed) != first.snapshot() and digested == ["v-mine"]
    digested.clear()
    third = Prepared(changed, second)
    assert third.snapshot() == second.snapshot() and digested == []


def test_a_board_that_was_empty_shows_the_snapshot_of_its_first_rows():
    from space.snapshot import snapshot_id

    empty = Prepared([])
    assert empty.snapshot() == snapshot_id([])
    assert Prepared(ROWS, Prepared([], empty)).snapshot() == snapshot_id(ROWS)


def test_a_page_names_runs_of_one_model_as_the_whole_table_does_and_formats_each_row_once(monkeypatch):
    from space.prepared import Table

    prepared = Prepared(ROWS)
    board = prepared.view(Filters(show=ALL_ENTRIES))
    order = prepared.ordered(board)
    table = Table(prepared, board, order, "")
    whole = render.table_records(board, order)
    formatted = []
    real = render.display_record
    monkeypatch.setattr(render, "display_record", lambda r, b: formatted.append(r.id) or real(r, b))
    pages = [record for start in range(len(order)) for record in table.records(start, 1)]  # one row a page
    assert pages == whole
    assert sorted(r["Model"] for r in pages if r["Model"].startswith("[Twin]")) == [
        "[Twin](https://e.org/m) · *a*", "[Twin](https://e.org/m) · *b*"]  # each alone on its page
    assert sorted(formatted) == sorted(r.id for r in order)
    formatted.clear()
    assert table.records(0, len(order)) == whole and formatted == []  # served from the prepared records
