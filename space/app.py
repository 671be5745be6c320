"""The MMAD leaderboard Space: `build_demo(...)` builds the Gradio app; run this file to serve it.

    python space/app.py            # bundled results, http://127.0.0.1:7860 (GRADIO_SERVER_NAME/PORT honoured)
    python space/app.py --demo     # plus a synthetic answer key and a sample prediction file to submit
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

if __package__ in (None, ""):  # `python space/app.py`: make the project importable without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # the board makes no calls home

import gradio as gr
import pandas as pd

from mmad_dataset import PAPER_TOTAL_QUESTIONS, MMADError
from space import about, identity, messages, populate, taxonomy, uploads, worker
from space import charts as charts_module
from space.envs import REPORTED_DIR, Settings, load_settings
from space.populate import Filters, Row, View
from space.scoring import KeyInfo, key_caveats, resolve_key, temporary_folder
from space.storage import HubStore, LocalStore, Store, Stored
from space.submit import DEFAULT_SETTING, DEFAULT_TRAINING_EXPOSURE, Submitter

_FROM_SETTINGS = object()
#: Characters of a search that are used (a search costs a pass over every row per word; API callers
#: are not bound by the textbox's max_length).
SEARCH_LIMIT = 200
STATUS_COLUMNS = ["Time (UTC)", "User", "Model", "Setting", "Status", "Detail"]
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
CSS = CSS.replace("RANK_WIDTH", str(populate.WIDTHS["Rank"]))  # Model is pinned right after Rank
DETAIL_PLACEHOLDER = ("*Select a row of the table to see its notes, every source with its locator, why it is or is not "
                      "ranked, and its numbers per MMAD source (and, for verified rows, per category).*")
RANKING_RULES = f"""
## How the ranking works

- **Comparable only (default).** Ranked entries use the official protocol on the full benchmark, in the
  paper's standard settings ({", ".join(sorted(taxonomy.STANDARD_SETTINGS))}), with training exposure
  "{taxonomy.NO_EXPOSURE}". Everything else (other settings, other metrics, subsets, models trained on MMAD,
  its source images or other industrial data, or that do not say) is one click away under *Show: all
  entries*, marked **—** in the Rank column with the reasons in *Not ranked because*, and never ranked.
- **Reference lines** (human, random) are marked *ref* and never ranked. In demo mode, results scored
  against the synthetic key are marked *demo*, labelled "{populate.SYNTHETIC_LABEL}" and never ranked.
- **Verified results** rank only when scored against this board's own answer key, the whole
  benchmark's ({PAPER_TOTAL_QUESTIONS:,} questions), and when their official average is at most
  {taxonomy.STRICT_GAP_MAX_POINTS:g} points above the strict one (more means hedged or unreadable replies).
- **Ties.** Ranks follow the averages rounded to the 2 decimals shown: equal numbers share a rank (1, 1, 3).
- **Stable ranks.** A rank is the entry's place on the whole view (overall or one source) before any
  filter or search, so narrowing the table never renumbers it; sorting by another column reorders rows
  but keeps each row's rank. Verified submissions count as full coverage when they answer at least
  {taxonomy.FULL_COVERAGE_MIN_SHARE:.1%} of the questions.
"""


class Board:
    """The entries on display: reported ones (read once) plus the store's verified submissions.

    `key`: the answer key this board serves. A stored result ranks only when it was scored against
    exactly this key and the key is MMAD's (`scoring.key_caveats`); demo-key rows are labelled synthetic.
    """

    def __init__(self, store: Store, reported_dir: Path = REPORTED_DIR, *, key: KeyInfo | None = None) -> None:
        self.store = store
        self.key = key
        self.reported = [populate.row_from_reported(e) for e in load_reported(reported_dir)]
        self.stored: list[Stored] = []
        self.verified: list[Row] = []
        self.reload()

    def _row(self, stored: Stored) -> Row:
        return populate.row_from_submission(stored.id, stored.metadata, stored.result,
                                            synthetic=self.key is not None and self.key.demo,
                                            caveats=key_caveats(self.key, stored.result))

    def reload(self) -> None:
        """Read every stored submission again (start-up, refresh, after a re-score)."""
        self.stored = self.store.list()
        self.verified = [self._row(s) for s in self.stored]

    def add(self, stored: Stored) -> None:
        """A new submission, without re-reading the store."""
        self.stored = [*self.stored, stored]
        self.verified = [*self.verified, self._row(stored)]

    @property
    def rows(self) -> list[Row]:
        return [*self.verified, *self.reported]

    def find(self, row_id: str) -> Row | None:
        return next((row for row in self.rows if row.id == row_id), None)


def load_reported(folder: str | Path) -> list[dict]:
    """Every curated entry in a folder, in file-name order."""
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(Path(folder).glob("*.json"))]


class Exports:
    """Downloads in one private folder per app (mkdtemp: unpredictable name, mode 0700, removed at exit),
    named by content hash and pruned to the newest few. Another local user can neither predict nor
    plant a file there, and each download is written afresh, so only the real table is ever served."""

    KEEP = 20

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or temporary_folder("mmad-board-exports-")

    def write(self, frame: pd.DataFrame, fmt: str) -> str:
        if fmt == "csv":
            data = frame.to_csv(index=False).encode("utf-8")
        else:
            records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")  # null, not NaN
            data = json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False).encode("utf-8")
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.folder / f"mmad_leaderboard-{hashlib.sha256(data).hexdigest()[:12]}.{fmt}"
        staging = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        staging.write_bytes(data)
        os.replace(staging, path)
        for old in sorted(self.folder.glob("mmad_leaderboard-*"), key=_mtime)[:-self.KEEP]:
            if old != path:
                old.unlink(missing_ok=True)
        return str(path)


def _mtime(path: Path) -> float:
    """Modification time, or 0 for a file another request just removed."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


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
    board = Board(store, key=key_info)
    startup_note = ""
    if key_info is not None and settings.rescore_on_start:
        from space.rescore import rescore_all, stale

        outdated = stale(board.stored, key_info)
        if outdated:
            report = rescore_all(store, key_info, max_bytes=settings.max_upload_bytes, submissions=outdated,
                                 cpu_seconds=settings.score_cpu_seconds)
            board.reload()
            startup_note = f" · at start: {report.summary().splitlines()[0].replace('submission(s)', 'stale result(s)')}"
    submitter = Submitter(store, key_info, max_per_day=settings.max_per_day, max_bytes=settings.max_upload_bytes,
                          cpu_seconds=settings.score_cpu_seconds)
    if key_info is not None:
        worker.start()
    exports = Exports()

    def current(search, view, show, sizes, types, setting_choices, exposures, measured, protocols, coverages,
                show_reference) -> View:
        """The view the controls ask for; a control left at None (an API caller omitting it) selects everything."""
        chosen = {name: value for name, value in (
            ("sizes", sizes), ("types", types), ("settings", setting_choices), ("exposures", exposures),
            ("measured_by", measured), ("protocols", protocols), ("coverages", coverages)) if value is not None}
        filters = Filters(str(search or "")[:SEARCH_LIMIT], show=show or populate.COMPARABLE_ONLY,
                          show_reference=True if show_reference is None else bool(show_reference), **chosen)
        return populate.board_view(board.rows, filters, view or populate.OVERALL)

    def refresh_table(search: str = "", view: str = populate.OVERALL, show: str = populate.COMPARABLE_ONLY,
                    sort_by: str = "Average", sizes: list[str] | None = None, types: list[str] | None = None,
                    setting_choices: list[str] | None = None, exposures: list[str] | None = None,
                    measured: list[str] | None = None, protocols: list[str] | None = None,
                    coverages: list[str] | None = None, show_reference: bool = True,
                    columns: list[str] | None = None):
        """The main table for the given view, filters, sort and columns, a line saying what it shows, and
        the row detail reset to its placeholder."""
        frame, line = board_table(search, view, show, sort_by, sizes, types, setting_choices, exposures, measured,
                                  protocols, coverages, show_reference, columns)
        table_update = gr.Dataframe(value=populate.styled(frame), datatype=populate.datatypes(frame),
                                    column_widths=populate.column_widths(frame), visible=not frame.empty)
        # a row detail computed for another view would be stale: the table resets it
        return table_update, line, DETAIL_PLACEHOLDER, gr.Plot(value=None, visible=False)

    def board_table(search, view, show, sort_by, sizes, types, setting_choices, exposures, measured, protocols,
                    coverages, show_reference, columns) -> tuple[pd.DataFrame, str]:
        shown = current(search, view, show, sizes, types, setting_choices, exposures, measured, protocols,
                        coverages, show_reference)
        return populate.table(shown, columns or populate.DEFAULT_COLUMNS, sort_by), summary_line(shown, search, show)

    def leaderboard_api(search: str = "", view: str = populate.OVERALL, show: str = populate.COMPARABLE_ONLY,
                        sort_by: str = "Average", sizes: list[str] | None = None, types: list[str] | None = None,
                        setting_choices: list[str] | None = None, exposures: list[str] | None = None,
                        measured: list[str] | None = None, protocols: list[str] | None = None,
                        coverages: list[str] | None = None, show_reference: bool = True,
                        columns: list[str] | None = None) -> dict:
        """The board as data: headers, rows (numbers unrounded), the same rows as displayed, and the note.

        Every argument is optional; a list left out selects every value."""
        frame, line = board_table(search, view, show, sort_by, sizes, types, setting_choices, exposures, measured,
                                  protocols, coverages, show_reference, columns)
        data = frame.astype(object).where(frame.notna(), None).values.tolist()
        shown = [[populate.fixed(v, "%" if c in populate.PERCENT_COLUMNS else "") if c in populate.NUMBER_COLUMNS
                  else v for c, v in zip(frame.columns, values)] for values in data]
        return {"headers": list(frame.columns), "data": data, "display": shown, "note": line}

    def summary_line(shown: View, search: str, show: str) -> str:
        hidden = shown.hidden
        if not shown.rows:
            quoted = search if len(search) <= 60 else search[:60] + "…"  # never echo a user's text unbounded
            what = f"for “{populate.escape_markdown(quoted)}”" if search else "with these filters"
            return (f"**No results** {what} in {shown.view}. Clear the search, widen the filters"
                    + (f" or show all entries (not comparable, matching: {hidden})." if show != populate.ALL_ENTRIES
                       else "."))
        ranked = sum(1 for r in shown.rows if r.id in shown.ranks)
        text = f"Showing {len(shown.rows)} entries in **{populate.escape_markdown(shown.view)}**: {ranked} ranked"
        missing = [r.model for r in board.rows if r.status == "reference"
                   and populate.numbers(r, shown.view).average is None]
        if missing:
            text = (f"*Reference lines without numbers for {populate.escape_markdown(shown.view)} are not shown: "
                    f"{populate.escape_markdown(', '.join(missing))}.* ") + text
        if search:
            text += f" (search matched {len(shown.rows)} of {shown.matched_before_search}; ranks are board ranks)"
        if show == populate.ALL_ENTRIES:
            return text + ". Rows marked **—** are not comparable with the official full-benchmark ranking " \
                          "(reasons in *Not ranked because*); they are never ranked."
        return text + f". {hidden} entries that are not comparable (other setting, metric, subset or training on " \
                      f"industrial data) are hidden: choose *Show: all entries*. Select a row for its sources."

    def charts(search, view, show, sort_by, sizes, types, setting_choices, exposures, measured, protocols,
               coverages, show_reference, columns, chosen, keep_empty: bool = False):
        """Bar and radar for the view; the radar keeps the picked models still in view, else the top 4
        (`keep_empty`: the user just emptied the picker, so show the empty state instead)."""
        shown = current(search, view, show, sizes, types, setting_choices, exposures, measured, protocols,
                        coverages, show_reference)
        entries = [r for r in shown.rows if r.status != "reference"]
        picker = charts_module.choices(entries)
        ids = {value for _, value in picker}
        kept = [c for c in (chosen or []) if c in ids]
        if not kept and not keep_empty:
            kept = [v for _, v in picker[:4]]
        references = [r for r in board.rows if r.status == "reference"] if show_reference is not False else []
        return (charts_module.bar_figure(shown, references), charts_module.radar_figure(entries, kept, shown.view),
                gr.Dropdown(choices=picker, value=kept))

    def export(search: str = "", view: str = populate.OVERALL, show: str = populate.COMPARABLE_ONLY,
               sort_by: str = "Average", sizes: list[str] | None = None, types: list[str] | None = None,
               setting_choices: list[str] | None = None, exposures: list[str] | None = None,
               measured: list[str] | None = None, protocols: list[str] | None = None,
               coverages: list[str] | None = None, show_reference: bool = True, columns: list[str] | None = None,
               *, fmt: str = "csv") -> str:
        """The current view as a CSV or JSON file (every field, formula-leading text neutralised)."""
        shown = current(search, view, show, sizes, types, setting_choices, exposures, measured, protocols,
                        coverages, show_reference)
        return exports.write(populate.plain_table(shown, sort_by or "Average"), fmt)

    def row_detail(view: str, evt: gr.SelectData):
        """The detail panel of the selected row (looked up by the ID column, robust to client-side sorting)."""
        values = evt.row_value or []
        row = board.find(str(values[-1])) if values else None
        if row is None:
            raise gr.Error(messages.for_page("That row is no longer on the board; reload the page."),
                           print_exception=False)
        everything = populate.board_view(board.rows, Filters(show=populate.ALL_ENTRIES), view or populate.OVERALL)
        heatmap = charts_module.category_heatmap(row)
        return (populate.detail_markdown(row, everything),
                gr.Plot(value=heatmap, visible=heatmap is not None))

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
        counted = populate.counts(board.rows)
        demo_text = f", {counted['synthetic']} synthetic (demo, never ranked)" if counted["synthetic"] else ""
        return (f"Last updated: **{populate.last_updated(board.rows)}** · {counted['verified']} verified{demo_text}, "
                f"{counted['reported']} reported entries, {counted['reference']} reference lines "
                f"({counted['ranked']} entries comparable and ranked) · "
                f"store: {populate.escape_markdown(store.describe())} · answer key: "
                f"{populate.escape_markdown(key_text)}{startup_note}"
                f"{messages.for_page(' · ' + store.health()) if store.health() else ''}")

    def submit(predictions: str | None, model_name: str, link: str = "", license: str = "", size: str = "",
               model_type: str = "open", setting: str = DEFAULT_SETTING,
               training_exposure: str = DEFAULT_TRAINING_EXPOSURE, notes: str = "",
               profile: gr.OAuthProfile | None = None, request: gr.Request = None):
        """Score a prediction file (JSONL or upstream answers JSON) and add it to the board."""
        metadata = {"model_name": model_name, "link": link, "license": license, "size": size,
                    "model_type": model_type, "setting": setting, "training_exposure": training_exposure,
                    "notes": notes}
        if not predictions:  # a click before choosing a file is not a failed attempt
            raise gr.Error("Choose a prediction file (.jsonl or .json) first.", print_exception=False)
        try:
            user = _user(profile, settings)
            stored = submitter.submit(predictions, metadata, user, client=_client(request),
                                      identified=settings.on_space)
        except MMADError as exc:
            raise gr.Error(messages.for_page(str(exc)), print_exception=False) from None
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
            report = rescore_all(store, key_info, max_bytes=settings.max_upload_bytes,
                                 cpu_seconds=settings.score_cpu_seconds)
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

    # Uploads that are never submitted stay in Gradio's temp folder (bounded by space/uploads.py): every
    # TEMP_LIFETIME, delete this app's temp files older than that (and all of them at restart).
    with gr.Blocks(title="MMAD leaderboard", delete_cache=(uploads.TEMP_LIFETIME, uploads.TEMP_LIFETIME)) as demo:
        gr.Markdown(f"# {about.TITLE}")
        gr.Markdown(about.INTRODUCTION)
        meta = gr.Markdown(elem_id="board-meta")
        # submit/refresh/rescore return the header too (their API keeps that shape); it lands in this hidden
        # sink so that an error pill never covers the visible header, which the page then recomputes
        discarded = gr.Markdown(visible=False)
        with gr.Tabs():
            with gr.Tab("Leaderboard", id="board"):
                with gr.Row(equal_height=True):
                    search = gr.Textbox(value="", label="Search", placeholder="model, source, note…  (e.g. qwen 72b)",
                                        scale=3)
                    view = gr.Dropdown(list(populate.VIEWS), value=populate.OVERALL, label="View", scale=1)
                    show = gr.Radio(list(populate.SHOW_CHOICES), value=populate.COMPARABLE_ONLY, label="Show",
                                    scale=2, elem_id="show-control")
                    sort_by = gr.Dropdown(list(populate.SORT_CHOICES), value="Average", label="Sort by", scale=1)
                with gr.Accordion("Filters (they apply to both Show choices)", open=False):
                    with gr.Row():
                        types = gr.CheckboxGroup(list(populate.TYPES), value=list(populate.TYPES), label="Type")
                        sizes = gr.CheckboxGroup(list(populate.SIZE_BUCKETS), value=list(populate.SIZE_BUCKETS),
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
                with gr.Accordion("Columns", open=False):
                    columns = gr.CheckboxGroup(list(populate.OPTIONAL_COLUMNS), value=list(populate.DEFAULT_COLUMNS),
                                               label="Columns shown")
                note = gr.Markdown(elem_id="board-note")
                table = gr.Dataframe(interactive=False, pinned_columns=2, wrap=False, max_height=640,
                                     elem_id="board-table", buttons=["copy", "fullscreen"],
                                     label="Leaderboard (accuracy in %; select a row for its details)")
                with gr.Row():
                    csv_button = gr.Button("Download table (CSV)", size="sm")
                    json_button = gr.Button("Download table (JSON)", size="sm")
                    download = gr.File(label="Download", interactive=False, visible=False)
                with gr.Group():
                    detail = gr.Markdown(DETAIL_PLACEHOLDER, elem_id="row-detail-text")
                    heatmap = gr.Plot(visible=False, label="Per-category breakdown", elem_id="row-heatmap")
            with gr.Tab("Charts", id="charts"):
                bar = gr.Plot(label="Averages", elem_id="bar-chart")
                chosen = gr.Dropdown([], value=None, multiselect=True, elem_id="radar-picker",
                                     label="Models in the radar chart (up to ~6 reads well)")
                radar = gr.Plot(label="Subtasks", elem_id="radar-chart")
            with gr.Tab("Submit", id="submit"):
                gr.Markdown(about.SUBMIT_INTRO)
                if key_info is None:
                    gr.Markdown(about.NO_KEY)
                sample = None
                if settings.demo and key_info is not None and key_info.sample_predictions:
                    gr.Markdown(about.DEMO_NOTE)
                    # Given on each page load: the hourly temp-file clean-up may have removed an earlier copy.
                    sample = gr.File(label="Sample prediction file", interactive=False)
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
                                                    label="Training exposure to MMAD, its source datasets or other "
                                                          "industrial data")
                notes = gr.Textbox(value="", label="Notes (prompting, decoding, resolution, anything a reader needs)",
                                   lines=2)
                predictions = gr.File(label="Prediction file (.jsonl or upstream answers .json)",
                                      file_types=[".jsonl", ".json"], type="filepath")
                submit_button = gr.Button("Submit and score", variant="primary", interactive=key_info is not None)
                outcome = gr.Markdown()
                gr.Markdown("### Submissions")
                status = gr.Dataframe(interactive=False, wrap=True, label="Status", elem_id="status-table")
                refresh_button = gr.Button("Refresh from storage", size="sm")
                with gr.Accordion("Admin: re-score everything", open=False, visible=False) as admin:
                    admin_token = gr.Textbox(label="Admin token (MMAD_ADMIN_TOKEN; not needed on a Space)",
                                             type="password", visible=not settings.on_space)
                    rescore_button = gr.Button("Re-score all stored prediction files", variant="stop")
                    rescore_outcome = gr.Markdown()
            with gr.Tab("About", id="about"):
                gr.Markdown(RANKING_RULES)
                gr.Markdown(about.ABOUT)
                gr.Code(about.CITATION, label="Citation (BibTeX)", language=None)

        controls = [search, view, show, sort_by, sizes, types, setting_choices, exposures, measured, protocols,
                    coverages, show_reference, columns]
        table_views = ([*controls], [table, note, detail, heatmap])
        chart_views = ([*controls, chosen], [bar, radar, chosen])

        def header():
            return meta_line(), status_table()

        for control in controls:
            event = control.submit if control is search else control.change
            event(refresh_table, *table_views, api_visibility="private")
            event(charts, *chart_views, api_visibility="private")
        chosen.input(lambda *values: charts(*values, keep_empty=True), *chart_views, api_visibility="private")
        table.select(row_detail, [view], [detail, heatmap], api_visibility="private").then(
            None, None, None, js="() => document.getElementById('row-detail-text')?.scrollIntoView({block: 'start'})")
        for button, fmt in ((csv_button, "csv"), (json_button, "json")):
            button.click(functools.partial(export, fmt=fmt), controls, download, api_name=f"export_{fmt}").then(
                lambda: gr.File(visible=True), None, download, api_visibility="private")
        submitted = submit_button.click(
            submit, [predictions, model_name, link, license_box, size, model_type, setting, training_exposure, notes],
            [outcome, status, discarded], api_name="submit", concurrency_limit=4)
        for done in (submitted,
                     refresh_button.click(refresh, None, [status, discarded], api_name="refresh"),
                     rescore_button.click(rescore, [admin_token], [rescore_outcome, discarded], api_name="rescore")):
            done.success(lambda: header(), None, [meta, status], api_visibility="private").success(
                refresh_table, *table_views, api_visibility="private").success(
                charts, *chart_views, api_visibility="private")
        gr.api(leaderboard_api, api_name="leaderboard")
        demo.load(header, None, [meta, status], api_name="header", api_visibility="public")
        demo.load(refresh_table, *table_views, api_visibility="private")
        demo.load(charts, *chart_views, api_visibility="private")
        demo.load(admin_panel, None, admin, api_visibility="private")
        if sample is not None:
            demo.load(lambda: str(key_info.sample_predictions), None, sample, api_visibility="private")
    return demo


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
