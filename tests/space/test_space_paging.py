"""A long board: the table is shown a page at a time, on the page and in the API (every row reachable, none
twice); the Charts picker lists the best of a long selection; a download is written once per table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from space import render
from space.ranking import ALL_ENTRIES
from space.storage import LocalStore
from space.ui import callbacks
from space.ui.callbacks import BoardApp

PAGE = 30


@pytest.fixture
def app(settings, monkeypatch) -> BoardApp:
    monkeypatch.setattr(callbacks, "MAX_PAGE_ROWS", PAGE)
    return BoardApp(settings, LocalStore(settings.store_dir), None)


def _page(app: BoardApp, page=None, focus: str = ""):
    table, note, detail, _, control = app.refresh_table(show=ALL_ENTRIES, focus=focus, page=page)
    column = table.value["headers"].index(render.ID_COLUMN)
    ids = [row[column] for row in table.value["data"]]
    return ids, note, detail, control


def test_the_table_turns_pages_and_reaches_every_row_once(app):
    everything = app.leaderboard_api(show=ALL_ENTRIES, limit=PAGE)["total"]
    pages = -(-everything // PAGE)
    assert everything > 2 * PAGE  # the bundled board has enough rows for three pages or more
    seen = []
    for page in range(1, pages + 1):
        ids, note, _, control = _page(app, page)
        assert len(ids) == min(PAGE, everything - (page - 1) * PAGE)
        assert f"Rows {(page - 1) * PAGE + 1:,}–{(page - 1) * PAGE + len(ids):,} of {everything:,} " \
               f"(page {page} of {pages})" in note
        assert (control.value, control.maximum, control.visible) == (page, pages, True)
        seen += ids
    assert len(seen) == len(set(seen)) == everything
    order = [row[app.leaderboard_api(show=ALL_ENTRIES)["headers"].index(render.ID_COLUMN)]
             for offset in range(0, everything, PAGE)
             for row in app.leaderboard_api(show=ALL_ENTRIES, offset=offset)["data"]]
    assert seen == order  # the page and the API walk the rows in the same order


def test_a_page_out_of_range_shows_the_nearest_one(app):
    last, _, _, control = _page(app, 10_000)
    assert control.value == control.maximum and last == _page(app, control.maximum)[0]
    assert _page(app, -3)[0] == _page(app, 1)[0]


def test_a_focused_row_opens_on_its_page_with_its_detail(app):
    everything = app.leaderboard_api(show=ALL_ENTRIES, offset=2 * PAGE, limit=1)
    target = everything["data"][0][everything["headers"].index(render.ID_COLUMN)]
    ids, _, detail, control = _page(app, focus=target)
    assert control.value == 3 and target in ids and detail != callbacks.DETAIL_PLACEHOLDER
    ids, _, detail, _ = _page(app, 1, focus=target)  # the visitor turned to page 1: no detail of a row not shown
    assert target not in ids and detail == callbacks.DETAIL_PLACEHOLDER


def test_a_short_table_has_no_page_control(app, monkeypatch):
    monkeypatch.setattr(callbacks, "MAX_PAGE_ROWS", 10_000)
    ids, note, _, control = _page(app)
    assert control.visible is False and "(page " not in note and len(ids) > PAGE


def test_the_radar_picker_lists_the_best_of_a_long_selection_and_says_so(app, monkeypatch):
    monkeypatch.setattr(callbacks, "PICKER_LIMIT", 5)
    _, _, picker, line = app.charts("", "All sources", ALL_ENTRIES, "Average", None, None, None, None, None, None,
                                    None, True, None, None)
    listed = [value for _, value in picker.choices]
    entries = [r for r in app.current("", "All sources", ALL_ENTRIES, None, None, None, None, None, None, None,
                                      True).rows if r.status != "reference"]
    best = sorted(entries, key=lambda r: -(r.average or 0))[:5]
    assert listed == [r.id for r in best] and picker.value == listed[:4]
    assert f"({len(entries)} entries)" in line and "picker lists the 5 best" in line


def test_a_download_is_served_again_while_its_file_exists_and_rewritten_when_pruned(tmp_path):
    exports = callbacks.Exports(tmp_path / "exports")
    table = pd.DataFrame({"model": ["a", "b"], "average": [1.5, None]})
    first = exports.write(table, "json")
    assert exports.write(table, "json") == first and json.loads(Path(first).read_text()) == [
        {"model": "a", "average": 1.5}, {"model": "b", "average": None}]
    for i in range(callbacks.Exports.KEEP + 3):  # other views' downloads push it out of the folder
        exports.write(pd.DataFrame({"model": [f"m{i}"]}), "csv")
    assert not Path(first).exists()
    again = exports.write(table, "json")
    assert again == first and Path(again).exists()  # written again, under its content's name
    assert json.loads(Path(again).read_text())[1] == {"model": "b", "average": None}
    changed = table.assign(average=[2.5, None])  # the next generation's table: a file of its own
    assert exports.write(changed, "json") != again


def test_an_answer_comes_from_one_generation_when_another_instance_commits_while_it_is_built(app, monkeypatch):
    """Its rows, its line ("Showing N entries…") and its snapshot id describe the same board."""
    import dataclasses

    from board_entries import verified

    from space.snapshot import snapshot_id

    before = app.board.rows
    newcomer = dataclasses.replace(verified(name="Newcomer", average=99.0), id="20991231T000000Z-00000000ff")
    real_current, calls = app.board.current, []

    def current() -> int:
        calls.append(1)
        if len(calls) == 2:  # another instance's commit lands while the first answer is being built
            app.board.verified = [*app.board.verified, newcomer]
            app.board.generation += 1
        return real_current()

    monkeypatch.setattr(app.board, "current", current)
    first = app.leaderboard_api(show=ALL_ENTRIES)
    assert f"Showing {first['total']} entries" in first["note"] and first["snapshot"] == snapshot_id(before)
    again = app.leaderboard_api(show=ALL_ENTRIES)  # the next answer shows the commit
    assert again["total"] == first["total"] + 1 and f"Showing {again['total']} entries" in again["note"]
    assert again["snapshot"] == snapshot_id(app.board.rows) != first["snapshot"]
