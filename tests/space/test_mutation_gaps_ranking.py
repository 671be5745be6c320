"""The board's model where a visitor reads it: size buckets at their edges, what the search box finds,
each view's own numbers and ranks, the order of the groups and of a sorted column, why a row is not
ranked, and the header's counts."""

from __future__ import annotations

import dataclasses

import pytest
from board_entries import row, verified

from mmad_dataset import SUBTASKS
from space import intervals, populate, ranking, render
from space.ranking import ALL_ENTRIES, OVERALL, Filters

SIZES = {"7B": 7.0, "1.5b": 1.5, " 500M ": 0.5, "250m": 0.25, "13": 13.0, "": None, None: None, "large": None}


@pytest.mark.parametrize(("size", "billions"), SIZES.items())
def test_sizes_read_in_billions_with_m_for_millions_and_b_by_default(size, billions):
    assert ranking.params_billions(size) == billions


@pytest.mark.parametrize(("size", "bucket"), [("10B", "≤ 10B"), ("10.5B", "10–40B"), ("40B", "10–40B"),
                                              ("40.5B", "> 40B"), ("11000M", "10–40B"), ("?", "unknown")])
def test_size_buckets_include_their_upper_edge(size, bucket):
    made = row(size=size)
    assert ranking.size_bucket(size) == bucket
    assert ranking.filter_rows([made], Filters(sizes=[bucket])) == [made]


def test_the_search_finds_source_titles_and_nothing_the_row_does_not_say():
    titled = row(id="t", sources=[{"title": "Survey of Vision Models", "link": ""}])
    untitled = row(id="u", sources=[{"kind": "blog"}])
    assert [r.id for r in ranking.filter_rows([titled, untitled], Filters(search="survey"))] == ["t"]
    for needle in ("none", "xx", "source"):  # no placeholder text is searchable
        assert ranking.filter_rows([titled, untitled], Filters(search=needle)) == []


def _per_source_row(row_id: str, overall: float, visa: float, low: float, high: float) -> ranking.Row:
    """A reported row whose VisA numbers differ from its overall ones, with a VisA interval [low, high]."""
    subtasks = {s: visa + i for i, s in enumerate(SUBTASKS)}
    made = row(id=row_id, model=row_id, result={
        "average": overall, "subtasks": {s: overall for s in SUBTASKS},
        "sources": {"VisA": {"average": visa, "subtasks": subtasks,
                             "anomaly_detection": {"overkill": 3.0, "miss": 4.0}}}})
    made.uncertainty = intervals.RowIntervals({
        "average": intervals.Interval(overall - 0.1, overall + 0.1), "subtasks": {},
        "sources": {"VisA": {"average": intervals.Interval(low, high), "subtasks": {}}}})
    return made


def test_a_source_view_has_its_own_numbers_interval_ranks_and_rank_ranges():
    first, second = _per_source_row("a", 80.0, 50.0, 49.0, 51.0), _per_source_row("b", 70.0, 60.0, 50.5, 61.0)
    visa = ranking.numbers(first, "VisA")
    assert (visa.average, dict(visa.subtasks), dict(visa.detection)) == (
        50.0, {s: 50.0 + i for i, s in enumerate(SUBTASKS)}, {"overkill": 3.0, "miss": 4.0})
    assert visa.interval == intervals.Interval(49.0, 51.0) and visa.view == "VisA"
    board = ranking.board_view([first, second], view="VisA")
    assert {r.id: board.rank_text(r) for r in board.rows} == {"b": "1 (1–2)", "a": "2 (1–2)"}
    assert board.separable() == (0, 1)
    overall = ranking.board_view([first, second], view="Nowhere")  # an unknown view falls back to all sources
    assert overall.view == OVERALL and {r.id: overall.rank_text(r) for r in overall.rows} == {"a": "1", "b": "2"}
    assert overall.separable() == (1, 1)


def test_a_verified_rows_source_view_has_its_strict_average_and_detection():
    mine = verified(average=80.0)
    visa = ranking.numbers(mine, "VisA")
    assert visa.strict is None and dict(visa.detection) == {"overkill": 12.0, "miss": 8.0}
    with_strict = dataclasses.replace(mine, strict_by_source={"VisA": {"average": 71.5}})
    assert ranking.numbers(with_strict, "VisA").strict == 71.5
    assert ranking.numbers(with_strict, "MVTec-LOCO").strict is None


def test_separable_pairs_count_only_the_ranked_rows_shown():
    tight = [_per_source_row(name, average, average, average - 0.2, average + 0.2)
             for name, average in (("a", 80.0), ("b", 70.0))]
    odd = _per_source_row("odd", 75.0, 75.0, 74.8, 75.2)
    odd = dataclasses.replace(odd, coverage="subset", coverage_detail="9 images", uncertainty=odd.uncertainty)
    board = ranking.board_view([*tight, odd], Filters(show=ALL_ENTRIES))
    assert [r.id for r in board.rows] == ["a", "b", "odd"] and board.separable() == (1, 1)


def test_a_view_without_rank_ranges_shows_bare_ranks():
    made = row(id="a")
    assert ranking.View([made], {"a": 3}, OVERALL, 1).rank_text(made) == "3"


def test_the_hidden_count_is_zero_when_every_entry_is_shown():
    rows = [row(id="a"), row(id="sub", coverage="subset", coverage_detail="9 images")]
    assert ranking.board_view(rows).hidden == 1
    assert ranking.board_view(rows, Filters(show=ALL_ENTRIES)).hidden == 0


def _ids(board: ranking.View, sort_by: str = "Average") -> list[str]:
    return [r.id for r in ranking.ordered(board, sort_by)]


def test_groups_order_ranked_rows_then_comparable_demo_rows_then_the_rest():
    rows = [row(id="ranked", average=40.0), row(id="other", average=90.0, coverage="subset", coverage_detail="x"),
            dataclasses.replace(verified(name="Demo", average=60.0, synthetic=True), id="demo"),
            dataclasses.replace(verified(name="Part", average=95.0, coverage=50.0, synthetic=True), id="part-demo"),
            dataclasses.replace(verified(name="Key", average=99.0), id="other-key", scored_on="another key")]
    board = ranking.board_view(rows, Filters(show=ALL_ENTRIES))
    assert _ids(board) == ["ranked", "demo", "other-key", "part-demo", "other"]


def test_sorting_by_a_column_reads_that_column_and_an_unknown_column_sorts_by_average():
    def subtasks(first: float, second: float) -> dict:
        return {s: [first, second][i] if i < 2 else 50.0 for i, s in enumerate(SUBTASKS)}

    rows = [row(id="a", average=60.0, result={"average": 60.0, "subtasks": subtasks(10.0, 90.0)}),
            row(id="b", average=50.0, result={"average": 50.0, "subtasks": subtasks(90.0, 10.0)}),
            row(id="c", average=70.0, result={"average": 70.0, "subtasks": subtasks(10.0, 10.0)})]
    board = ranking.board_view(rows)
    assert _ids(board, "Anomaly Disc.") == ["b", "c", "a"]  # c and a tie: the higher average first
    assert _ids(board, "Defect Cls.") == ["a", "c", "b"]
    assert _ids(board, "Model") == _ids(board, "nonsense") == _ids(board) == ["c", "a", "b"]
    record = render.display_record(rows[0], board)
    assert [record[column] for column in ranking.SUBTASK_COLUMNS] == [10.0, 90.0, *[50.0] * 5]


def test_a_zero_sorts_below_a_small_number_and_answered_sorts_verified_rows():
    rows = [row(id="zero", average=0.0, result={"average": 0.0, "subtasks": {s: 5.0 for s in SUBTASKS}}),
            row(id="small", average=0.5, result={"average": 0.5, "subtasks": {s: 5.0 for s in SUBTASKS}}),
            row(id="none", average=0.25, result={"average": 0.25, "subtasks": {s: 0.0 for s in SUBTASKS}})]
    board = ranking.board_view(rows)
    assert _ids(board, "Anomaly Disc.") == ["small", "zero", "none"]
    assert _ids(board) == ["small", "none", "zero"]
    full, most = (dataclasses.replace(verified(name=n, average=a, coverage=c), id=n)
                  for n, a, c in (("full", 70.0, 100.0), ("most", 80.0, 99.9)))
    assert _ids(ranking.board_view([most, full]), "Answered") == ["full", "most"]


def _hedged(**changes) -> ranking.Row:
    """A verified row whose strict average is far below its official one (replies the strict protocol cannot read)."""
    result = {"official": {"average": 80.0, "subtasks": {s: 80.0 for s in SUBTASKS}, "coverage": 100.0},
              "strict": {"average": 60.0}}
    metadata = {"model_name": "Hedger", "setting": "1-shot", "training_exposure": "none declared", "user": "u",
                "submitted_at": "2026-01-02T00:00:00Z", "model_type": "open", **changes}
    return populate.row_from_submission("hedged", metadata, result)


def test_why_a_row_is_not_ranked_puts_the_real_cause_first_and_hedging_last():
    hedged = _hedged(setting="k-shot")
    assert hedged.not_ranked_because() == ["setting k-shot", hedged.hedging]
    assert hedged.hedging.startswith("official average 20.00 points above strict")
    demo = dataclasses.replace(verified(synthetic=True, coverage=50.0), caveats=["scored on another key"])
    assert demo.not_ranked_because() == ["scored against the synthetic demo key, not MMAD", "scored on another key",
                                         "subset: 50.00% of the questions answered"]
    reference = row(id="ref", model="Human (expert)", status="reference", setting="")
    download = render.plain_table(ranking.board_view([reference]))
    assert list(download["not_ranked_because"]) == ["reference line"]


def test_a_value_the_entry_leaves_empty_shows_a_dash():
    frame = render.table(ranking.board_view([row(id="r"), verified()]), ["Quantisation"]).set_index("ID")
    assert frame.loc["r", "Quantisation"] == "not stated" and frame.loc[verified().id, "Quantisation"] == "–"


def test_the_header_counts_each_kind_of_entry_and_the_ranked_ones():
    rows = [verified(), verified(synthetic=True), dataclasses.replace(verified(), scored_on="another key"),
            row(id="a"), row(id="b", coverage="subset", coverage_detail="x"),
            row(id="ref", status="reference", model="Human (expert)")]
    assert ranking.counts(rows) == {"verified": 1, "synthetic": 1, "unverified": 1, "reported": 2, "reference": 1,
                                    "ranked": 2}


def test_last_updated_is_the_latest_scoring_time_or_says_there_is_none():
    stamps = [dataclasses.replace(verified(), updated=s) for s in ("2026-01-03T00:00:00Z", "2026-02-01T00:00:00Z")]
    assert ranking.last_updated([row(), *stamps]) == "2026-02-01T00:00:00Z"
    assert ranking.last_updated([row()]) == "bundled reported results only"


def test_a_source_with_only_its_average_sorts_last_by_a_subtask_and_shows_no_subtask_numbers():
    bare = row(id="bare", result={"average": 70.0, "subtasks": {s: 70.0 for s in SUBTASKS},
                                  "sources": {"VisA": {"average": 90.0}}})
    full = _per_source_row("full", 60.0, 50.0, 49.0, 51.0)
    board = ranking.board_view([bare, full], view="VisA")
    assert _ids(board, "Anomaly Disc.") == ["full", "bare"]
    assert dict(ranking.numbers(bare, "VisA").subtasks) == {}
    assert [render.display_record(bare, board)[c] for c in ranking.SUBTASK_COLUMNS] == [None] * 7
