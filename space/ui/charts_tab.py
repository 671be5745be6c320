"""The Charts tab: averages bar chart, and a subtask radar of picked models."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from space.charts import RADAR_LIMIT


@dataclass
class ChartsTab:
    """The tab's components, for wiring."""

    scope: gr.Markdown
    bar: gr.Plot
    chosen: gr.Dropdown
    radar: gr.Plot


def build_charts_tab() -> ChartsTab:
    """Lay out the tab inside the current `gr.Tab`; the figures come from `BoardApp.charts`."""
    scope = gr.Markdown(elem_id="charts-scope")
    bar = gr.Plot(label="Averages", elem_id="bar-chart")
    # custom values allowed: a live search changes the choices while a pick is in flight (the callback drops
    # ids no longer in view)
    chosen = gr.Dropdown([], value=None, multiselect=True, elem_id="radar-picker", max_choices=RADAR_LIMIT,
                         allow_custom_value=True,
                         label=f"Models in the radar chart (up to {RADAR_LIMIT})")
    radar = gr.Plot(label="Subtasks", elem_id="radar-chart")
    return ChartsTab(scope=scope, bar=bar, chosen=chosen, radar=radar)
