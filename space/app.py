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


def _require_space_extra() -> None:
    """`python space/app.py` without the `space` extra: one line naming the install, exit 2, no traceback."""
    from mmad.cli import missing_extra

    try:
        import gradio  # noqa: F401
        import plotly  # noqa: F401
    except ModuleNotFoundError as exc:
        print(f"error: {missing_extra(exc) or exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    _require_space_extra()

import gradio as gr

from mmad_dataset import MMADError
from space import about, identity, render, uploads
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
.gradio-container {--rank-width: RANK_WIDTHpx}
#board-table [role=gridcell], #board-table [role=gridcell] *, #board-table [role=columnheader] {
  font-family: var(--font) !important; font-size: 0.84rem}
/* one line per row, long text cut with an ellipsis (the row detail holds the whole text); headers may wrap */
#board-table [role=gridcell] > *, #board-table [role=gridcell] p {overflow: hidden !important;
  text-overflow: ellipsis !important; white-space: nowrap !important}
#board-table [role=columnheader], #board-table [role=columnheader] * {white-space: normal !important;
  text-overflow: clip !important; overflow-wrap: normal}
/* gradio 6.31's virtual grid keeps pinned_columns as state only: pin Rank and Model with CSS */
#board-table [data-col="0"], #board-table [data-heading="0"] {position: sticky; left: 0; z-index: 3}
#board-table [data-col="1"], #board-table [data-heading="1"] {position: sticky; left: var(--rank-width); z-index: 3;
  box-shadow: 2px 0 3px -2px rgba(0, 0, 0, 0.25)}
#board-table [data-col="0"], #board-table [data-col="1"] {background: var(--table-odd-background-fill)}
/* one way to sort, the Sort by control, so the ▼ mark is always true: no per-header sort menu */
#board-table .cell-menu-button {display: none !important}
#board-meta {color: var(--body-text-color-subdued); font-size: 0.85rem}
#board-intro {font-size: 0.92rem}
#board-note {font-size: 0.9rem}
#charts-scope {font-size: 0.9rem; color: var(--body-text-color-subdued)}
#submit-outcome {min-height: 2.5rem}
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

    # Uploads that are never submitted stay in Gradio's temp folder (bounded by space/uploads.py): every
    # TEMP_LIFETIME, delete this app's temp files older than that (and all of them at restart).
    with gr.Blocks(title="MMAD leaderboard", delete_cache=(uploads.TEMP_LIFETIME, uploads.TEMP_LIFETIME),
                   fill_width=True) as demo:
        gr.Markdown(f"# {about.TITLE}")
        gr.Markdown(about.INTRODUCTION, elem_id="board-intro")
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
    """(inputs, outputs) of the table refresh (which keeps the focused row's detail) and of the charts refresh."""
    table_views = ([*board.controls, board.focus], [board.table, board.note, board.detail, board.heatmap, board.page])
    chart_views = ([*board.controls, charts.chosen], [charts.bar, charts.radar, charts.chosen, charts.scope])
    return table_views, chart_views


def _refresh(app: BoardApp, event, board: LeaderboardTab, charts: ChartsTab, **options) -> None:
    """After `event`: the table, then the downloads of the same view, and the charts."""
    table_views, chart_views = _views(board, charts)
    event(app.refresh_table, *table_views, api_visibility="private", **options).then(
        app.downloads, board.controls, [board.csv_button, board.json_button], api_visibility="private")
    event(app.charts, *chart_views, api_visibility="private", **options)


def _wire_board(app: BoardApp, board: LeaderboardTab, charts: ChartsTab) -> None:
    """Every control refreshes the table and the charts (the search as one types: a change while a refresh
    runs is run once after it, with the latest text);
    a column preset fills the column choice; a row selection shows its detail; downloads in one click; the
    page control (shown for more than MAX_PAGE_ROWS rows) turns the table's pages."""
    (table_inputs, table_outputs), chart_views = _views(board, charts)
    for control in board.controls:
        _refresh(app, control.change, board, charts)  # .change runs the latest value after a pending one
    board.page.input(app.refresh_table, [*table_inputs, board.page], table_outputs, api_visibility="private")
    board.preset.input(lambda preset: list(render.PRESETS.get(preset, render.DEFAULT_COLUMNS)), board.preset,
                       board.columns, api_visibility="private")
    charts.chosen.input(lambda *values: app.charts(*values, keep_empty=True), *chart_views,
                        api_visibility="private")
    board.table.select(app.row_detail, [board.view], [board.detail, board.heatmap, board.focus],
                       api_visibility="private").then(
        None, None, None, js="() => document.getElementById('row-detail-text')?.scrollIntoView({block: 'start'})")
    for button, fmt in ((board.csv_button, "csv"), (board.json_button, "json")):
        button.click(functools.partial(app.export, fmt=fmt), board.controls, button, api_name=f"export_{fmt}")


def _wire_submit(app: BoardApp, submit: SubmitTab, board: LeaderboardTab, charts: ChartsTab, meta: gr.Markdown,
                 discarded: gr.Markdown) -> None:
    """Submit (the page's button answers inline; the hidden twin is the /submit API), refresh and re-score;
    after each, the header, the table and the charts are recomputed."""
    table_views, chart_views = _views(board, charts)
    form = [submit.predictions, submit.model_name, submit.link, submit.license_box, submit.size,
            submit.model_type, submit.setting, submit.training_exposure, submit.notes]
    submit.predictions.change(app.check_upload, submit.predictions, submit.outcome, api_visibility="private")
    on_page = submit.submit_button.click(lambda: "*Scoring…*", None, submit.outcome, api_visibility="private").then(
        app.submit_from_page, form, [submit.outcome, submit.status, board.focus, board.show],
        api_visibility="private", concurrency_limit=4, concurrency_id="submit")
    api = submit.api_submit.click(app.submit, form, [discarded, submit.status, discarded], api_name="submit",
                                  concurrency_limit=4, concurrency_id="submit")
    for done in (on_page, api,
                 submit.refresh_button.click(app.refresh, None, [submit.status, discarded], api_name="refresh"),
                 submit.rescore_button.click(app.rescore, [submit.admin_token], [submit.rescore_outcome, discarded],
                                             api_name="rescore")):
        done.success(lambda: app.meta_line(), None, meta, api_visibility="private").success(
            app.refresh_table, *table_views, api_visibility="private").success(
            app.charts, *chart_views, api_visibility="private")


def _wire_compare(comparer: CompareCallbacks, demo: gr.Blocks, tabs: gr.Tabs, compare: CompareTab) -> None:
    """The Compare button, the `/compare` API, and `?compare=A,B` opening the tab on that pair."""
    compare.button.click(comparer.view, [compare.a, compare.b], compare.results, api_visibility="private")
    gr.api(comparer.api, api_name="compare")
    demo.load(comparer.on_load, None, [tabs, compare.a, compare.b, *compare.results], api_visibility="private")


def _wire_load(app: BoardApp, demo: gr.Blocks, board: LeaderboardTab, charts: ChartsTab, submit: SubmitTab,
               meta: gr.Markdown) -> None:
    """What each page load fills in: the header, the focus of a `?row=` link (then the table with its detail,
    the downloads, the charts), the admin panel, the sample file."""
    table_views, chart_views = _views(board, charts)
    demo.load(app.header, None, [meta, submit.status], api_name="header", api_visibility="public")
    demo.load(app.open_link, None, [board.focus, board.show], api_visibility="private").then(
        app.refresh_table, *table_views, api_visibility="private").then(
        app.downloads, board.controls, [board.csv_button, board.json_button], api_visibility="private")
    demo.load(app.charts, *chart_views, api_visibility="private")
    demo.load(app.admin_panel, None, submit.admin, api_visibility="private")
    if submit.sample is not None:
        demo.load(lambda: str(app.key_info.sample_predictions), None, submit.sample, api_visibility="private")


def launch_options(settings: Settings) -> dict:
    """What `launch()` needs besides the address: upload bounds, theme, CSS."""
    return {"max_file_size": settings.max_upload_bytes, "app_kwargs": {"middleware": uploads.middleware(settings)},
            "css": CSS,
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
