"""The MMAD leaderboard Space: `build_demo(...)` builds the Gradio app; run this file to serve it.

    python space/app.py            # bundled results, http://127.0.0.1:7860 (GRADIO_SERVER_NAME/PORT honoured)
    python space/app.py --demo     # plus a synthetic answer key and a sample prediction file to submit
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # `python space/app.py`: make the project importable without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # the board makes no calls home

import gradio as gr
import pandas as pd

from mmad_dataset import MMADError
from space import about, identity, messages, populate, taxonomy
from space.envs import REPORTED_DIR, Settings, load_settings
from space.populate import Filters, Row
from space.scoring import KeyInfo, resolve_key, temporary_folder
from space.storage import HubStore, LocalStore, Store, Stored
from space.submit import DEFAULT_SETTING, DEFAULT_TRAINING_EXPOSURE, Submitter, discard_upload

_FROM_SETTINGS = object()
STATUS_COLUMNS = ["Time (UTC)", "User", "Model", "Setting", "Status", "Detail"]
CSS = """
.gradio-container {max-width: 1500px !important}
#board-table td, #board-table th {font-family: var(--font) !important; font-size: 0.84rem}
#board-meta {color: var(--body-text-color-subdued); font-size: 0.85rem}
"""


class Board:
    """The rows on display: reported entries (read once) plus the store's verified submissions."""

    def __init__(self, store: Store, reported_dir: Path = REPORTED_DIR) -> None:
        self.store = store
        self.reported = [populate.row_from_reported(e) for e in populate.load_reported(reported_dir)]
        self.stored: list[Stored] = []
        self.verified: list[Row] = []
        self.reload()

    def reload(self) -> None:
        """Read every stored submission again (start-up, refresh, after a re-score)."""
        self.stored = self.store.list()
        self.verified = [populate.row_from_submission(s.id, s.metadata, s.result) for s in self.stored]

    def add(self, stored: Stored) -> None:
        """A new submission, without re-reading the store."""
        self.stored.append(stored)
        self.verified.append(populate.row_from_submission(stored.id, stored.metadata, stored.result))

    @property
    def rows(self) -> list[Row]:
        return [*self.verified, *self.reported]


def make_store(settings: Settings) -> Store:
    """A Hub store when a submissions repo is configured, else the local folder (a temp one in demo mode)."""
    if settings.submissions_repo:
        mirror = Path(os.environ.get("HF_HOME") or tempfile.gettempdir()) / "mmad-submissions-mirror"
        return HubStore(settings.submissions_repo, token=settings.hf_token, mirror=mirror,
                        endpoint=settings.hub_endpoint)
    if settings.demo:
        return LocalStore(temporary_folder("mmad-demo-store-"))
    return LocalStore(settings.store_dir)


def _user(profile: gr.OAuthProfile | None, settings: Settings) -> str:
    try:
        return identity.user(profile, settings)
    except MMADError as exc:
        raise gr.Error(messages.for_page(str(exc)), print_exception=False) from None


def _client(request: gr.Request | None) -> str:
    """The caller's address, for limiting failed attempts per address."""
    return str(getattr(getattr(request, "client", None), "host", "") or "")


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
    board = Board(store)
    startup_note = ""
    if key_info is not None and settings.rescore_on_start:
        from space.rescore import rescore_all, stale

        outdated = stale(board.stored, key_info)
        if outdated:
            report = rescore_all(store, key_info, max_bytes=settings.max_upload_bytes, submissions=outdated)
            board.reload()
            startup_note = f" · at start: {report.summary().splitlines()[0].replace('submission(s)', 'stale result(s)')}"
    submitter = Submitter(store, key_info, max_per_day=settings.max_per_day, max_bytes=settings.max_upload_bytes)
    export_dir = Path(tempfile.mkdtemp(prefix="mmad-board-export-"))

    def filtered(search, sizes, types, setting_choices, provenances, trained, show_reference) -> list[Row]:
        """Rows passing the controls; a control left at None (an API caller omitting it) selects everything."""
        chosen = {name: value for name, value in (("sizes", sizes), ("types", types), ("settings", setting_choices),
                                                  ("provenances", provenances)) if value is not None}
        filters = Filters(search or "", trained=trained or "include", show_reference=bool(show_reference), **chosen)
        return populate.filter_rows(board.rows, filters)

    def leaderboard(search: str = "", view: str = populate.OVERALL, sort_by: str = "Average",
                    sizes: list[str] | None = None, types: list[str] | None = None,
                    setting_choices: list[str] | None = None, provenances: list[str] | None = None,
                    trained: str = "include", show_reference: bool = True, columns: list[str] | None = None):
        """The main table for the given view, filters, sort and columns."""
        rows = filtered(search, sizes, types, setting_choices, provenances, trained, show_reference)
        return populate.table(rows, view or populate.OVERALL, columns or populate.DEFAULT_COLUMNS, sort_by)

    def reshaped(*controls):
        """The table with new columns: their display types change with them."""
        frame = leaderboard(*controls)
        return gr.Dataframe(value=frame, datatype=populate.datatypes(frame), column_widths=populate.column_widths(frame))

    def charts(search, view, sort_by, sizes, types, setting_choices, provenances, trained, show_reference, columns,
               chosen):
        rows = filtered(search, sizes, types, setting_choices, provenances, trained, show_reference)
        picker = populate.choices([r for r in rows if r.status != "reference"])
        kept = [c for c in (chosen or []) if c in {value for _, value in picker}] or [v for _, v in picker[:4]]
        references = [r for r in board.rows if r.status == "reference" and show_reference]
        return (populate.bar_figure(rows, references, view), populate.radar_figure(board.rows, kept, view),
                gr.Dropdown(choices=picker, value=kept))

    def export(fmt, search, view, sort_by, sizes, types, setting_choices, provenances, trained, show_reference,
               columns):
        rows = filtered(search, sizes, types, setting_choices, provenances, trained, show_reference)
        frame = populate.plain_table(rows, view or populate.OVERALL)
        path = Path(tempfile.mkdtemp(dir=export_dir)) / f"mmad_leaderboard.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            path.write_text(json.dumps(frame.to_dict(orient="records"), indent=2, ensure_ascii=False), "utf-8")
        return str(path)

    def status_table() -> pd.DataFrame:
        stored = [[s.metadata.get("submitted_at", ""), s.metadata.get("user", ""), s.metadata.get("model_name", ""),
                   s.metadata.get("setting", ""), "scored",
                   f"average {s.result['official']['average']:.2f} · {s.id}"] for s in board.stored]
        failed = [[a.at, a.user, a.model, a.setting, a.status, a.detail] for a in submitter.attempts
                  if a.status != "scored"]
        rows = sorted([*stored, *failed], key=lambda r: r[0], reverse=True)[:100]
        return pd.DataFrame(rows, columns=STATUS_COLUMNS)

    def meta_line() -> str:
        key_text = key_info.description if key_info else "none configured"
        return (f"Last updated: **{populate.last_updated(board.rows)}** · {len(board.verified)} verified, "
                f"{len(board.reported)} reported entries · store: {store.describe()} · answer key: {key_text}"
                f"{startup_note}{messages.for_page(' · ' + store.health()) if store.health() else ''}")

    def submit(predictions: str | None, model_name: str, link: str = "", license: str = "", size: str = "",
               model_type: str = "open", setting: str = DEFAULT_SETTING,
               training_exposure: str = DEFAULT_TRAINING_EXPOSURE, notes: str = "",
               profile: gr.OAuthProfile | None = None, request: gr.Request = None):
        """Score a prediction file (JSONL or upstream answers JSON) and add it to the board."""
        metadata = {"model_name": model_name, "link": link, "license": license, "size": size,
                    "model_type": model_type, "setting": setting, "training_exposure": training_exposure,
                    "notes": notes}
        try:
            user = _user(profile, settings)
            stored = submitter.submit(predictions or b"", metadata, user, client=_client(request))
        except MMADError as exc:
            raise gr.Error(messages.for_page(str(exc)), print_exception=False) from None
        finally:
            discard_upload(predictions, gr.utils.get_upload_folder())
        board.add(stored)
        official, strict = stored.result["official"], stored.result["strict"]
        message = (f"✓ Scored and stored as `{stored.id}`: official average **{official['average']:.2f}**, "
                   f"strict average **{strict['average']:.2f}**, coverage {official['coverage']:.1f}%. "
                   f"The row is on the board now.")
        return message, status_table(), meta_line()

    def rescore(admin_token: str = "", profile: gr.OAuthProfile | None = None):
        """Admins only: re-score every stored prediction file with the current scorer and key."""
        from space.rescore import rescore_all

        try:
            identity.check_admin(profile, settings, admin_token)
            if key_info is None:
                raise identity.NotAllowed("no answer key is configured")
            report = rescore_all(store, key_info, max_bytes=settings.max_upload_bytes)
        except MMADError as exc:
            raise gr.Error(messages.for_page(str(exc)), print_exception=False) from None
        board.reload()
        return messages.bounded(report.summary()), meta_line()

    def refresh():
        """Read the store again; when the Hub does not answer, the mirror is shown and the meta line says so."""
        store.refresh()
        submitter.reload()
        board.reload()
        return status_table(), meta_line()

    def admin_panel(profile: gr.OAuthProfile | None = None):
        return gr.Accordion(visible=identity.may_administer(profile, settings))

    with gr.Blocks(title="MMAD leaderboard") as demo:
        gr.Markdown(f"# {about.TITLE}")
        gr.Markdown(about.INTRODUCTION)
        meta = gr.Markdown(meta_line(), elem_id="board-meta")
        with gr.Tabs():
            with gr.Tab("Leaderboard", id="board"):
                with gr.Row():
                    search = gr.Textbox(value="", label="Search", placeholder="model, source, note…  (e.g. qwen 72b)", scale=3)
                    view = gr.Dropdown(list(populate.VIEWS), value=populate.OVERALL, label="View", scale=1)
                    sort_by = gr.Dropdown(["Average", "Strict avg", *populate.SUBTASK_COLUMNS], value="Average",
                                          label="Sort by", scale=1)
                with gr.Accordion("Filters", open=True):
                    with gr.Row():
                        sizes = gr.CheckboxGroup(list(populate.SIZE_BUCKETS), value=list(populate.SIZE_BUCKETS),
                                                 label="Size")
                        types = gr.CheckboxGroup(list(populate.TYPES), value=list(populate.TYPES), label="Type")
                        setting_choices = gr.CheckboxGroup(list(populate.SETTINGS), value=list(populate.SETTINGS),
                                                           label="Setting")
                    with gr.Row():
                        provenances = gr.CheckboxGroup(list(populate.PROVENANCES), value=list(populate.PROVENANCES),
                                                       label="Provenance")
                        trained = gr.Radio(list(populate.TRAINED_CHOICES), value="include",
                                           label="Trained on MMAD or its source images")
                        show_reference = gr.Checkbox(value=True, label="Show reference lines (human, random)")
                with gr.Accordion("Columns", open=False):
                    columns = gr.CheckboxGroup(list(populate.OPTIONAL_COLUMNS), value=list(populate.DEFAULT_COLUMNS),
                                               label="Columns shown")
                initial = populate.table(board.rows)
                table = gr.Dataframe(value=initial, datatype=populate.datatypes(initial), interactive=False,
                                     column_widths=populate.column_widths(initial),
                                     pinned_columns=2, wrap=True, max_height=900, elem_id="board-table",
                                     buttons=["copy", "fullscreen"], label="Leaderboard")
                with gr.Row():
                    csv_button = gr.Button("Download table (CSV)", size="sm")
                    json_button = gr.Button("Download table (JSON)", size="sm")
                    download = gr.File(label="Download", interactive=False, visible=False)
            with gr.Tab("Charts", id="charts"):
                bar = gr.Plot(label="Averages")
                chosen = gr.Dropdown([], multiselect=True, label="Models in the radar chart (up to ~6 reads well)")
                radar = gr.Plot(label="Subtasks")
            with gr.Tab("Submit", id="submit"):
                gr.Markdown(about.SUBMIT_INTRO)
                if key_info is None:
                    gr.Markdown(about.NO_KEY)
                if settings.demo and key_info is not None and key_info.sample_predictions:
                    gr.Markdown(about.DEMO_NOTE)
                    gr.File(value=str(key_info.sample_predictions), label="Sample prediction file", interactive=False)
                if enable_login:
                    gr.LoginButton()
                with gr.Row():
                    model_name = gr.Textbox(label="Model name", max_length=120)
                    link = gr.Textbox(value="", label="Link (paper, model card or code)", placeholder="https://…")
                    license_box = gr.Textbox(value="", label="License", placeholder="e.g. apache-2.0, proprietary")
                    size = gr.Textbox(value="", label="Size (parameters)", placeholder="e.g. 7B")
                with gr.Row():
                    model_type = gr.Dropdown(list(populate.TYPES), value="open", label="Type")
                    setting = gr.Dropdown(list(taxonomy.SETTINGS), value=DEFAULT_SETTING, label="Setting")
                    training_exposure = gr.Dropdown(list(taxonomy.TRAINING_EXPOSURES), value=DEFAULT_TRAINING_EXPOSURE,
                                                    label="Training exposure to MMAD or its source datasets")
                notes = gr.Textbox(value="", label="Notes (prompting, decoding, resolution, anything a reader needs)", lines=2)
                predictions = gr.File(label="Prediction file (.jsonl or upstream answers .json)",
                                      file_types=[".jsonl", ".json"], type="filepath")
                submit_button = gr.Button("Submit and score", variant="primary", interactive=key_info is not None)
                outcome = gr.Markdown()
                gr.Markdown("### Submissions")
                status = gr.Dataframe(value=status_table(), interactive=False, wrap=True, label="Status")
                refresh_button = gr.Button("Refresh from storage", size="sm")
                with gr.Accordion("Admin: re-score everything", open=False, visible=False) as admin:
                    admin_token = gr.Textbox(label="Admin token (MMAD_ADMIN_TOKEN; not needed on a Space)",
                                             type="password", visible=not settings.on_space)
                    rescore_button = gr.Button("Re-score all stored prediction files", variant="stop")
                    rescore_outcome = gr.Markdown()
            with gr.Tab("About", id="about"):
                gr.Markdown(about.ABOUT)
                gr.Code(about.CITATION, label="Citation (BibTeX)", language=None)

        controls = [search, view, sort_by, sizes, types, setting_choices, provenances, trained, show_reference, columns]
        for control in controls:
            event = control.submit if control is search else control.change
            event(reshaped if control is columns else leaderboard, controls, table,
                  api_name="leaderboard" if control is search else False,
                  api_visibility="public" if control is search else "private")
            event(charts, [*controls, chosen], [bar, radar, chosen], api_visibility="private")
        chosen.input(charts, [*controls, chosen], [bar, radar, chosen], api_visibility="private")
        for button, fmt in ((csv_button, "csv"), (json_button, "json")):
            button.click(lambda *a, fmt=fmt: export(fmt, *a), controls, download, api_name=f"export_{fmt}").then(
                lambda: gr.File(visible=True), None, download, api_visibility="private")
        submitted = submit_button.click(
            submit, [predictions, model_name, link, license_box, size, model_type, setting, training_exposure, notes],
            [outcome, status, meta], api_name="submit", concurrency_limit=4)
        submitted.success(leaderboard, controls, table, api_visibility="private").success(
            charts, [*controls, chosen], [bar, radar, chosen], api_visibility="private")
        refresh_button.click(refresh, None, [status, meta], api_name="refresh").success(
            leaderboard, controls, table, api_visibility="private")
        rescore_button.click(rescore, [admin_token], [rescore_outcome, meta], api_name="rescore").success(
            leaderboard, controls, table, api_visibility="private")
        demo.load(charts, [*controls, chosen], [bar, radar, chosen], api_visibility="private")
        demo.load(admin_panel, None, admin, api_visibility="private")
    return demo


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
    build_demo(settings).queue(default_concurrency_limit=2).launch(**launch_options(settings))


if __name__ == "__main__":
    main()
