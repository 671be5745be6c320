"""The Compare tab: two rows, the difference of every number with its 95% interval, and the verdict."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from space.ui.compare_callbacks import PLACEHOLDER, TABLE_COLUMNS

INTRO = """
Pick two rows. For the Average and each subtask: A − B with its 95% interval, and a verdict — a row is
better only when the whole interval is on its side of zero. Two **verified** rows are compared **paired**
(their prediction files on the same questions: sharper); a pair with a **reported** row only **unpaired**,
from each row's own interval. Link to a comparison with `?compare=<id>,<id>` (ids are in the row detail).
"""


@dataclass
class CompareTab:
    """The tab's components, for wiring."""

    a: gr.Dropdown
    b: gr.Dropdown
    button: gr.Button
    verdict: gr.Markdown
    figure: gr.Plot
    table: gr.Dataframe

    @property
    def results(self) -> list[gr.components.Component]:
        return [self.verdict, self.figure, self.table]


def build_compare_tab() -> CompareTab:
    """Lay out the tab inside the current `gr.Tab`; the choices come from the page load."""
    gr.Markdown(INTRO)
    with gr.Row(equal_height=True):
        a = gr.Dropdown([], label="A", elem_id="compare-a", scale=3)
        b = gr.Dropdown([], label="B", elem_id="compare-b", scale=3)
        button = gr.Button("Compare", variant="primary", elem_id="compare-button", scale=1)
    verdict = gr.Markdown(PLACEHOLDER, elem_id="compare-verdict")
    figure = gr.Plot(label="A − B with its 95% interval", elem_id="compare-chart")
    table = gr.Dataframe(headers=TABLE_COLUMNS, interactive=False, wrap=True, elem_id="compare-table",
                         label="Every compared number")
    return CompareTab(a=a, b=b, button=button, verdict=verdict, figure=figure, table=table)
