"""The board's rendering where a visitor reads it: the row-detail panel line by line, the Sources cell, the
shading of tie bands and of a focused row, the columns a table keeps, the download's fields, and the
escaping of every piece of user text."""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import re

import pandas as pd
import pytest
from board_entries import presumed_basis, row, verified

from mmad_dataset import SUBTASKS
from space import intervals, ranking, render
from space.intervals import Interval
from space.ranking import ALL_ENTRIES, OVERALL, Filters

PER_SOURCE_TABLE = ("| Source | Average | 95% CI | Anomaly Disc. | Defect Cls. | Defect Loc. | Defect Desc. | "
                    "Defect Anal. | Object Cls. | Object Anal. |\n|---|---|---|---|---|---|---|---|---|---|\n")


def _mine() -> ranking.Row:
    """A verified row with a version, an average and two subtask intervals, and a VisA interval."""
    mine = dataclasses.replace(verified(name="Mine [v2]", average=80.0), model_version="2024-05 *beta*")
    mine.uncertainty = intervals.RowIntervals({
        "average": Interval(79.0, 81.25),
        "subtasks": {SUBTASKS[0]: Interval(70.0, 90.0), SUBTASKS[2]: Interval(60.5, 99.5)},
        "sources": {"VisA": {"average": Interval(77.0, 80.5), "subtasks": {}}}})
    return mine


def _source_rows(interval: str) -> str:
    return "".join(f"| {source} | 79.00 | {interval if source == 'VisA' else 'not stored'} |" + " 79.00 |" * 7 + "\n"
                   for source in ("DS-MVTec", "MVTec-LOCO", "VisA", "GoodsAD"))


def test_the_detail_of_a_verified_row_line_by_line():
    mine = _mine()
    board = ranking.board_view([mine, row(id="other", model="Other", average=79.5)])
    assert render.detail_markdown(mine, board) == (
        "### [Mine \\[v2\\]](https://e.org/m)\n"
        "✓ verified · rank **1** in All sources (plausible ranks 1–2 at 95%) · "
        "average **80.00%** (All sources) · "
        f"id `{mine.id}` · [link to this row](?row={mine.id})\n\n"
        "- **95% interval of the average:** 79.00–81.25 (image-level bootstrap of the stored predictions)\n"
        "- **95% intervals per subtask:** Anomaly Disc. 70.00–90.00 · Defect Loc. 60.50–99.50\n"
        "- **Setting:** 1\\-shot\n- **Protocol:** official\n- **Coverage:** full\n"
        "- **Training exposure:** none declared\n- **Measured by:** scored here\n- **Size:** 7B\n- **Type:** open\n"
        "- **Model version:** 2024\\-05 \\*beta\\*\n- **Submitted by:** u on 2026-01-02\n"
        "- **Answered:** 100.00% of the questions · **strict average:** 78.00%\n"
        "- **Scored with:** 1\\.0.0 · key abababababab · data rev\n\n"
        "**Run note:** –\n\n**Notes:** greedy decoding\n\n**Flags:** none\n\n"
        "#### Numbers per MMAD source (accuracy, %)\n\n"
        + PER_SOURCE_TABLE + _source_rows("77.00–80.50").rstrip("\n"))


def test_the_detail_in_a_source_view_reads_that_sources_numbers_and_interval():
    mine = _mine()
    visa = ranking.board_view([mine, row(id="other", model="Other", average=79.5)], view="VisA")
    lines = render.detail_markdown(mine, visa).splitlines()
    assert lines[1] == ("✓ verified · rank **1** in VisA (separated from every other ranked row at 95%) · average "
                        f"**79.00%** (VisA) · id `{mine.id}` · [link to this row](?row={mine.id})")
    assert lines[2:4] == ["", "- **95% interval of the average:** 77.00–80.50 (image-level bootstrap of the stored "
                              "predictions)"]
    assert lines[4] == "- **Setting:** 1\\-shot"  # no subtask intervals stored for VisA: no such line


def test_the_detail_of_a_reported_row_with_partial_sources_and_no_interval():
    sources = [{"title": "Paper", "kind": "paper table", "locator": "Table 2", "link": "https://e.org/p",
                "measured": True, "average": 70.123, "precision": 1, "confidence": "high"},
               {"kind": "blog", "link": "javascript:x", "average": None},
               {"title": "Sheet", "measured": False, "average": 70.0}]
    reported = row(id="rep", model="Rep", average=70.0, sources=sources, coverage="subset", coverage_detail="",
                   setting="k-shot", quantisation="quantised", quantisation_detail="AWQ", size=None)
    text = render.detail_markdown(reported, ranking.board_view([reported], Filters(show=ALL_ENTRIES)))
    assert text == (
        "### [Rep](https://e.org/m)\n"
        "reported · not ranked: subset: part of the benchmark; setting k-shot · average **70.00%** (All sources) · "
        "id `rep` · [link to this row](?row=rep)\n\n"
        "- **95% interval:** none (subset of unstated size)\n"
        "- **Setting:** k-shot\n- **Protocol:** official\n- **Coverage:** subset\n"
        "- **Training exposure:** none declared\n- **Quantisation:** quantised (AWQ)\n"
        "- **Measured by:** benchmark authors\n- **Size:** –\n- **Type:** open\n\n"
        "**Run note:** –\n\n**Notes:** –\n\n**Flags:** none\n\n"
        "#### Sources (primary first)\n\n| # | Source | Kind | Locator | Own run? | Conf. | As printed |\n"
        "|---|---|---|---|---|---|---|\n"
        "| 1 | [Paper](https://e.org/p) | paper table | Table 2 | measured | high | 70.1 |\n"
        "| 2 | source | blog |  | – |  | – |\n"
        "| 3 | Sheet |  |  | copied |  | 70.00 |\n\n"
        "_No per-source numbers were published for this entry._")


def test_a_reported_rows_interval_says_how_it_was_computed_and_an_old_result_why_it_has_none():
    reported = row(id="rep", average=70.0)
    text = render.detail_markdown(reported, ranking.board_view([reported]))
    assert "(analytic, from the printed numbers and the benchmark's question counts; questions assumed " \
           "independent)\n" in text.replace("&#x27;", "'")
    assert "- **95% intervals per subtask:** Anomaly Disc. " in text
    old = dataclasses.replace(verified(), uncertainty=intervals.RowIntervals())
    assert "- **95% interval:** none (scored before intervals were stored \\(re-scoring adds one\\))" in \
        render.detail_markdown(old, ranking.board_view([old]))


def test_a_rank_without_a_range_reads_as_separated():
    made = row(id="a")
    assert "rank **2** in All sources (separated from every other ranked row at 95%)" in render.detail_markdown(
        made, ranking.View([made], {"a": 2}, OVERALL, 1))


def test_the_sources_cell_names_the_submitter_the_primary_source_and_how_many_more():
    three = [{"title": "Paper", "link": "https://e.org/p"}, {"title": "B"}, {"title": "C"}]
    rows = [verified(), row(id="three", sources=three), row(id="two", sources=three[1:]),
            row(id="none", sources=[]), row(id="untitled", sources=[{"link": "https://e.org/u"}])]
    frame = render.table(ranking.board_view(rows), ["Sources"]).set_index("ID")
    assert dict(frame["Sources"]) == {verified().id: "submitted by u on 2026-01-02",
                                      "three": "[Paper](https://e.org/p) (+2 more)", "two": "B (+1 more)",
                                      "none": "–", "untitled": "[source](https://e.org/u)"}


def test_plural_and_row_links():
    assert [render.plural(n, "model") for n in (0, 1, 2, 1234)] == ["0 models", "1 model", "2 models", "1,234 models"]
    assert render.plural(2, "entry", "entries") == "2 entries"
    assert render.row_url("a/b c?d") == "?row=a%2Fb%20c%3Fd"


def _styles(html: str) -> dict[str, str]:
    """'rowN_colM' → the CSS pandas gives that cell, from a Styler's HTML."""
    cells = {}
    for selectors, rules in re.findall(r"([^{}]+)\{([^}]*)\}", html.split("</style>")[0]):
        for cell in re.findall(r"_(row\d+_col\d+)", selectors):
            cells[cell] = " ".join(rules.split())
    return cells


def test_odd_tie_bands_shade_the_rank_cell_and_the_focused_row_is_tinted_whole():
    rows = [row(id=f"r{i}", model=f"M{i}", average=80.0 - 5 * i) for i in range(4)]
    frame = render.table(ranking.board_view(rows), ["Average"])
    styles = _styles(render.styled(frame, "Average", highlight="r3", bands={"r0": 0, "r1": 1, "r2": 2}).to_html())
    shade, tint = "background-color: #dbe7f5;", "background-color: #fff3bf; font-weight: 600;"
    assert styles == {"row1_col0": shade, **{f"row3_col{c}": tint for c in range(len(frame.columns))}}
    banded = _styles(render.styled(frame, bands={"r0": 1, "r1": 3}).to_html())
    assert banded == {"row0_col0": shade, "row1_col0": shade}
    assert _styles(render.styled(frame, highlight="nobody").to_html()) == {}
    assert _styles(render.styled(frame.drop(columns="ID"), highlight="r0").to_html()) == {}


def test_styled_formats_numbers_under_plain_or_marked_headers():
    frame = render.table(ranking.board_view([verified(coverage=99.5)], Filters(show=ALL_ENTRIES)),
                         ["Average", "Answered"])
    plain = render.styled(frame).to_html()
    assert ">Average<" in plain and ">80.00<" in plain and ">99.50%<" in plain and "▼" not in plain
    assert ">Rank<" in plain and "by Average" not in plain
    marked = render.styled(frame, "Answered").to_html()
    assert ">Answered ▼<" in marked and ">Rank (by Average)<" in marked and ">99.50%<" in marked


def test_each_column_gets_its_datatype_and_width():
    frame = render.table(ranking.board_view([verified()]), ["Average", "Size", "Answered", "Sources", "Flags",
                                                            "Not ranked because", "Training exposure", "Overkill"])
    assert list(frame.columns) == ["Rank", "Model", "Average", "Size", "Answered", "Training exposure", "Overkill",
                                   "Sources", "ID"]
    assert render.datatypes(frame) == ["str", "markdown", "number", "str", "number", "str", "number", "markdown",
                                       "str"]
    assert render.column_widths(frame) == ["92px", "220px", "88px", "58px", "88px", "150px", "80px", "260px", "240px"]


def test_a_table_keeps_only_chosen_columns_with_a_value_and_the_api_table_adds_the_bounds():
    reported = row(id="r", size=None, result={"average": 70.0, "subtasks": {SUBTASKS[0]: 0.0}})
    frame = render.table(ranking.board_view([reported]), ["Size", "Strict avg", "Anomaly Disc.", "Defect Cls.",
                                                          "Not ranked because"])
    assert list(frame.columns) == ["Rank", "Model", "Anomaly Disc.", "ID"]  # a 0.00 is a value; "–", None, "" are not
    api = render.table(ranking.board_view([reported]), ["Average"], bounds=True)
    assert list(api.columns) == ["Rank", "Model", "Average", *render.BOUND_COLUMNS, "ID"]
    assert list(api["Rank best"]) == [1] and str(api["Rank best"].dtype) == "Int64"
    assert list(render.table(ranking.board_view([reported]), []).columns) == ["Rank", "Model", "ID"]


def test_the_table_follows_the_chosen_sort_and_tells_repeated_runs_apart():
    rows = [row(id="gpt-1-shot-paper", model="GPT", average=70.0,
                result={"average": 70.0, "subtasks": {s: 90.0 if i == 0 else 70.0 for i, s in enumerate(SUBTASKS)}}),
            row(id="gpt-1-shot-csv", model="GPT", average=75.0),
            row(id="gpt-0-shot-csv", model="GPT", setting="0-shot", average=60.0)]
    frame = render.table(ranking.board_view(rows), sort_by="Anomaly Disc.")
    assert list(frame["ID"]) == ["gpt-1-shot-paper", "gpt-1-shot-csv", "gpt-0-shot-csv"]
    assert list(frame["Model"]) == ["[GPT](https://e.org/m) · *paper*", "[GPT](https://e.org/m) · *csv*",
                                    "[GPT](https://e.org/m)"]


def test_the_download_holds_every_field_plainly_with_integer_ranks_and_the_snapshot():
    mine = dataclasses.replace(_mine(), flags=["one", "two"], run_note="=run", scorer="-scorer")
    unranked = row(id="sub", model="Sub", coverage="subset", coverage_detail="9 images", size=None,
                   sources=[{"title": "T", "locator": "Table 1", "link": "https://e.org/t"}, {"title": "U"}])
    frame = render.plain_table(ranking.board_view([mine, unranked], Filters(show=ALL_ENTRIES)), snapshot="snap-1")
    records = list(csv.DictReader(io.StringIO(frame.to_csv(index=False))))
    first, second = records
    assert (first["rank"], first["Rank best"], first["Rank worst"], second["Rank best"]) == ("1", "1", "1", "")
    assert (first["status"], first["flags"], first["run_note"], first["scorer"]) == (
        "✓ verified", "one; two", "'=run", "'-scorer")
    assert (first["sources"], first["answered_percent"], first["strict_average"]) == (
        "submitted by u on 2026-01-02", "100.0", "78.0")
    assert (first["Average CI low"], first["Average CI high"], first["no_interval_because"]) == ("79.0", "81.25", "")
    assert (first["anomaly_discrimination"], first["snapshot"], second["snapshot"]) == ("80.0", "snap-1", "snap-1")
    assert (second["size"], second["not_ranked_because"], second["no_interval_because"]) == (
        "", "subset: 9 images", intervals.UNKNOWN_SIZE)
    assert second["sources"] == "T · Table 1 · https://e.org/t; U" and second["rank"] == "—"
    old = dataclasses.replace(verified(), submitted="", uncertainty=intervals.RowIntervals())
    (stored,) = render.plain_table(ranking.board_view([old])).to_dict("records")
    assert stored["sources"] == "" and stored["no_interval_because"] == intervals.NOT_STORED
    assert stored["snapshot"] == ""


@pytest.mark.parametrize(("text", "inert"), [
    ("a*b_c`d", "a\\*b\\_c\\`d"), ("[x](y)", "\\[x\\]\\(y\\)"), ("{#!|~}", "\\{\\#\\!\\|\\~\\}"), ("a\\b", "a\\\\b"),
    ("1. item", "1\\. item"), ("- item", "\\- item"), ("+x", "\\+x"), ("= x", "\\= x"), ("> q", "\\&gt; q"),
    ("12) x", "12\\) x"), ("a - b", "a - b"), ("<b>&amp;</b>", "&lt;b&gt;&amp;amp;&lt;/b&gt;"),
    ("  two \n lines ", "two lines"), (None, ""), (0, ""), ("it's \"q\"", "it's \"q\""),
])
def test_markdown_cells_escape_every_special_character(text, inert):
    assert render.escape_markdown(text) == inert


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("a=1", "a=1"), ("", ""), (-1.5, -1.5), (None, None),
])
def test_download_cells_that_a_spreadsheet_would_run_are_neutralised(value, cell):
    assert render.inert_cell(value) == cell


@pytest.mark.parametrize(("url", "safe"), [
    ("https://e.org/a b", "https://e.org/a%20b"), (" http://e.org/x?q=1&r=2#f ", "http://e.org/x?q=1&r=2#f"),
    ("ftp://e.org/x", None), ("http:///nohost", None), ("javascript:alert(1)", None), ("", None), (None, None),
    ("https://e.org/(x)", "https://e.org/%28x%29"),
])
def test_only_http_links_with_a_host_are_linked(url, safe):
    assert render.safe_url(url) == safe
    assert render.link_cell("T", url) == (f"[T]({safe})" if safe else "T")


@pytest.mark.parametrize(("value", "text"), [(None, "–"), (pd.NA, "–"), (math.nan, "–"), (75, "75.00"),
                                             (74.994, "74.99"), (0.0, "0.00")])
def test_numbers_show_two_decimals_or_a_dash(value, text):
    assert render.fixed(value) == text
    assert render.fixed(value, "%") == (text if text == "–" else text + "%")


def test_the_status_column_says_what_a_row_was_checked_against():
    rows = {"verified": verified(), "demo": verified(synthetic=True),
            "other key": dataclasses.replace(verified(), scored_on="scored on another key"),
            "reported": row(), "reference": row(status="reference", model="Human (expert)")}
    assert {name: render.status_badge(made) for name, made in rows.items()} == {
        "verified": "✓ verified", "demo": "synthetic (demo)", "other key": "scored on another key",
        "reported": "reported", "reference": "reference line"}


def test_a_display_record_shows_coverage_detail_and_leaves_a_reference_lines_reason_empty():
    board = ranking.board_view([row(id="sub", coverage="subset", coverage_detail="9 images"),
                                row(id="ref", status="reference", model="Human (expert)")], Filters(show=ALL_ENTRIES))
    records = {r.id: render.display_record(r, board) for r in board.rows}
    assert records["sub"]["Coverage"] == "subset (9 images)" and records["ref"]["Not ranked because"] == ""
    assert records["sub"]["Not ranked because"] == "subset: 9 images" and records["ref"]["Rank"] == "ref"
    assert records["ref"]["95% CI"] == "–"


def test_every_text_field_of_a_reported_entry_reaches_the_download_as_written():
    full = row(id="full-1-shot", model="Full", model_version="v1", link="https://e.org/f", type="API",
               setting_detail="sd", protocol_detail="pd", coverage_detail="cd", training_detail="td",
               quantisation="quantised", quantisation_detail="AWQ", measured_by="third party", run_note="rn",
               notes="n", flags=["f1", "f2"], sources=[{"title": "T", "locator": "L", "link": "https://e.org/t"}],
               basis=presumed_basis(setting="the paper does not say"))
    (record,) = render.plain_table(ranking.board_view([full])).to_dict("records")
    assert {field: record[field] for field in render.EXPORT_TEXT} == {
        "id": "full-1-shot", "rank": "1", "model": "Full", "model_version": "v1", "link": "https://e.org/f",
        "status": "reported", "size": "7B", "type": "API", "setting": "1-shot", "setting_detail": "sd",
        "protocol": "official", "protocol_detail": "pd", "coverage": "full", "coverage_detail": "cd",
        "training_exposure": "none declared", "training_detail": "td", "quantisation": "quantised",
        "quantisation_detail": "AWQ", "presumed": "setting: the paper does not say", "measured_by": "third party",
        "not_ranked_because": "", "run_note": "rn", "notes": "n", "flags": "f1; f2",
        "sources": "T · L · https://e.org/t"}


def test_the_download_follows_the_chosen_sort():
    rows = [row(id="a", average=70.0, result={"average": 70.0, "subtasks": {s: 90.0 for s in SUBTASKS}}),
            row(id="b", average=75.0)]
    assert list(render.plain_table(ranking.board_view(rows), "Anomaly Disc.")["id"]) == ["a", "b"]
    assert list(render.plain_table(ranking.board_view(rows))["id"]) == ["b", "a"]


def test_runs_of_one_model_are_told_apart_by_what_follows_their_shared_hyphenated_prefix():
    def apart(*ids: str) -> list[str]:
        runs = [row(id=i) for i in ids]
        return [render.id_difference(r, runs) for r in runs]

    assert apart("m-1-shot-paper", "m-1-shot-pdf") == ["paper", "pdf"]  # never "aper" and "df"
    assert apart("alpha", "alps") == ["alpha", "alps"]  # no shared hyphen: the whole id


def test_the_detail_shows_every_flag_the_run_note_and_a_sources_missing_numbers_as_dashes():
    made = row(id="f", flags=["quantised run", "third-party harness"], run_note="the second run",
               sources=[{"title": "T", "average": None, "precision": 2}],
               result={"average": 70.0, "subtasks": {s: 70.0 for s in SUBTASKS},
                       "sources": {"VisA": {"average": 50.0}}})
    text = render.detail_markdown(made, ranking.board_view([made]))
    assert "**Flags:** quantised run; third-party harness\n" in text
    assert "**Run note:** the second run\n" in text and "| 1 | T |  |  | – |  | – |" in text
    assert "| VisA | 50.00 | " in text and text.endswith(" |" + " – |" * 7)


def test_the_download_joins_every_presumption_and_every_reason():
    made = row(id="p", coverage="subset", coverage_detail="9 images", setting="k-shot",
               basis=presumed_basis(setting="a", protocol="b"))
    (record,) = render.plain_table(ranking.board_view([made], Filters(show=ALL_ENTRIES))).to_dict("records")
    assert record["presumed"] == "setting: a; protocol: b"
    assert record["not_ranked_because"] == "subset: 9 images; setting k-shot"


def test_an_empty_download_still_names_its_columns():
    empty = render.plain_table(ranking.board_view([row()], Filters(search="nothing-matches")))
    assert empty.empty and list(empty.columns) == [
        *render.EXPORT_TEXT, "average", *SUBTASKS, "strict_average", "answered_percent", "scorer",
        *render.BOUND_COLUMNS, "no_interval_because", "snapshot"]


def test_table_columns_keep_the_average_always_drop_nan_columns_and_add_bounds_only_when_asked():
    records = [{"Average": None, "Answered": math.nan, "Size": "7B"}]
    assert render.table_columns(records, ["Average", "Answered", "Size"]) == ["Rank", "Model", "Average", "Size", "ID"]
    assert render.table_columns(records, ["Size"], bounds=True) == ["Rank", "Model", "Size",
                                                                     *render.BOUND_COLUMNS, "ID"]


def test_bands_alone_tint_no_row_whatever_its_id():
    rows = [row(id="XXXX", model="X", average=80.0), row(id="b", model="B", average=70.0)]
    frame = render.table(ranking.board_view(rows), ["Average"])
    assert _styles(render.styled(frame, bands={"XXXX": 0, "b": 1}).to_html()) == {
        "row1_col0": "background-color: #dbe7f5;"}


def test_table_cells_dash_what_an_entry_leaves_empty_and_join_every_reason_and_flag():
    bare = row(id="bare", type="", measured_by="", coverage="subset", coverage_detail="9 images", setting="k-shot",
               flags=["f1", "f2"], basis=presumed_basis(training_exposure="not said"))
    full = _mine()
    board = ranking.board_view([bare, full], Filters(show=ALL_ENTRIES))  # no filter lets an empty "measured by" in
    records = {r.id: render.display_record(r, board) for r in (bare, full)}
    assert (records["bare"]["Type"], records["bare"]["Measured by"]) == ("–", "–")
    assert (records[full.id]["Type"], records[full.id]["Measured by"]) == ("open", "scored here")
    assert records["bare"]["Not ranked because"] == "subset: 9 images; setting k-shot"
    assert records["bare"]["Flags"] == "† presumed: training exposure; f1; f2"
    assert records[full.id]["95% CI"] == "79.00–81.25"


def test_a_status_the_board_has_no_badge_for_is_shown_as_it_is():
    assert render.status_badge(row(status="withdrawn")) == "withdrawn"


def test_one_page_names_runs_of_one_model_as_the_whole_table_told_it():
    """A page of one row still names its run: the whole table's runs are passed in (`space.prepared.Table`)."""
    twins = [row(id="twin-a", model="Twin", average=71.0), row(id="twin-b", model="Twin", average=70.0)]
    board = ranking.board_view(twins, Filters(show=ALL_ENTRIES))
    whole = render.repeated_runs(twins)
    assert [r["Model"] for r in render.table_records(board, twins[1:], repeated=whole)] == [
        "[Twin](https://e.org/m) · *b*"]
    assert [r["Model"] for r in render.table_records(board, twins[1:])] == ["[Twin](https://e.org/m)"]
