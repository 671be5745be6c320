"""The snapshot id a paper cites ("MMAD board, snapshot 3f9c2a1b7d"): the same for the same rows on every
replica, after every restart and in every release that leaves the rows alone; different after any change."""

from __future__ import annotations

import dataclasses

import pytest

from eval.stats import Interval
from space.intervals import RowIntervals
from space.ranking import Row
from space.snapshot import row_digest, snapshot_id


def _rows() -> list[Row]:
    return [Row(id="paper-gpt-4o", model="GPT-4o", status="reported", average=74.9,
                subtasks={"anomaly_discrimination": 68.63, "defect_classification": 65.8}, flags=["presumed"]),
            Row(id="20260301T120000Z-0123456789", model="Mine", status="verified", average=61.25,
                subtasks={"anomaly_discrimination": 58.5}, notes="ünïcode notes", size="7B",
                uncertainty=RowIntervals(official={"average": Interval(59.1, 63.4)}))]


def test_the_id_of_unchanged_rows_is_the_one_cited_before():
    """Pinned: a change of the digest would change every citation's id (make it on purpose, and say so)."""
    assert [row_digest(row)[:12] for row in _rows()] == ["40a9defd5902", "ba654bef72f3"]
    assert snapshot_id(_rows()) == "c8720f5fd6"


def test_the_id_does_not_depend_on_the_order_the_rows_were_loaded_in():
    assert snapshot_id(list(reversed(_rows()))) == snapshot_id(_rows())


@pytest.mark.parametrize("change", [{"average": 61.26}, {"notes": "unicode notes"}, {"size": None},
                                    {"uncertainty": RowIntervals(official={"average": Interval(59.1, 63.5)})},
                                    {"uncertainty": RowIntervals(missing_because="no interval")},
                                    {"id": "20260301T120000Z-0123456788"}, {"flags": ["stated"]}])
def test_any_change_of_a_row_changes_the_id(change):
    first, second = _rows()
    assert snapshot_id([first, dataclasses.replace(second, **change)]) != snapshot_id([first, second])
