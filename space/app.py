"""The MMAD leaderboard Space: `build_demo(...)` builds the Gradio app; run this file to serve it.

    python space/app.py            # bundled results, http://127.0.0.1:7860 (GRADIO_SERVER_NAME/PORT honoured)
    python space/app.py --demo     # plus a synthetic answer key and a sample prediction file to submit
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # `python space/app.py`: make the project importable without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # the board makes no calls home

import gradio as gr

from mmad_dataset import MMADError
from space import about, identity, render
from space.envs import Settings, load_settings
from space.scoring import KeyInfo, resolve_key, temporary_folder
from space.storage import HubStore, LocalStore, Store
from space.ui.about_tab import build_about_tab
from space.ui.callbacks import BoardApp
from space.ui.charts_tab import ChartsTab, build_charts_tab
from space.ui.compare_callbacks import CompareCallbacks
from space.ui.compare_tab import CompareTab, build_compare_tab
from space.ui.leaderboard_tab import LeaderboardTab, build_leaderboard_tab
from space.ui.submit_tab import SubmitTab, build_submit_tab

_FROM_SETTINGS = object()
CSS = """
.gradio-container {max-width: 1500px !important; margin: 0 auto !important; --rank-width: RANK_WIDTHpx}
#board-table [role=gridcell], #board-table [role=gridcell] *, #board-table [role=columnheader] {
  font-family: var(--font) !important; font-size: 0.84rem}
/* one line per row (the detail panel holds the long text), headers may wrap */
#board-table [role=columnheader], #board-table [role=columnheader] * {white-space: normal !important;
  text-overflow: clip !important; overflow-wrap: normal}
/* gradio 6.31's virtual grid keeps pinned_columns as state only: pin Rank and Model with CSS */
#board-table [data-col="0"], #board-table [data-heading="0"] {position: sticky; left: 0; z-index: 3}
#board-table [data-col="1"], #board-table [data-heading="1"] {position: sticky; left: var(--rank-width); z-index: 3;
  box-shadow: 2px 0 3px -2px rgba(0, 0, 0, 0.25)}
#board-table [data-col="0"], #board-table [data-col="1"] {background: var(--table-odd-background-fill)}
#board-meta {color: var(--body-text-color-subdued); font-size: 0.85rem}
#board-note {font-size: 0.9rem}
/* the detail's tables: short cells stay whole words, long ones (title, locator) take the wrapping */
#row-detail-text td, #row-detail-text th {overflow-wrap: normal !important; word-break: normal !important}
"""
CSS = CSS.replace("RANK_WIDTH", str(render.WIDTHS["Rank"]))  # Model is pinned right after Rank


def make_store(settings: Settings) -> Store:
    """A throwaway folder in demo mode (never the real store: demo results would land there), else a
    Hub store when a submissions repo is configured, else the local folder."""
    if settings.demo:
        return LocalStore(temporary_folder("mmad-demo-store-"))
    if settings.submissions_repo:
        mirror = Path(os.environ.get("HF_HOME") or tempfile.gettempdir()) / "mmad-submissions-mirror"
        return HubStore(settings.submissions_repo, token=settings.hf_token, mirror=mirror,
                        endpoint=settings.hub_endpoint)
    return LocalStore(settings.store_dir)


def build_demo(settings: Settings | None = None, *, store: Store | None = None, key=_FROM_SETTINGS,
               enable_login: bool | None = None) -> gr.Blocks:
    """The whole app. `key`: a KeyInfo, None (no key: board only), or default (from settings).

    `enable_login` defaults to whether login is required; gr.LoginButton contacts the Hub while
    the app is built, so tests and offline runs keep it off.
    """
    settings = settings or load_settings()
    identity.check_settings(settings)
    store = store if store is not None else make_store(settings)
    key_info: KeyInfo | None = resolve_key(settings) if key is _FROM_SETTINGS else key
    enable_login = settings.login_required if enable_login is None else enable_login
    app = BoardApp(settings, store, key_info)

    # Uploads that are never submitted stay in Gradio's temp folder (each up to MMAD_MAX_UPLOAD_MB):
    # every hour, delete this app's temp files older than an hour (and all of them at restart).
    with gr.Blocks(title="MMAD leaderboard", delete_cache=(3600, 3600)) as demo:
        gr.Markdown(f"# {about.TITLE}")
        gr.Markdown(about.INTRODUCTION)
        meta = gr.Markdown(elem_id="board-meta")
        # submit/refresh/rescore return the header too (their API keeps that shape); it lands in this hidden
        # sink so that an error pill never covers the visible header, which the page then recomputes
        discarded = gr.Markdown(visible=False)
        with gr.Tabs() as tabs:
            with gr.Tab("Leaderboard", id="board"):
                board = build_leaderboard_tab()
            with gr.Tab("Charts", id="charts"):
                charts = build_charts_tab()
            with gr.Tab("Compare", id="compare"):
                compare = build_compare_tab()
            with gr.Tab("Submit", id="submit"):
                submit = build_submit_tab(settings, key_info, enable_login)
            with gr.Tab("About", id="about"):
                build_about_tab()
        _wire_board(app, board, charts)
        _wire_submit(app, submit, board, charts, meta, discarded)
        gr.api(app.leaderboard_api, api_name="leaderboard")
        _wire_compare(CompareCallbacks(app), demo, tabs, compare)
        _wire_load(app, demo, board, charts, submit, meta)
    return demo


def _views(board: LeaderboardTab, charts: ChartsTab) -> tuple[tuple, tuple]:
    """(inputs, outputs) of the table refresh and of the charts refresh."""
    table_views = ([*board.controls], [board.table, board.note, board.detail, board.heatmap])
    chart_views = ([*board.controls, charts.chosen], [charts.bar, charts.radar, charts.chosen])
    return table_views, chart_views


def _wire_board(app: BoardApp, board: LeaderboardTab, charts: ChartsTab) -> None:
    """Every control refreshes the table and the charts; a row selection shows its detail; downloads."""
    table_views, chart_views = _views(board, charts)
    for control in board.controls:
        event = control.submit if control is board.search else control.change
        event(app.refresh_table, *table_views, api_visibility="private")
        event(app.charts, *chart_views, api_visibility="private")
    charts.chosen.input(lambda *values: app.charts(*values, keep_empty=True), *chart_views,
                        api_visibility="private")
    board.table.select(app.row_detail, [board.view], [board.detail, board.heatmap], api_visibility="private").then(
        None, None, None, js="() => document.getElementById('row-detail-text')?.scrollIntoView({block: 'start'})")
    for button, fmt in ((board.csv_button, "csv"), (board.json_button, "json")):
        button.click(functools.partial(app.export, fmt=fmt), board.controls, board.download,
                     api_name=f"export_{fmt}").then(
            lambda: gr.File(visible=True), None, board.download, api_visibility="private")


def _wire_submit(app: BoardApp, submit: SubmitTab, board: LeaderboardTab, charts: ChartsTab, meta: gr.Markdown,
                 discarded: gr.Markdown) -> None:
    """Submit, refresh and re-score; after each, the header, the table and the charts are recomputed."""
    table_views, chart_views = _views(board, charts)
    submitted = submit.submit_button.click(
        app.submit, [submit.predictions, submit.model_name, submit.link, submit.license_box, submit.size,
                     submit.model_type, submit.setting, submit.training_exposure, submit.notes],
        [submit.outcome, submit.status, discarded], api_name="submit", concurrency_limit=4)
    for done in (submitted,
                 submit.refresh_button.click(app.refresh, None, [submit.status, discarded], api_name="refresh"),
                 submit.rescore_button.click(app.rescore, [submit.admin_token], [submit.rescore_outcome, discarded],
                                             api_name="rescore")):
        done.success(lambda: app.header(), None, [meta, submit.status], api_visibility="private").success(
            app.refresh_table, *table_views, api_visibility="private").success(
            app.charts, *chart_views, api_visibility="private")


def _wire_compare(comparer: CompareCallbacks, demo: gr.Blocks, tabs: gr.Tabs, compare: CompareTab) -> None:
    """The Compare button, the `/compare` API, and `?compare=A,B` opening the tab on that pair."""
    compare.button.click(comparer.view, [compare.a, compare.b], compare.results, api_visibility="private")
    gr.api(comparer.api, api_name="compare")
    demo.load(comparer.on_load, None, [tabs, compare.a, compare.b, *compare.results], api_visibility="private")


def _wire_load(app: BoardApp, demo: gr.Blocks, board: LeaderboardTab, charts: ChartsTab, submit: SubmitTab,
               meta: gr.Markdown) -> None:
    """What each page load fills in: the header, the table, the charts, the admin panel, the sample file."""
    table_views, chart_views = _views(board, charts)
    demo.load(app.header, None, [meta, submit.status], api_name="header", api_visibility="public")
    demo.load(app.refresh_table, *table_views, api_visibility="private")
    demo.load(app.charts, *chart_views, api_visibility="private")
    demo.load(app.admin_panel, None, submit.admin, api_visibility="private")
    if submit.sample is not None:
        demo.load(lambda: str(app.key_info.sample_predictions), None, submit.sample, api_visibility="private")


def launch_options(settings: Settings) -> dict:
    """What `launch()` needs besides the address: upload cap, theme, CSS."""
    return {"max_file_size": settings.max_upload_bytes, "css": CSS,
            "theme": gr.themes.Soft(primary_hue="blue", neutral_hue="slate"), "footer_links": ["api"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the MMAD leaderboard.")
    parser.add_argument("--demo", action="store_true",
                        help="score against a synthetic mini benchmark and offer a sample prediction file")
    args = parser.parse_args(argv)
    if args.demo:
        os.environ["MMAD_DEMO"] = "1"
    settings = load_settings()
    try:
        identity.check_settings(settings)
    except MMADError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    # SIGTERM (a container or service manager stopping the app) exits like Ctrl-C, so atexit removes
    # the demo's temporary folders.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    build_demo(settings).queue(default_concurrency_limit=2).launch(**launch_options(settings))


if __name__ == "__main__":
    main()
