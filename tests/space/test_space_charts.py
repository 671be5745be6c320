"""The board's figures: one bar per entry within 0–100, top-N said, reference lines or a note why
not, radar axes 0–100 with an empty state, literal labels, the per-category heat map."""

from __future__ import annotations

from board_entries import BUNDLED, row, verified

from mmad_dataset import SOURCES, SUBTASKS
from space import charts, ranking
from space.ranking import ALL_ENTRIES, Filters


def bars(figure) -> list[tuple[str, float]]:
    """(category id, value) of every bar across the figure's bar traces."""
    return [(y, x) for trace in figure.data if trace.type == "bar" for y, x in zip(trace.y, trace.x)]


def tick_labels(figure) -> dict[str, str]:
    return dict(zip(figure.layout.yaxis.tickvals, figure.layout.yaxis.ticktext))


def test_entries_sharing_a_label_get_a_bar_each_and_no_bar_passes_100():
    twins = [row(id="gpt-paper", model="GPT-4o", average=74.92, size=None),
             row(id="gpt-csv", model="GPT-4o", average=74.31, size=None),
             row(id="other", model="GPT-4o", average=74.31, size=None, measured_by="third party")]
    figure = charts.bar_figure(ranking.board_view(twins))
    assert sorted(bars(figure)) == [("gpt-csv", 74.31), ("gpt-paper", 74.92), ("other", 74.31)]
    labels = tick_labels(figure)
    assert len(set(labels.values())) == 3 and all(label.startswith("GPT-4o (1-shot)") for label in labels.values())
    assert list(figure.layout.xaxis.range) == [0, 100]
    long = "InternLM-XComposer2-VL-7B-with-a-very-long-checkpoint-name"
    cut = charts.unique_labels([row(id=f"{long}-1-shot-paper", model=long), row(id=f"{long}-1-shot-csv", model=long)])
    assert all(len(label) <= charts.LABEL_CHARS and "…" in label for label in cut.values())
    assert {label.rsplit(" · ", 1)[1] for label in cut.values()} == {"paper", "csv"}
    bundled = charts.bar_figure(ranking.board_view(BUNDLED, Filters(show=ALL_ENTRIES)), limit=200)
    ids = [bar_id for bar_id, _ in bars(bundled)]
    assert len(ids) == len(set(ids)) == sum(r.status != "reference" for r in BUNDLED)
    assert max(value for _, value in bars(bundled)) <= 100


def test_top_n_is_said_and_long_labels_are_shortened_visibly():
    rows = [row(id=f"m{i}", model=f"Model-{i}-" + "x" * 60, average=40.0 + i) for i in range(12)]
    figure = charts.bar_figure(ranking.board_view(rows), limit=5)
    assert "top 5 of 12 entries" in figure.layout.title.text
    assert {bar_id for bar_id, _ in bars(figure)} == {f"m{i}" for i in range(7, 12)}
    assert all(label.endswith("…") and len(label) == charts.LABEL_CHARS for label in tick_labels(figure).values())
    full = charts.bar_figure(ranking.board_view(rows[:3]))
    assert "3 entries" in full.layout.title.text and "top" not in full.layout.title.text


def test_reference_lines_drawn_where_they_have_numbers_and_explained_where_not():
    per_source = {src: {"average": 88.0, "subtasks": {s: 88.0 for s in SUBTASKS}} for src in SOURCES}
    expert = row(id="expert", model="Human (expert)", status="reference", average=86.65,
                 result={"average": 86.65, "subtasks": {s: 86.65 for s in SUBTASKS}, "sources": per_source})
    ordinary = row(id="ordinary", model="Human (ordinary)", status="reference", average=78.69)
    entries = [verified(average=70.0)]
    overall = charts.bar_figure(ranking.board_view(entries), [expert, ordinary])
    assert sorted(shape.x0 for shape in overall.layout.shapes) == [78.69, 86.65]
    visa = charts.bar_figure(ranking.board_view(entries, view="VisA"), [expert, ordinary])
    assert [shape.x0 for shape in visa.layout.shapes] == [88.0]
    assert any("Not drawn: Human (ordinary)" in a.text for a in visa.layout.annotations)


def test_empty_bar_chart_and_radar_say_why():
    empty = charts.bar_figure(ranking.board_view([row()], Filters(search="nothing-matches")))
    assert not bars(empty) and "No entries match" in empty.layout.annotations[0].text
    assert "No entries match" in charts.radar_figure([], [], view="VisA").layout.annotations[0].text
    radar = charts.radar_figure([row(id="a")], [], view="VisA")
    assert not radar.data and "Pick models" in radar.layout.annotations[0].text
    assert radar.layout.xaxis.visible is False  # no meaningless −1…6 grid
    no_numbers = charts.radar_figure([row(id="a")], ["a"], view="VisA")
    assert "None of the picked models" in no_numbers.layout.annotations[0].text


def test_radar_uses_0_to_100_axes_in_every_view():
    mine = verified(average=60.0)
    for view in ranking.VIEWS:
        figure = charts.radar_figure([mine], [mine.id], view=view)
        assert list(figure.layout.polar.radialaxis.range) == [0, 100] and len(figure.data) == 1
    assert list(charts.radar_figure([mine], [mine.id], "VisA").data[0].r)[:7] == [59.0] * 7


def test_labels_render_literally_in_plotly_and_in_the_picker():
    name = 'A & B "q" <b>x</b>'
    entry = row(id="odd", model=name, size=None)
    figure = charts.bar_figure(ranking.board_view([entry]))
    label = tick_labels(figure)["odd"]
    assert label == 'A &amp; B "q" &lt;b&gt;x&lt;/b&gt; (1-shot)'  # plotly decodes exactly these entities once
    assert "&quot;" not in label and "&amp;amp;" not in label
    assert charts.choices([entry]) == [('A & B "q" <b>x</b> (1-shot)', "odd")]


def test_category_heatmap_of_a_verified_row():
    mine = verified()
    figure = charts.category_heatmap(mine)
    heat = figure.data[0]
    assert list(heat.y) == ["DS-MVTec/bottle", "MVTec-LOCO/pushpins", "VisA/candle"]  # in the benchmark's order
    assert list(heat.x) == [ranking.SHORT_TITLES[s] for s in SUBTASKS] and heat.texttemplate == "%{z:.2f}"
    assert list(heat.z[0]) == [50.0] * 7 and (heat.zmin, heat.zmax) == (0, 100)
    assert charts.category_heatmap(row()) is None


def test_radar_series_are_told_apart_named_as_in_the_picker_and_ticks_sit_off_the_axes():
    """Two runs of one model: the legend says which run exactly as the picker does; 8 picks draw 6 series,
    each its own colour and dash; the tick labels lie between two subtask spokes."""
    runs = [row(id="gpt-4o-1-shot-mmad-paper", model="GPT-4o", average=74.9),
            row(id="gpt-4o-1-shot-mmad-csv", model="GPT-4o", average=74.3),
            *(row(id=f"m{i}", model=f"Model-{i}", average=60.0 + i) for i in range(6))]
    picker = charts.choices(runs)
    names = {value: name for name, value in picker}
    figure = charts.radar_figure(runs, [value for _, value in picker], names=names)
    assert [t.name for t in figure.data] == [name for name, _ in picker][:charts.RADAR_LIMIT]
    assert any(t.name.endswith("· paper") for t in figure.data) and any(t.name.endswith("· csv") for t in figure.data)
    assert len({t.line.color for t in figure.data}) == len({t.line.dash for t in figure.data}) == charts.RADAR_LIMIT
    polar = figure.layout.polar
    spokes = [(polar.angularaxis.rotation + i * 360 / len(SUBTASKS)) % 360 for i in range(len(SUBTASKS))]
    assert min(abs(polar.radialaxis.angle % 360 - spoke) for spoke in spokes) >= 360 / len(SUBTASKS) / 2 - 0.01
    assert 100 not in polar.radialaxis.tickvals  # no "100" on the outer ring next to a subtask's title


def test_value_labels_sit_inside_the_bars_and_reference_lines_below_them():
    board = ranking.board_view([row(id=f"m{i}", model=f"M{i}", average=70.0 + i) for i in range(3)])
    reference = row(id="ref", model="Human (ordinary)", average=71.5, status="reference")
    figure = charts.bar_figure(board, [reference])
    assert {t.textposition for t in figure.data} == {"inside"}
    # at the bar's base, away from its error bar at the bar's end
    assert {t.insidetextanchor for t in figure.data} == {"start"} and all(t.error_x.array for t in figure.data)
    assert [shape.layer for shape in figure.layout.shapes] == ["below"]
