"""The board's plotly figures: averages bar chart, subtask radar, per-category heat map of a verified row.

Pure: rows in, figures out. Plotly renders trace and axis text itself and decodes only a few
entities (&amp; &lt; &gt;), so labels are escaped with exactly those (`plotly_text`): a model
called `<b>x</b>` or `A & "B"` shows literally, never as markup and never as `&quot;`.
Bars are keyed by row id with the labels as tick text, so two entries with the same label are
two bars, never one stacked bar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from mmad_dataset import SOURCES, SUBTASK_TITLES, SUBTASKS

from eval.compare import A_BETTER, B_BETTER

from .comparison import Comparison
from .intervals import Interval
from .ranking import OVERALL, SHORT_TITLES, Row, View, numbers
from .render import fixed, id_difference

BAR_LIMIT = 30
#: Most models in the radar: more polygons cannot be told apart.
RADAR_LIMIT = 6
#: One colour and one dash style per radar series, far apart in hue and lightness (Okabe–Ito, colour-blind safe).
SERIES_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
SERIES_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
LABEL_CHARS = 48
REFERENCE_COLORS = {"Human (expert)": "#2e7d32", "Human (ordinary)": "#f9a825", "Random Chance": "#9e9e9e"}
KIND_COLORS = {"verified": "#1565c0", "reported": "#90a4ae", "synthetic": "#8e24aa", "not ranked": "#ffb74d"}
AXIS_RANGE = [0, 100]


def plotly_text(text: str) -> str:
    """Literal text for plotly: escape only what its text renderer decodes (&, <, >)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def label(row: Row) -> str:
    """Model, size where the name lacks it, setting, and a tick for a verified row: plain text."""
    size = f" {row.size}" if row.size and row.size not in row.model else ""
    tag = {"verified": " ✓", "synthetic": " (synthetic demo)"}.get(row.kind, "")
    return f"{row.model}{size} ({row.setting or 'n/a'}){tag}"


def unique_labels(rows: Sequence[Row]) -> dict[str, str]:
    """Row id → a label no other row shares, short enough for an axis.

    Repeats are told apart by who measured them, then by what distinguishes their ids (ids are
    `<model>-<setting>-<source>` slugs, so that is the source: "paper" vs "csv"); the suffix is
    kept whole and the model part shortened, so shortening never makes two labels equal again.
    """
    base = {row.id: label(row) for row in rows}
    suffix = {row.id: "" for row in rows}
    for tell_apart in (lambda row, group: row.measured_by, id_difference):
        groups: dict[str, list[Row]] = {}
        for row in rows:
            groups.setdefault(base[row.id] + suffix[row.id], []).append(row)
        for group in (g for g in groups.values() if len(g) > 1):
            for row in group:
                suffix[row.id] += f" · {tell_apart(row, group)}"
    return {row.id: _short(base[row.id], LABEL_CHARS - len(suffix[row.id])) + suffix[row.id] for row in rows}


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    """Cut to `limit` characters with a visible "…" (the full label is in the hover text)."""
    limit = max(limit, 12)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _kind(row: Row) -> str:
    return row.kind if row.ranked or row.kind == "synthetic" else "not ranked"


def _empty(figure: go.Figure, message: str) -> go.Figure:
    """A figure that says why it is empty, without a meaningless grid of axes."""
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    figure.add_annotation(text=plotly_text(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                          font={"size": 15, "color": "#555"})
    return figure


def _error_bars(points: Sequence[tuple[float, Interval | None]]) -> dict:
    """plotly error bars from each bar's 95% interval (none drawn for a bar without one)."""
    return {"type": "data", "symmetric": False, "color": "#37474f", "thickness": 1.5, "width": 4,
            "array": [None if i is None else i.high - v for v, i in points],
            "arrayminus": [None if i is None else v - i.low for v, i in points]}


def _interval_words(interval: Interval | None) -> str:
    return "none" if interval is None else f"{interval.low:.2f}–{interval.high:.2f}"


def bar_figure(board: View, references: Sequence[Row] = (), limit: int = BAR_LIMIT) -> go.Figure:
    """Averages of the best `limit` entries of the view (one bar per entry) with their 95% intervals as
    error bars, reference rows as lines.

    The title says when only the top N are drawn; a reference row without numbers in a per-source
    view is named in a note instead of silently vanishing.
    """
    entries = [(row, numbers(row, board.view).average) for row in board.rows if row.status != "reference"]
    bounds = {row.id: numbers(row, board.view).interval for row, _ in entries}
    entries.sort(key=lambda pair: (-pair[1], pair[0].model.casefold()))
    shown = entries[:limit]
    count = f"top {len(shown)} of {len(entries)} entries" if len(entries) > len(shown) else f"{len(shown)} entries"
    figure = go.Figure()
    figure.update_layout(
        title=plotly_text(f"Average accuracy (%), {board.view}: {count}"), template="plotly_white",
        xaxis={"range": AXIS_RANGE, "title": "average accuracy (%)", "fixedrange": True},
        height=max(420, 24 * len(shown) + 200), margin={"l": 10, "r": 40, "t": 130, "b": 50}, showlegend=True,
        legend={"orientation": "h", "y": -0.08 if shown else 0},
        bargap=0.25)
    if not shown:
        return _empty(figure, "No entries match the search and filters.")
    names = unique_labels([row for row, _ in shown])
    ordered_ids = [row.id for row, _ in reversed(shown)]
    for kind, color in KIND_COLORS.items():
        part = [(row, value) for row, value in reversed(shown) if _kind(row) == kind]
        if part:
            figure.add_trace(go.Bar(
                y=[row.id for row, _ in part], x=[value for _, value in part], orientation="h", name=kind,
                marker_color=color, error_x=_error_bars([(value, bounds[row.id]) for row, value in part]),
                # each value inside its bar at the bar's base: clear of the error bar at the bar's end, and
                # of the reference lines, which are drawn behind the bars
                text=[fixed(value) for _, value in part], textposition="inside", insidetextanchor="start",
                textfont={"color": "white" if kind in ("verified", "synthetic") else "#1a1a1a"},
                constraintext="none", cliponaxis=False,
                hovertext=[plotly_text(f"{label(row)} · {row.measured_by} · {row.id} · 95% interval "
                                       f"{_interval_words(bounds[row.id])}") for row, _ in part],
                hoverinfo="text+x"))
    figure.update_yaxes(type="category", categoryorder="array", categoryarray=ordered_ids, tickvals=ordered_ids,
                        ticktext=[plotly_text(names[row_id]) for row_id in ordered_ids], automargin=True)
    figure.update_layout(barmode="overlay")
    missing = []
    drawn = 0
    for row in references:
        value = numbers(row, board.view).average
        if value is None:
            missing.append(row.model)
            continue
        color = REFERENCE_COLORS.get(row.model, "#616161")
        # below the bars: a line never crosses a value label (they sit inside the bars, at their base)
        figure.add_vline(x=value, line_dash="dash", line_color=color, layer="below",
                         annotation_text=plotly_text(f"{row.model} {fixed(value)}"), annotation_position="top",
                         annotation={"yshift": 16 * drawn, "font": {"color": color, "size": 11}})
        drawn += 1
    if missing and board.view != OVERALL:
        figure.add_annotation(
            text=plotly_text(f"Not drawn: {', '.join(missing)} (no per-source numbers for {board.view})"),
            showarrow=False, xref="paper", yref="paper", x=0, y=1.0, yshift=60, xanchor="left",
            font={"size": 11, "color": "#555"})
    return figure


def radar_figure(rows: Sequence[Row], chosen: Sequence[str], view: str = OVERALL,
                 names: Mapping[str, str] | None = None) -> go.Figure:
    """The 7 subtasks of the chosen rows (by id, at most RADAR_LIMIT) on 0–100 axes, as in the paper's
    Figure 1: each its own colour and dash style, named as in the picker (`names`: id → the picker's label)."""
    titles = [SUBTASK_TITLES[s] for s in SUBTASKS]
    by_id = {row.id: row for row in rows if numbers(row, view).subtasks}
    picked = [by_id[row_id] for row_id in dict.fromkeys(chosen) if row_id in by_id][:RADAR_LIMIT]  # picker order
    names = {**unique_labels(picked), **(names or {})}
    figure = go.Figure()
    for i, row in enumerate(picked):
        subtasks = numbers(row, view).subtasks
        values = [subtasks.get(s) for s in SUBTASKS]
        color = SERIES_COLORS[i % len(SERIES_COLORS)]
        figure.add_trace(go.Scatterpolar(r=[*values, values[0]], theta=[*titles, titles[0]],
                                         name=plotly_text(names[row.id]), fill="toself", fillcolor=_tint(color),
                                         line={"color": color, "dash": SERIES_DASHES[i % len(SERIES_DASHES)],
                                               "width": 2.5}, marker={"color": color, "size": 6}))
    # the tick labels sit on a line halfway between the first two subtask spokes, never on an axis or its title
    figure.update_layout(polar={"radialaxis": {"range": AXIS_RANGE, "angle": 90 + 180 / len(titles),
                                               "tickangle": 90 + 180 / len(titles), "tickvals": [20, 40, 60, 80],
                                               "tickfont": {"size": 10, "color": "#666"}},
                                "angularaxis": {"categoryarray": titles, "rotation": 90}},
                         template="plotly_white", title=plotly_text(f"Per-subtask accuracy (%), {view}"), height=560,
                         legend={"orientation": "h", "y": -0.12}, margin={"t": 90, "b": 60})
    if not picked:
        if not rows:
            return _empty(figure, "No entries match the search and filters.")
        if not chosen:
            return _empty(figure, "Pick models above to compare their subtasks.")
        return _empty(figure, f"None of the picked models has per-subtask numbers for {view}.")
    return figure


def _tint(color: str, alpha: float = 0.08) -> str:
    """A hex colour as a faint rgba fill, so overlapping polygons leave every outline readable."""
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def category_heatmap(row: Row) -> go.Figure | None:
    """Accuracy per category × subtask of a verified row (the scorer's breakdown), like upstream's
    summary.py; None when the row has no breakdown (reported rows)."""
    if not row.categories:
        return None
    order = {source: i for i, source in enumerate(SOURCES)}
    names = sorted(row.categories, key=lambda name: (order.get(name.split("/")[0], len(order)), name))
    z = [[row.categories[name]["subtasks"].get(s) for s in SUBTASKS] for name in names]
    figure = go.Figure(go.Heatmap(
        z=z, x=[SHORT_TITLES[s] for s in SUBTASKS], y=[plotly_text(n) for n in names], zmin=0, zmax=100,
        colorscale="RdYlGn", colorbar={"title": "%"}, texttemplate="%{z:.2f}", hoverongaps=False,
        hovertemplate="%{y} · %{x}: %{z:.2f}%<extra></extra>"))
    figure.update_layout(title=plotly_text(f"{row.model}: accuracy (%) per category × subtask, official protocol"),
                         template="plotly_white", height=max(420, 20 * len(names) + 160),
                         yaxis={"autorange": "reversed", "automargin": True}, margin={"t": 60, "l": 10, "r": 10})
    return figure


VERDICT_COLORS = {A_BETTER: "#1565c0", B_BETTER: "#c62828"}


def compare_figure(comparison: Comparison, a_label: str, b_label: str) -> go.Figure:
    """A − B for the Average and each subtask, a dot with its 95% interval as error bars, zero marked;
    blue where A is better, red where B is, grey where the interval crosses zero."""
    scopes = list(reversed(comparison.scopes))  # the Average on top
    kind = "paired" if comparison.paired else "unpaired"
    figure = go.Figure(go.Scatter(
        x=[s.difference for s in scopes], y=[s.scope for s in scopes], mode="markers",
        marker={"size": 11, "color": [VERDICT_COLORS.get(s.verdict, "#757575") for s in scopes]},
        error_x={"type": "data", "symmetric": False, "thickness": 2, "width": 6,
                 "array": [None if s.high is None else s.high - s.difference for s in scopes],
                 "arrayminus": [None if s.low is None else s.difference - s.low for s in scopes]},
        hovertext=[plotly_text(f"{s.scope}: A {s.a:.2f} − B {s.b:.2f} = {s.difference:+.2f} · {s.verdict}")
                   for s in scopes], hoverinfo="text", showlegend=False))
    figure.add_vline(x=0, line_color="#424242", line_width=1)
    figure.update_layout(
        title=plotly_text(f"A − B (points), 95% {kind} interval, {comparison.protocol} protocol") + "<br><sup>"
        + plotly_text(f"A: {_short(a_label, 70)}   ·   B: {_short(b_label, 70)}") + "<br>"
        + "blue: A better · red: B better · grey: no detectable difference at 95%</sup>",
        template="plotly_white", height=460, margin={"l": 10, "r": 20, "t": 110, "b": 50},
        xaxis={"title": "difference A − B (accuracy points; right of 0: A higher)", "zeroline": False},
        yaxis={"type": "category", "automargin": True})
    return figure


def choices(rows: Sequence[Row]) -> list[tuple[str, str]]:
    """(label, id) pairs for the radar's picker, best first; plain text (the dropdown shows it literally)."""
    ordered = sorted(rows, key=lambda r: (-(r.average or 0), r.model.casefold()))
    names = unique_labels(ordered)
    return [(names[r.id], r.id) for r in ordered]
