"""The board's figures as a visitor gets them, property by property: each bar's colour, value label, hover
text and error bar; the reference lines and the note naming those not drawn; the radar's series and axes;
the heat map's order and size; the Compare tab's difference chart; every empty state's message.

Figures are compared as plotly specs (what plotly.js draws), written out from the behaviour. Colours are
compared as plotly receives them."""

from __future__ import annotations

import dataclasses

import plotly.graph_objects as go
import plotly.io as pio
from board_entries import row, verified

from eval.compare import A_BETTER, B_BETTER
from mmad_dataset import SUBTASKS
from space import charts, intervals, ranking
from space.comparison import Comparison, Scope
from space.ranking import ALL_ENTRIES, Filters

WHITE_TEMPLATE = pio.templates["plotly_white"].to_plotly_json()
NO_MATCH = "No entries match the search and filters."


def _with_interval(made: ranking.Row, low: float, high: float, **changes) -> ranking.Row:
    """A copy of `made` whose overall average has the 95% interval [low, high]."""
    made = dataclasses.replace(made, **changes)
    made.uncertainty = intervals.RowIntervals({"average": intervals.Interval(low, high), "subtasks": {},
                                               "sources": {}})
    return made


def _layout(figure) -> dict:
    """The figure's layout as plotly.js receives it, its template checked apart (it is long)."""
    layout = figure.to_plotly_json()["layout"]
    assert layout.pop("template") == WHITE_TEMPLATE
    return layout


def _empty_state(message: str) -> dict:
    return {"font": {"color": "#555", "size": 15}, "showarrow": False, "text": message, "x": 0.5, "xref": "paper",
            "y": 0.5, "yref": "paper"}


# --- the averages bar chart -------------------------------------------------------------------------

def _bar(kind: str, color: str, text_color: str, row_id: str, value: float, hover: str,
         up: float | None = None, down: float | None = None) -> dict:
    return {"cliponaxis": False, "constraintext": "none", "insidetextanchor": "start", "hoverinfo": "text+x",
            "error_x": {"array": [up], "arrayminus": [down], "color": "#37474f", "symmetric": False,
                        "thickness": 1.5, "type": "data", "width": 4},
            "hovertext": [hover], "marker": {"color": color}, "name": kind, "orientation": "h",
            "text": [f"{value:.2f}"], "textfont": {"color": text_color}, "textposition": "inside", "x": [value],
            "y": [row_id], "type": "bar"}


def test_each_kind_of_entry_gets_its_colour_value_label_hover_text_and_asymmetric_error_bar():
    mine = _with_interval(verified(name="Mine", average=80.0), 78.5, 80.75, id="mine")
    reported = _with_interval(row(id="rep", model="Rep-7B", average=70.0), 67.0, 71.0)
    unranked = row(id="bare", model="Bare", average=60.0, coverage="subset", coverage_detail="9 images")
    demo = dataclasses.replace(verified(name="Demo", average=50.0, synthetic=True), id="demo")
    figure = charts.bar_figure(ranking.board_view([demo, unranked, reported, mine], Filters(show=ALL_ENTRIES)))
    assert [trace.to_plotly_json() for trace in figure.data] == [
        _bar("verified", "#1565c0", "white", "mine", 80.0,
             "Mine 7B (1-shot) ✓ · scored here · mine · 95% interval 78.50–80.75", up=0.75, down=1.5),
        _bar("reported", "#90a4ae", "#1a1a1a", "rep", 70.0,
             "Rep-7B (1-shot) · benchmark authors · rep · 95% interval 67.00–71.00", up=1.0, down=3.0),
        _bar("synthetic", "#8e24aa", "white", "demo", 50.0,
             "Demo 7B (1-shot) (synthetic demo) · scored here · demo · 95% interval none"),
        _bar("not ranked", "#ffb74d", "#1a1a1a", "bare", 60.0,
             "Bare 7B (1-shot) · benchmark authors · bare · 95% interval none"),
    ]
    order = ["demo", "bare", "rep", "mine"]  # plotly draws the first category at the bottom: best on top
    assert _layout(figure) == {
        "title": {"text": "Average accuracy (%), All sources: 4 entries"},
        "xaxis": {"range": [0, 100], "title": {"text": "average accuracy (%)"}, "fixedrange": True},
        "height": 420, "margin": {"l": 10, "r": 40, "t": 130, "b": 50}, "showlegend": True,
        "legend": {"orientation": "h", "y": -0.08}, "bargap": 0.25, "barmode": "overlay",
        "yaxis": {"type": "category", "categoryorder": "array", "categoryarray": order, "tickvals": order,
                  "ticktext": ["Demo 7B (1-shot) (synthetic demo)", "Bare 7B (1-shot)", "Rep-7B (1-shot)",
                               "Mine 7B (1-shot) ✓"], "automargin": True},
    }


def test_the_bar_chart_grows_with_its_bars_and_its_empty_state_says_why():
    rows = [row(id=f"m{i}", model=f"M{i}", average=50.0 + i) for i in range(12)]
    assert charts.bar_figure(ranking.board_view(rows)).layout.height == 24 * 12 + 200
    assert charts.bar_figure(ranking.board_view(rows[:9])).layout.height == 420  # 24 × 9 + 200 = 416: the floor
    empty = charts.bar_figure(ranking.board_view(rows, Filters(search="nothing-matches")))
    layout = _layout(empty)
    assert layout["annotations"] == [_empty_state(NO_MATCH)]
    assert layout["xaxis"]["visible"] is False and layout["yaxis"] == {"visible": False}
    assert layout["legend"] == {"orientation": "h", "y": 0} and empty.layout.title.text.endswith(": 0 entries")


def test_reference_lines_stack_their_labels_and_the_note_names_every_line_not_drawn():
    per_source = {"VisA": {"average": 81.0, "subtasks": {s: 81.0 for s in SUBTASKS}}}

    def reference(model: str, average: float, sources: dict | None = None) -> ranking.Row:
        result = {"average": average, "subtasks": {s: average for s in SUBTASKS}, "sources": sources or {}}
        return row(id=model, model=model, status="reference", average=average, result=result)

    lines = [reference("Human (ordinary)", 78.69), reference("Human (expert)", 86.65, per_source),
             reference("Guesser", 40.0, per_source), reference("Random Chance", 33.3),
             reference("Oracle", 99.0, per_source)]
    entries = [verified(average=70.0)]
    visa = _layout(charts.bar_figure(ranking.board_view(entries, view="VisA"), lines))
    assert [(s["x0"], s["line"], s["layer"]) for s in visa["shapes"]] == [
        (81.0, {"color": "#2e7d32", "dash": "dash"}, "below"), (81.0, {"color": "#616161", "dash": "dash"}, "below"),
        (81.0, {"color": "#616161", "dash": "dash"}, "below")]
    labels, note = visa["annotations"][:3], visa["annotations"][3]
    assert [(a["text"], a["yshift"], a["font"], a["y"], a["yanchor"]) for a in labels] == [
        ("Human (expert) 81.00", 0, {"color": "#2e7d32", "size": 11}, 1, "bottom"),
        ("Guesser 81.00", 16, {"color": "#616161", "size": 11}, 1, "bottom"),
        ("Oracle 81.00", 32, {"color": "#616161", "size": 11}, 1, "bottom")]  # each label above the last
    assert note == {"text": "Not drawn: Human (ordinary), Random Chance (no per-source numbers for VisA)",
                    "showarrow": False, "xref": "paper", "yref": "paper", "x": 0, "y": 1.0, "yshift": 60,
                    "xanchor": "left", "font": {"size": 11, "color": "#555"}}
    every_line = _layout(charts.bar_figure(ranking.board_view(entries, view="VisA"), lines[1:3]))
    assert [a["text"] for a in every_line["annotations"]] == ["Human (expert) 81.00", "Guesser 81.00"]  # no note


def test_ties_in_the_chart_go_by_name_and_the_picker_puts_rows_without_an_average_last():
    rows = [row(id="b", model="beta", average=70.0), row(id="a", model="Alpha", average=70.0)]
    assert charts.bar_figure(ranking.board_view(rows)).layout.yaxis.categoryarray == ("b", "a")
    tiny = row(id="tiny", model="Tiny", average=0.5)
    unknown = dataclasses.replace(row(id="unknown", model="Unknown"), average=None)
    assert [value for _, value in charts.choices([unknown, tiny])] == ["tiny", "unknown"]


# --- labels ------------------------------------------------------------------------------------------

def test_labels_name_the_size_the_setting_and_the_kind_and_tell_repeats_apart_in_full():
    assert charts.label(verified(name="Mine")) == "Mine 7B (1-shot) ✓"
    assert charts.label(row(model="Model-7B", size="7B")) == "Model-7B (1-shot)"  # the name already says 7B
    assert charts.label(row(model="X", size=None, setting="")) == "X (n/a)"
    assert charts.label(verified(name="Demo", synthetic=True)) == "Demo 7B (1-shot) (synthetic demo)"
    runs = [row(id="gpt-1-shot-paper", model="GPT"), row(id="gpt-1-shot-csv", model="GPT"),
            row(id="gpt-1-shot-blog", model="GPT", measured_by="third party")]
    assert charts.unique_labels(runs) == {
        "gpt-1-shot-paper": "GPT 7B (1-shot) · benchmark authors · paper",
        "gpt-1-shot-csv": "GPT 7B (1-shot) · benchmark authors · csv",
        "gpt-1-shot-blog": "GPT 7B (1-shot) · third party"}


def test_a_label_of_exactly_the_limit_is_kept_and_a_long_suffix_leaves_twelve_characters_of_the_name():
    exact = "M" * (charts.LABEL_CHARS - len(" (1-shot)"))
    assert charts.unique_labels([row(id="x", model=exact, size=None)]) == {"x": exact + " (1-shot)"}
    suffix = "s" * 40
    twins = [row(id=f"m-1-shot-{suffix}1", model="Model-With-A-Long-Name", size=None),
             row(id=f"m-1-shot-{suffix}2", model="Model-With-A-Long-Name", size=None)]
    assert set(charts.unique_labels(twins).values()) == {
        f"Model-With-…{' · benchmark authors'} · {suffix}{n}" for n in (1, 2)}


# --- the radar -----------------------------------------------------------------------------------------

def test_radar_series_close_their_polygon_in_their_own_colour_dash_and_faint_fill():
    first = row(id="a", model="A", result={"average": 60.0, "subtasks": {s: 60.0 + i for i, s in enumerate(SUBTASKS)}})
    second = row(id="b", model="B", average=50.0)
    figure = charts.radar_figure([first, second], ["a", "b"])
    titles = [charts.SUBTASK_TITLES[s] for s in SUBTASKS]
    assert [trace.to_plotly_json() for trace in figure.data] == [
        {"r": [60.0 + i for i in range(7)] + [60.0], "theta": [*titles, titles[0]], "name": "A 7B (1-shot)",
         "fill": "toself", "fillcolor": "rgba(0, 114, 178, 0.08)", "line": {"color": "#0072B2", "dash": "solid",
                                                                            "width": 2.5},
         "marker": {"color": "#0072B2", "size": 6}, "type": "scatterpolar"},
        {"r": [50.0] * 8, "theta": [*titles, titles[0]], "name": "B 7B (1-shot)", "fill": "toself",
         "fillcolor": "rgba(213, 94, 0, 0.08)", "line": {"color": "#D55E00", "dash": "dash", "width": 2.5},
         "marker": {"color": "#D55E00", "size": 6}, "type": "scatterpolar"},
    ]
    between = 90 + 180 / 7  # halfway between the first two spokes
    assert _layout(figure) == {
        "polar": {"radialaxis": {"range": [0, 100], "angle": between, "tickangle": between,
                                 "tickvals": [20, 40, 60, 80], "tickfont": {"size": 10, "color": "#666"}},
                  "angularaxis": {"categoryarray": titles, "rotation": 90}},
        "title": {"text": "Per-subtask accuracy (%), All sources"}, "height": 560,
        "legend": {"orientation": "h", "y": -0.12}, "margin": {"t": 90, "b": 60}}


def test_each_empty_radar_says_exactly_why():
    for rows, chosen, message in (([], [], NO_MATCH),
                                  ([row(id="a")], [], "Pick models above to compare their subtasks."),
                                  ([row(id="a")], ["a"], "None of the picked models has per-subtask numbers for VisA.")):
        layout = _layout(charts.radar_figure(rows, chosen, view="VisA"))
        assert layout["annotations"] == [_empty_state(message)]
        assert layout["xaxis"] == {"visible": False} and layout["yaxis"] == {"visible": False}


# --- the per-category heat map --------------------------------------------------------------------------

def test_heat_map_rows_follow_the_benchmarks_source_order_unknown_sources_last_and_it_grows_with_them():
    mine = verified(name="Mine")
    names = ["VisA/candle", "GoodsAD/cigarette_box", "DS-MVTec/bottle", "MVTec-LOCO/pushpins", "Other/thing",
             *(f"GoodsAD/food_{i:02}" for i in range(9))]
    categories = {name: {"questions": 9, "accuracy": 50.0, "subtasks": {s: float(i) for s in SUBTASKS}}
                  for i, name in enumerate(names)}
    figure = charts.category_heatmap(dataclasses.replace(mine, categories=categories))
    expected = ["DS-MVTec/bottle", "MVTec-LOCO/pushpins", "VisA/candle", "GoodsAD/cigarette_box",
                *(f"GoodsAD/food_{i:02}" for i in range(9)), "Other/thing"]
    heat = figure.data[0].to_plotly_json()
    assert heat.pop("colorscale") == go.Heatmap(colorscale="RdYlGn").to_plotly_json()["colorscale"]  # red to green
    assert heat.pop("y") == expected
    assert heat == {"z": [[float(names.index(n))] * 7 for n in expected], "x": list(ranking.SUBTASK_COLUMNS),
                    "zmin": 0, "zmax": 100, "colorbar": {"title": {"text": "%"}}, "texttemplate": "%{z:.2f}",
                    "hoverongaps": False, "hovertemplate": "%{y} · %{x}: %{z:.2f}%<extra></extra>", "type": "heatmap"}
    assert _layout(figure) == {
        "title": {"text": "Mine: accuracy (%) per category × subtask, official protocol"},
        "height": 20 * 14 + 160, "yaxis": {"autorange": "reversed", "automargin": True},
        "margin": {"t": 60, "l": 10, "r": 10}}
    assert charts.category_heatmap(mine).layout.height == 420  # three categories: the floor


# --- the Compare tab's difference chart -----------------------------------------------------------------

def test_the_difference_chart_colours_each_verdict_and_draws_each_interval_around_its_dot():
    scopes = [Scope("Average", 80.0, 75.0, 5.0, 3.0, 6.5, A_BETTER),
              Scope("Defect Cls.", 60.0, 70.0, -10.0, -12.0, -9.0, B_BETTER),
              Scope("Object Cls.", 50.0, 49.0, 1.0, None, None, "no interval: cannot tell")]
    figure = charts.compare_figure(Comparison("a", "b", False, "official", "note", scopes), "Model <A>", "B" * 80)
    assert [trace.to_plotly_json() for trace in figure.data] == [{
        "x": [1.0, -10.0, 5.0], "y": ["Object Cls.", "Defect Cls.", "Average"], "mode": "markers",
        "marker": {"size": 11, "color": ["#757575", "#c62828", "#1565c0"]},
        "error_x": {"type": "data", "symmetric": False, "thickness": 2, "width": 6, "array": [None, 1.0, 1.5],
                    "arrayminus": [None, 2.0, 2.0]},
        "hovertext": ["Object Cls.: A 50.00 − B 49.00 = +1.00 · no interval: cannot tell",
                      "Defect Cls.: A 60.00 − B 70.00 = -10.00 · B better",
                      "Average: A 80.00 − B 75.00 = +5.00 · A better"],
        "hoverinfo": "text", "showlegend": False, "type": "scatter"}]
    layout = _layout(figure)
    assert layout.pop("shapes") == [{"line": {"color": "#424242", "width": 1}, "type": "line", "x0": 0, "x1": 0,
                                     "xref": "x", "y0": 0, "y1": 1, "yref": "y domain"}]
    assert layout == {
        "title": {"text": "A − B (points), 95% unpaired interval, official protocol<br><sup>"
                          "A: Model &lt;A&gt;   ·   "
                          f"B: {'B' * 69}…<br>blue: A better · red: B better · grey: no detectable difference at "
                          "95%</sup>"},
        "height": 460, "margin": {"l": 10, "r": 20, "t": 110, "b": 50},
        "xaxis": {"title": {"text": "difference A − B (accuracy points; right of 0: A higher)"}, "zeroline": False},
        "yaxis": {"type": "category", "automargin": True}}
    paired = charts.compare_figure(Comparison("a", "b", True, "strict", "note", scopes[:1]), "A" * 71, "B")
    assert paired.layout.title.text.startswith("A − B (points), 95% paired interval, strict protocol<br><sup>"
                                               f"A: {'A' * 69}…   ·   B: B<br>")
