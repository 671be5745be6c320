"""Board rows, comparability, ranks, tables, row detail and downloads, from hand-made entries and the
bundled reported results."""

from __future__ import annotations

import csv
import io

import pytest
from board_entries import BUNDLED, presumed_basis, row, verified

from mmad_dataset import SOURCES, SUBTASKS
from space import ranking, render, taxonomy
from space.ranking import ALL_ENTRIES, Filters

def ranks_of(frame) -> dict[str, str]:
    return dict(zip(frame["ID"], frame["Rank"]))


# --- rows from the schema ------------------------------------------------------------------------

def test_reported_row_carries_the_taxonomy_sources_and_notes():
    r = row(setting="+ other inputs", setting_detail="1-shot + soft prompt + heat map", run_note="second run",
            flags=["run quantised (AWQ)"], training_exposure="other industrial data", training_detail="MPDD")
    assert (r.setting, r.setting_detail, r.training_exposure, r.measured_by) == (
        "+ other inputs", "1-shot + soft prompt + heat map", "other industrial data", "benchmark authors")
    assert r.run_note == "second run" and r.flags == ["run quantised (AWQ)"]
    assert r.sources[0]["locator"] == "Table 2" and not r.ranked
    assert r.not_ranked_because() == ["setting + other inputs", "training exposure: other industrial data"]


def test_verified_row_is_scored_here_and_full_only_from_the_threshold():
    full = verified(coverage=100 * taxonomy.FULL_COVERAGE_MIN_SHARE)
    assert (full.measured_by, full.coverage, full.protocol) == ("scored here", "full", "official") and full.ranked
    partial = verified(coverage=100 * taxonomy.FULL_COVERAGE_MIN_SHARE - 0.5)
    assert partial.coverage == "subset" and not partial.ranked
    assert partial.not_ranked_because() == ["subset: 99.30% of the questions answered"]


@pytest.mark.parametrize(("declared", "expected", "ranked"), [
    ("none declared", "none declared", True), ("none", "none declared", True),
    ("MMAD questions or images", "MMAD questions", False), ("unknown", "unknown", False),
    ("something else", "unknown", False),
])
def test_verified_training_exposure_maps_onto_the_taxonomy(declared, expected, ranked):
    r = verified(exposure=declared)
    assert r.training_exposure == expected and r.ranked is ranked


def test_synthetic_demo_rows_are_labelled_and_never_ranked():
    demo = verified(synthetic=True, average=99.0)
    board = ranking.board_view([demo, row(average=60.0)])
    frame = render.table(board, columns=render.PRESETS["Provenance"])
    assert list(frame["Rank"]) == ["1", "demo"]  # the real row first and ranked, the demo row after it
    assert frame.iloc[1]["Status"] == "synthetic (demo)"
    assert "synthetic demo key" in frame.iloc[1]["Not ranked because"]


# --- comparability and ranks ------------------------------------------------------------------------

def test_default_view_shows_only_comparable_entries_and_all_entries_marks_the_rest():
    rows = [row(id="a", average=70.0), row(id="sub", average=90.0, coverage="subset", coverage_detail="99 images"),
            row(id="oth", average=85.0, protocol="other", protocol_detail="pooled accuracy"),
            row(id="rag", average=80.0, setting="+ domain knowledge"),
            row(id="ref", model="Human (expert)", average=86.65, status="reference")]
    default = render.table(ranking.board_view(rows), render.PRESETS["Provenance"])
    assert list(default["ID"]) == ["ref", "a"] and list(default["Rank"]) == ["ref", "1"]
    assert "Not ranked because" not in default.columns  # empty in every shown row: not shown
    everything = render.table(ranking.board_view(rows, Filters(show=ALL_ENTRIES)), render.PRESETS["Provenance"])
    assert list(everything["ID"]) == ["ref", "a", "sub", "oth", "rag"]
    assert list(everything["Rank"]) == ["ref", "1", "—", "—", "—"]
    reasons = dict(zip(everything["ID"], everything["Not ranked because"]))
    assert reasons["sub"] == "subset: 99 images" and reasons["oth"] == "other metric: pooled accuracy"
    assert reasons["rag"] == "setting + domain knowledge" and reasons["a"] == ""


def test_bundled_default_ranking_has_no_subset_other_protocol_or_trained_entry():
    board = ranking.board_view(BUNDLED)
    shown = [r for r in board.rows if r.status != "reference"]
    assert shown and all(r.coverage == "full" and r.protocol == "official" and r.setting in ("0-shot", "1-shot")
                         and r.training_exposure == "none declared" for r in shown)
    assert len({r.id for r in shown}) == len(shown)
    claude = next(r for r in BUNDLED if r.model.startswith("Claude"))
    assert claude not in board.rows and claude in ranking.board_view(BUNDLED, Filters(show=ALL_ENTRIES)).rows


def test_equal_averages_at_two_decimals_share_a_rank():
    rows = [row(id="a", average=75.004), row(id="b", average=74.996), row(id="c", average=70.0),
            row(id="d", average=76.0)]
    # a and b tie at 2 decimals; their intervals overlap, so each could be 2nd or 3rd
    assert ranks_of(render.table(ranking.board_view(rows))) == {"d": "1", "a": "2 (2–3)", "b": "2 (2–3)", "c": "4"}


def test_search_and_filters_do_not_renumber_ranks():
    rows = [row(id="a", model="Alpha-7B", average=80.0), row(id="b", model="Beta-72B", size="72B", average=70.0),
            row(id="c", model="Gamma-7B", average=60.0)]
    searched = ranking.board_view(rows, Filters(search="gamma"))
    assert ranks_of(render.table(searched)) == {"c": "3"} and searched.matched_before_search == 3
    big = ranking.board_view(rows, Filters(sizes=["> 40B"]))
    assert ranks_of(render.table(big)) == {"b": "2"}


def test_sorting_by_a_column_few_rows_have_keeps_rank_order_for_the_rest():
    rows = [row(id=f"r{i}", average=50.0 + i) for i in range(6)] + [verified(average=52.5)]
    frame = render.table(ranking.board_view(rows), sort_by="Strict avg")
    assert frame.iloc[0]["ID"] == "20260102T000000Z-0123456789"  # the only row with a strict average
    rest = frame.iloc[1:]
    assert [rank.split()[0] for rank in rest["Rank"]] == ["1", "2", "3", "5", "6", "7"]  # 52.50 holds rank 4
    assert list(rest["Average"]) == sorted(rest["Average"], reverse=True)


def test_per_source_view_ranks_by_that_source_and_drops_rows_without_numbers():
    per_source = {src: {"average": 50.0 + i, "subtasks": {s: 50.0 + i for s in SUBTASKS}}
                  for i, src in enumerate(SOURCES)}
    with_sources = row(id="s", average=60.0, result={"average": 60.0, "subtasks": {s: 60.0 for s in SUBTASKS},
                                                     "sources": per_source})
    frame = render.table(ranking.board_view([with_sources, row(id="plain")], view="VisA"))
    assert list(frame["ID"]) == ["s"] and frame.iloc[0]["Average"] == per_source["VisA"]["average"]


def test_filters_on_taxonomy_fields():
    rows = [row(id="a"), row(id="z", setting="0-shot", measured_by="third party", type="API", size=None)]
    assert [r.id for r in ranking.filter_rows(rows, Filters(settings=["0-shot"]))] == ["z"]
    assert [r.id for r in ranking.filter_rows(rows, Filters(measured_by=["benchmark authors"]))] == ["a"]
    assert [r.id for r in ranking.filter_rows(rows, Filters(types=["API"], sizes=["unknown"]))] == ["z"]
    trained = row(id="t", training_exposure="MMAD questions")
    assert ranking.filter_rows([trained], Filters(show=ALL_ENTRIES, exposures=["MMAD questions"])) == [trained]
    assert ranking.filter_rows([trained], Filters(exposures=["MMAD questions"])) == []


# --- display -------------------------------------------------------------------------------------

def test_numbers_show_two_decimals_and_answered_share_a_percent_sign():
    frame = render.table(ranking.board_view([row(average=75.0), verified(coverage=99.9)]), render.PRESETS["Subtasks"])
    shown = render.styled(frame).to_html()
    assert ">75.00<" in shown and ">80.00<" in shown and ">99.90%<" in shown and ">75<" not in shown
    assert ">–<" in shown  # a reported row has no strict average


def test_the_sorted_column_and_the_rank_basis_are_marked_and_a_focused_row_is_highlighted():
    frame = render.table(ranking.board_view([row(id="a", average=75.0), row(id="b", average=70.0)]),
                         sort_by="Defect Loc.")
    assert render.headers(frame, "Defect Loc.")[:3] == ["Rank (by Average)", "Model", "Average"]
    assert "Defect Loc. ▼" in render.headers(frame, "Defect Loc.") and "Average ▼" in render.headers(frame)
    html = render.styled(frame, "Average", highlight="b").to_html()
    assert "Average ▼" in html and html.count(render.HIGHLIGHT.split(";")[0]) == 1
    assert render.plural(1, "entry", "entries") == "1 entry" and render.plural(0, "entry", "entries") == "0 entries"


def test_user_text_renders_inert_in_markdown_cells():
    r = verified(name="<script>alert(1)</script> [x](javascript:alert(1)) **b**", link="javascript:alert(1)")
    cell = render.table(ranking.board_view([r]))["Model"].iloc[0]
    assert "<script>" not in cell and "](javascript" not in cell and "**" not in cell
    assert render.safe_url("javascript:alert(1)") is None
    linked = render.table(ranking.board_view([verified(link="https://e.org/a b)")]))["Model"].iloc[0]
    assert linked.endswith("(https://e.org/a%20b%29)")
    assert render.escape_markdown("the CSV's #3") == "the CSV's \\#3"  # no broken &#x27; entity


def test_default_columns_are_the_overview_and_empty_columns_are_left_out():
    frame = render.table(ranking.board_view([row()]))
    assert list(frame.columns) == ["Rank", "Model", "Average", "95% CI", "Size", "Setting",
                                   *ranking.SUBTASK_COLUMNS, "ID"]
    unknown_size = render.table(ranking.board_view([row(size=None)]))
    assert "Size" not in unknown_size.columns and "Average" in unknown_size.columns
    detection = render.table(ranking.board_view([row(), verified()]), render.PRESETS["Detection"])
    assert {"Overkill", "Miss"} <= set(detection.columns)
    assert "Overkill" not in render.table(ranking.board_view([row()]), render.PRESETS["Detection"]).columns
    picked = render.table(ranking.board_view([row()]), columns=["Defect Loc.", "Average"])
    assert list(picked.columns) == ["Rank", "Model", "Average", "Defect Loc.", "ID"]


def test_row_detail_lists_sources_notes_reasons_and_per_source_numbers():
    r = row(id="emit", model="EMIT", setting="+ other inputs", setting_detail="1-shot + soft prompt + heat map",
            notes="Fine-tuned <b>twice</b>", run_note="the paper's run", flags=["subset run"],
            sources=[{"title": "EMIT paper", "kind": "third-party paper", "locator": "Table 3",
                      "link": "https://arxiv.org/abs/1", "measured": True, "average": 81.95, "precision": 2,
                      "confidence": "medium"},
                     {"title": "Survey", "kind": "third-party paper", "locator": "Table 9", "link": "",
                      "measured": False, "average": 82.0, "precision": 1, "confidence": "low"}])
    text = render.detail_markdown(r, ranking.board_view([r], Filters(show=ALL_ENTRIES)))
    assert "not ranked: setting + other inputs" in text and "1\\-shot + soft prompt + heat map" in text
    assert "Fine-tuned &lt;b&gt;twice&lt;/b&gt;" in text and "the paper&#x27;s run" not in text
    assert "| 1 | [EMIT paper](https://arxiv.org/abs/1) | third-party paper | Table 3 | measured" \
           " | medium | 81.95 |" in text
    assert "| 2 | Survey | third-party paper | Table 9 | copied | low | 82.0 |" in text
    assert "No per-source numbers" in text
    mine = verified()
    detail = render.detail_markdown(mine, ranking.board_view([mine]))
    assert "rank **1**" in detail and "| VisA | 79.00 |" in detail and "Answered:** 100.00%" in detail


# --- downloads -----------------------------------------------------------------------------------

def test_download_neutralises_formula_cells_and_keeps_every_field():
    evil = verified(name="=HYPERLINK(\"http://x\",\"y\")")
    frame = render.plain_table(ranking.board_view([evil, row(model="+cmd", notes="-1+2", id="@id")],
                                                     Filters(show=ALL_ENTRIES)))
    text = frame.to_csv(index=False)
    records = list(csv.DictReader(io.StringIO(text)))
    assert {r["model"] for r in records} == {"'=HYPERLINK(\"http://x\",\"y\")", "'+cmd"}
    assert {r["notes"] for r in records} == {"greedy decoding", "'-1+2"} and "'@id" in {r["id"] for r in records}
    assert records[0]["average"] == "80.0" and records[0]["sources"].startswith("submitted by u")
    assert {"setting", "protocol", "coverage", "training_exposure", "measured_by", "not_ranked_because",
            "run_note", "rank"} <= set(records[0])


def test_two_runs_of_one_model_say_which_run_they_are():
    runs = [row(id="gpt-4o-1-shot-mmad-paper", model="GPT-4o", average=74.92),
            row(id="gpt-4o-1-shot-mmad-csv", model="GPT-4o", average=74.31), row(id="other", model="Other")]
    models = list(render.table(ranking.board_view(runs))["Model"])
    assert models == ["[GPT-4o](https://e.org/m) · *paper*", "[GPT-4o](https://e.org/m) · *csv*",
                      "[Other](https://e.org/m)"]


def test_the_hidden_count_follows_the_search():
    """"Show all entries" is offered with the number of hidden entries that would then match."""
    rows = [row(id="a", model="Alpha-7B"), row(id="b", model="Beta-7B", setting="1-shot+"),
            row(id="c", model="Gamma-7B", coverage="subset", coverage_detail="99 images")]
    assert ranking.board_view(rows).hidden == 2
    assert ranking.board_view(rows, Filters(search="beta")).hidden == 1
    assert ranking.board_view(rows, Filters(search="zzqq")).hidden == 0
    assert ranking.board_view(rows, Filters(search="beta", show=ALL_ENTRIES)).rows[0].model == "Beta-7B"


# --- presumptions (issue 18) -----------------------------------------------------------------------

def test_presumed_values_are_marked_in_cells_flags_and_detail_and_still_ranked():
    presumed = row(id="p-1-shot", average=80.0, basis=presumed_basis(protocol="the paper does not say how it scored"))
    stated = row(id="s-1-shot", average=70.0)
    board = ranking.board_view([presumed, stated])
    frame = render.table(board, columns=[*render.DEFAULT_COLUMNS, "Protocol", "Coverage", "Flags"]).set_index("ID")
    assert list(frame["Rank"]) == ["1", "2"]  # the default ranking keeps the presumed row
    assert frame.loc["p-1-shot", "Protocol"] == f"official {taxonomy.PRESUMED_MARK}"
    assert frame.loc["p-1-shot", "Coverage"] == "full" and frame.loc["s-1-shot", "Protocol"] == "official"
    assert frame.loc["p-1-shot", "Flags"] == f"{taxonomy.PRESUMED_MARK} presumed: protocol"
    assert frame.loc["s-1-shot", "Flags"] == ""
    default = render.table(board).set_index("ID")  # the default preset has no Flags column: the name is marked
    assert default.loc["p-1-shot", "Model"].startswith(f"[Model-7B](https://e.org/m) {taxonomy.PRESUMED_MARK}")
    assert taxonomy.PRESUMED_MARK not in default.loc["s-1-shot", "Model"]
    detail = render.detail_markdown(presumed, board)
    assert "- **Protocol:** official · † *presumed:* the paper does not say how it scored" in detail
    assert "- **Setting:** 1\\-shot\n" in detail + "\n"
    download = render.plain_table(board).set_index("id")
    assert download.loc["p-1-shot", "presumed"] == "protocol: the paper does not say how it scored"


def test_stated_only_shows_comparable_rows_that_presume_nothing_and_keeps_their_ranks():
    rows = [row(id="p-1-shot", average=80.0, basis=presumed_basis(setting="the README and the script disagree")),
            row(id="s-1-shot", average=70.0), row(id="o-1-shot", average=90.0, protocol="other", protocol_detail="x")]
    stated = ranking.board_view(rows, Filters(show=ranking.STATED_ONLY))
    assert [r.id for r in stated.rows] == ["s-1-shot"] and stated.ranks["s-1-shot"] == 2  # ranks never renumber


def test_bundled_presumptions_are_marked_on_the_board():
    board = ranking.board_view(BUNDLED)
    frame = render.table(board, columns=[*render.DEFAULT_COLUMNS, "Protocol", "Quantisation", "Flags"]).set_index("ID")
    judo = frame.loc["gemini-2-5-pro-1-shot-judo"]
    assert judo["Rank"] == "1" and judo["Protocol"] == "official †"
    assert "presumed: protocol, coverage" in judo["Flags"]
    assert frame.loc["llava-next-34b-1-shot-mmad-paper", "Quantisation"] == "quantised †"
    assert frame.loc["qwen2-5-vl-3b-1-shot-hyco-iad-readme", "Setting"] == "1-shot †"
    stated = ranking.board_view(BUNDLED, Filters(show=ranking.STATED_ONLY))
    assert sum(r.ranked for r in stated.rows) == 35 - 13
    assert [r.model for r in stated.rows if r.status == "reference"] == ["Random chance"]  # the human rows presume
    assert "gemini-2-5-pro-1-shot-judo" not in {r.id for r in stated.rows}
