"""The Charts tab: averages bar chart, and a subtask radar of picked models."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr


@dataclass
class ChartsTab:
    """The tab's components, for wiring."""

    bar: gr.Plot
    chosen: gr.Dropdown
    radar: gr.Plot


def build_charts_tab() -> ChartsTab:
    """Lay out the tab inside the current `gr.Tab`; the figures come from `BoardApp.charts`."""
    bar = gr.Plot(label="Averages", elem_id="bar-chart")
    chosen = gr.Dropdown([], value=None, multiselect=True, elem_id="radar-picker",
                         label="Models in the radar chart (up to ~6 reads well)")
    radar = gr.Plot(label="Subtasks", elem_id="radar-chart")
    return ChartsTab(bar=bar, chosen=chosen, radar=radar)
