"""The Leaderboard tab: search, view, filters, columns, the table, downloads and the row detail."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from space import ranking, render, taxonomy
from space.ui.callbacks import DETAIL_PLACEHOLDER


@dataclass
class LeaderboardTab:
    """The tab's components, for wiring."""

    search: gr.Textbox
    view: gr.Dropdown
    show: gr.Radio
    sort_by: gr.Dropdown
    types: gr.CheckboxGroup
    sizes: gr.CheckboxGroup
    setting_choices: gr.CheckboxGroup
    exposures: gr.CheckboxGroup
    measured: gr.CheckboxGroup
    protocols: gr.CheckboxGroup
    coverages: gr.CheckboxGroup
    show_reference: gr.Checkbox
    preset: gr.Radio
    columns: gr.CheckboxGroup
    note: gr.Markdown
    table: gr.Dataframe
    page: gr.Number
    csv_button: gr.DownloadButton
    json_button: gr.DownloadButton
    detail: gr.Markdown
    heatmap: gr.Plot
    focus: gr.State

    @property
    def controls(self) -> list[gr.components.Component]:
        """Every control of the view, in the order the callbacks take them."""
        return [self.search, self.view, self.show, self.sort_by, self.sizes, self.types, self.setting_choices,
                self.exposures, self.measured, self.protocols, self.coverages, self.show_reference, self.columns]


def build_leaderboard_tab() -> LeaderboardTab:
    """Lay out the tab inside the current `gr.Tab`; the values come from the callbacks on load."""
    with gr.Row(equal_height=True):
        search = gr.Textbox(value="", label="Search (filters as you type)", elem_id="board-search",
                            placeholder="model, source, note…  (e.g. qwen 72b)", scale=3, max_length=200)
        view = gr.Dropdown(list(ranking.VIEWS), value=ranking.OVERALL, label="View", scale=1)
        sort_by = gr.Dropdown(list(ranking.SORT_CHOICES), value="Average", label="Sort by", scale=1)
    with gr.Row(equal_height=True):
        show = gr.Radio(list(ranking.SHOW_CHOICES), value=ranking.COMPARABLE_ONLY, label="Show",
                        scale=1, elem_id="show-control")
        preset = gr.Radio(list(render.PRESETS), value=render.DEFAULT_PRESET, label="Columns", scale=1,
                          elem_id="column-preset")
    with gr.Accordion("Filters (they apply to both Show choices)", open=False):
        with gr.Row():
            types = gr.CheckboxGroup(list(ranking.TYPES), value=list(ranking.TYPES), label="Type")
            sizes = gr.CheckboxGroup(list(ranking.SIZE_BUCKETS), value=list(ranking.SIZE_BUCKETS),
                                     label="Size")
            setting_choices = gr.CheckboxGroup(list(taxonomy.SETTINGS), value=list(taxonomy.SETTINGS),
                                               label="Setting")
        with gr.Row():
            exposures = gr.CheckboxGroup(list(taxonomy.TRAINING_EXPOSURES),
                                         value=list(taxonomy.TRAINING_EXPOSURES),
                                         label="Training exposure")
            measured = gr.CheckboxGroup(list(taxonomy.MEASURED_BY), value=list(taxonomy.MEASURED_BY),
                                        label="Measured by")
        with gr.Row():
            protocols = gr.CheckboxGroup(list(taxonomy.PROTOCOLS), value=list(taxonomy.PROTOCOLS),
                                         label="Protocol")
            coverages = gr.CheckboxGroup(list(taxonomy.COVERAGES), value=list(taxonomy.COVERAGES),
                                         label="Coverage")
            show_reference = gr.Checkbox(value=True, label="Show reference lines (human, random)")
    with gr.Accordion("Custom columns", open=False):
        columns = gr.CheckboxGroup(list(render.OPTIONAL_COLUMNS), value=list(render.DEFAULT_COLUMNS),
                                   label="Columns shown (a column empty in every shown row is left out)")
    note = gr.Markdown(elem_id="board-note")
    table = gr.Dataframe(interactive=False, pinned_columns=2, wrap=False, max_height=640,
                         elem_id="board-table", buttons=["copy", "fullscreen"],
                         label="Leaderboard (accuracy in %; select a row for its details)")
    with gr.Row(elem_id="board-downloads"):
        page = gr.Number(value=1, minimum=1, precision=0, step=1, label="Page", visible=False, elem_id="board-page",
                         min_width=120, scale=0)
        csv_button = gr.DownloadButton("Download table (CSV)", size="sm", elem_id="download-csv")
        json_button = gr.DownloadButton("Download table (JSON)", size="sm", elem_id="download-json")
    with gr.Group():
        detail = gr.Markdown(DETAIL_PLACEHOLDER, elem_id="row-detail-text")
        heatmap = gr.Plot(visible=False, label="Per-category breakdown", elem_id="row-heatmap")
    return LeaderboardTab(search=search, view=view, show=show, sort_by=sort_by, types=types, sizes=sizes,
                          setting_choices=setting_choices, exposures=exposures, measured=measured,
                          protocols=protocols, coverages=coverages, show_reference=show_reference, preset=preset,
                          columns=columns, note=note, table=table, page=page, csv_button=csv_button, json_button=json_button,
                          detail=detail, heatmap=heatmap, focus=gr.State(""))
