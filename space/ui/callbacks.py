"""The app's state and its callbacks: what every button, control and API endpoint of the board calls.

`BoardApp` holds the board, the store, the submitter, the answer key and the settings; its methods
are the callbacks the tabs wire up (so each is named and callable without a browser).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path

import gradio as gr
import pandas as pd

from mmad_dataset import MMADError
from space import charts as charts_module
from space import identity, messages, render
from space.envs import Settings
from space.populate import Board
from space.ranking import (ALL_ENTRIES, COMPARABLE_ONLY, NUMBER_COLUMNS, OVERALL, PERCENT_COLUMNS, Filters, View,
                           board_view, counts, last_updated, numbers)
from space.scoring import KeyInfo
from space.storage import Store
from space.submit import DEFAULT_SETTING, DEFAULT_TRAINING_EXPOSURE, Submitter

#: Characters of a search that are used (a search costs a pass over every row per word; API callers
#: are not bound by the textbox's max_length).
SEARCH_LIMIT = 200
STATUS_COLUMNS = ["Time (UTC)", "User", "Model", "Setting", "Status", "Detail"]
DETAIL_PLACEHOLDER = ("*Select a row of the table to see its notes, every source with its locator, why it is or is not "
                      "ranked, and its numbers per MMAD source (and, for verified rows, per category).*")


class Exports:
    """Downloads in one shared folder, named by content hash and pruned to the newest few, so no start
    and no click leaves a temporary folder behind and concurrent users never overwrite each other."""

    KEEP = 20

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or Path(tempfile.gettempdir()) / "mmad-board-exports"

    def write(self, frame: pd.DataFrame, fmt: str) -> str:
        if fmt == "csv":
            data = frame.to_csv(index=False).encode("utf-8")
        else:
            records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")  # null, not NaN
            data = json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False).encode("utf-8")
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"mmad_leaderboard-{hashlib.sha256(data).hexdigest()[:12]}.{fmt}"
        if not path.exists():
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


def _user(profile: gr.OAuthProfile | None, settings: Settings) -> str:
    try:
        return identity.user(profile, settings)
    except MMADError as exc:
        raise gr.Error(messages.for_page(str(exc)), print_exception=False) from None


def _client(request: gr.Request | None) -> str:
    """The caller's address, for limiting failed attempts per address."""
    return str(getattr(getattr(request, "client", None), "host", "") or "")


class BoardApp:
    """One running board: the state its callbacks share. Stale stored results are re-scored at start
    when the settings ask for it (`rescore_on_start`), and the header says so."""

    def __init__(self, settings: Settings, store: Store, key_info: KeyInfo | None) -> None:
        self.settings = settings
        self.store = store
        self.key_info = key_info
        self.board = Board(store, key=key_info)
        self.startup_note = self._rescore_stale()
        self.submitter = Submitter(store, key_info, max_per_day=settings.max_per_day,
                                   max_bytes=settings.max_upload_bytes)
        self.exports = Exports()

    def _rescore_stale(self) -> str:
        """Re-score results from an older scorer or key; the header note saying how many (or "")."""
        if self.key_info is None or not self.settings.rescore_on_start:
            return ""
        from space.rescore import rescore_all, stale

        outdated = stale(self.board.stored, self.key_info)
        if not outdated:
            return ""
        report = rescore_all(self.store, self.key_info, max_bytes=self.settings.max_upload_bytes,
                             submissions=outdated)
        self.board.reload()
        return f" · at start: {report.summary().splitlines()[0].replace('submission(s)', 'stale result(s)')}"

    def header(self):
        return self.meta_line(), self.status_table()

    def current(self, search, view, show, sizes, types, setting_choices, exposures, measured, protocols, coverages,
                show_reference) -> View:
        """The view the controls ask for; a control left at None (an API caller omitting it) selects everything."""
        chosen = {name: value for name, value in (
            ("sizes", sizes), ("types", types), ("settings", setting_choices), ("exposures", exposures),
            ("measured_by", measured), ("protocols", protocols), ("coverages", coverages)) if value is not None}
        filters = Filters(str(search or "")[:SEARCH_LIMIT], show=show or COMPARABLE_ONLY,
                          show_reference=True if show_reference is None else bool(show_reference), **chosen)
        return board_view(self.board.rows, filters, view or OVERALL)

    def refresh_table(self, search: str = "", view: str = OVERALL, show: str = COMPARABLE_ONLY,
                    sort_by: str = "Average", sizes: list[str] | None = None, types: list[str] | None = None,
                    setting_choices: list[str] | None = None, exposures: list[str] | None = None,
                    measured: list[str] | None = None, protocols: list[str] | None = None,
                    coverages: list[str] | None = None, show_reference: bool = True,
                    columns: list[str] | None = None):
        """The main table for the given view, filters, sort and columns, a line saying what it shows, and
        the row detail reset to its placeholder."""
        frame, line, shown = self.board_table(search, view, show, sort_by, sizes, types, setting_choices, exposures,
                                              measured, protocols, coverages, show_reference, columns)
        table_update = gr.Dataframe(value=render.styled(frame, shown.ranges.bands), datatype=render.datatypes(frame),
                                    column_widths=render.column_widths(frame), visible=not frame.empty)
        # a row detail computed for another view would be stale: the table resets it
        return table_update, line, DETAIL_PLACEHOLDER, gr.Plot(value=None, visible=False)

    def board_table(self, search, view, show, sort_by, sizes, types, setting_choices, exposures, measured, protocols,
                    coverages, show_reference, columns, *, bounds: bool = False) -> tuple[pd.DataFrame, str, View]:
        """The table (`bounds`: with `render.BOUND_COLUMNS`), the line above it, and the view they show."""
        shown = self.current(search, view, show, sizes, types, setting_choices, exposures, measured, protocols,
                             coverages, show_reference)
        frame = render.table(shown, columns or render.DEFAULT_COLUMNS, sort_by, bounds=bounds)
        return frame, self.summary_line(shown, search, show), shown

    def leaderboard_api(self, search: str = "", view: str = OVERALL, show: str = COMPARABLE_ONLY,
                        sort_by: str = "Average", sizes: list[str] | None = None, types: list[str] | None = None,
                        setting_choices: list[str] | None = None, exposures: list[str] | None = None,
                        measured: list[str] | None = None, protocols: list[str] | None = None,
                        coverages: list[str] | None = None, show_reference: bool = True,
                        columns: list[str] | None = None) -> dict:
        """The board as data: headers, rows (numbers unrounded), the same rows as displayed, and the note.

        Every row also carries `render.BOUND_COLUMNS`: its average's 95% interval, its range of plausible
        ranks and the strict average's interval (null where there is none). Every argument is optional; a
        list left out selects every value."""
        frame, line, _ = self.board_table(search, view, show, sort_by, sizes, types, setting_choices, exposures,
                                          measured, protocols, coverages, show_reference, columns, bounds=True)
        data = frame.astype(object).where(frame.notna(), None).values.tolist()
        suffixes = ["%" if c in PERCENT_COLUMNS else "" if c in NUMBER_COLUMNS or c in render.CI_BOUNDS else None
                    for c in frame.columns]  # None: shown as it is
        shown = [[v if suffix is None else render.fixed(v, suffix) for suffix, v in zip(suffixes, values)]
                 for values in data]
        return {"headers": list(frame.columns), "data": data, "display": shown, "note": line}

    def summary_line(self, shown: View, search: str, show: str) -> str:
        hidden = shown.hidden
        if not shown.rows:
            quoted = search if len(search) <= 60 else search[:60] + "…"  # never echo a user's text unbounded
            what = f"for “{render.escape_markdown(quoted)}”" if search else "with these filters"
            return (f"**No results** {what} in {shown.view}. Clear the search, widen the filters"
                    + (f" or show all entries (not comparable, matching: {hidden})." if show != ALL_ENTRIES
                       else "."))
        ranked = sum(1 for r in shown.rows if r.id in shown.ranks)
        text = f"Showing {len(shown.rows)} entries in **{render.escape_markdown(shown.view)}**: {ranked} ranked"
        separable, pairs = shown.separable()
        if pairs:
            text += (f"; **{separable} of {pairs} adjacent pairs separable at 95%** (shaded ranks: tie bands; "
                     f"4 (3–7): plausible ranks — see About)")
        missing = [r.model for r in self.board.rows if r.status == "reference"
                   and numbers(r, shown.view).average is None]
        if missing:
            text = (f"*Reference lines without numbers for {render.escape_markdown(shown.view)} are not shown: "
                    f"{render.escape_markdown(', '.join(missing))}.* ") + text
        if search:
            text += f" (search matched {len(shown.rows)} of {shown.matched_before_search}; ranks are board ranks)"
        if show == ALL_ENTRIES:
            return text + ". Rows marked **—** are not comparable with the official full-benchmark ranking " \
                          "(reasons in *Not ranked because*); they are never ranked."
        return text + f". {hidden} entries that are not comparable (other setting, metric, subset or training on " \
                      f"industrial data) are hidden: choose *Show: all entries*. Select a row for its sources."

    def charts(self, search, view, show, sort_by, sizes, types, setting_choices, exposures, measured, protocols,
               coverages, show_reference, columns, chosen, keep_empty: bool = False):
        """Bar and radar for the view; the radar keeps the picked models still in view, else the top 4
        (`keep_empty`: the user just emptied the picker, so show the empty state instead)."""
        shown = self.current(search, view, show, sizes, types, setting_choices, exposures, measured, protocols,
                             coverages, show_reference)
        entries = [r for r in shown.rows if r.status != "reference"]
        picker = charts_module.choices(entries)
        ids = {value for _, value in picker}
        kept = [c for c in (chosen or []) if c in ids]
        if not kept and not keep_empty:
            kept = [v for _, v in picker[:4]]
        references = [r for r in self.board.rows if r.status == "reference"] if show_reference is not False else []
        return (charts_module.bar_figure(shown, references), charts_module.radar_figure(entries, kept, shown.view),
                gr.Dropdown(choices=picker, value=kept))

    def export(self, search: str = "", view: str = OVERALL, show: str = COMPARABLE_ONLY,
               sort_by: str = "Average", sizes: list[str] | None = None, types: list[str] | None = None,
               setting_choices: list[str] | None = None, exposures: list[str] | None = None,
               measured: list[str] | None = None, protocols: list[str] | None = None,
               coverages: list[str] | None = None, show_reference: bool = True, columns: list[str] | None = None,
               *, fmt: str = "csv") -> str:
        """The current view as a CSV or JSON file (every field, formula-leading text neutralised)."""
        shown = self.current(search, view, show, sizes, types, setting_choices, exposures, measured, protocols,
                             coverages, show_reference)
        return self.exports.write(render.plain_table(shown, sort_by or "Average"), fmt)

    def row_detail(self, view: str, evt: gr.SelectData):
        """The detail panel of the selected row (looked up by the ID column, robust to client-side sorting)."""
        values = evt.row_value or []
        row = self.board.find(str(values[-1])) if values else None
        if row is None:
            raise gr.Error(messages.for_page("That row is no longer on the board; reload the page."),
                           print_exception=False)
        everything = board_view(self.board.rows, Filters(show=ALL_ENTRIES), view or OVERALL)
        heatmap = charts_module.category_heatmap(row)
        return (render.detail_markdown(row, everything),
                gr.Plot(value=heatmap, visible=heatmap is not None))

    def status_table(self) -> pd.DataFrame:
        stored = [[s.metadata.get("submitted_at", ""), s.metadata.get("user", ""), s.metadata.get("model_name", ""),
                   s.metadata.get("setting", ""), "scored",
                   f"average {s.result['official']['average']:.2f} · {s.id}"] for s in self.board.stored]
        failed = [[a.at, a.user, a.model, a.setting, a.status, a.detail] for a in self.submitter.attempts
                  if a.status != "scored"]
        rows = sorted([*stored, *failed], key=lambda r: r[0], reverse=True)[:100]
        return pd.DataFrame(rows, columns=STATUS_COLUMNS)

    def meta_line(self) -> str:
        key_text = self.key_info.description if self.key_info else "none configured"
        counted = counts(self.board.rows)
        demo_text = f", {counted['synthetic']} synthetic (demo, never ranked)" if counted["synthetic"] else ""
        return (f"Last updated: **{last_updated(self.board.rows)}** · {counted['verified']} verified{demo_text}, "
                f"{counted['reported']} reported entries, {counted['reference']} reference lines "
                f"({counted['ranked']} entries comparable and ranked) · "
                f"store: {render.escape_markdown(self.store.describe())} · answer key: "
                f"{render.escape_markdown(key_text)}{self.startup_note}"
                f"{messages.for_page(' · ' + self.store.health()) if self.store.health() else ''}")

    def submit(self, predictions: str | None, model_name: str, link: str = "", license: str = "", size: str = "",
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
            user = _user(profile, self.settings)
            stored = self.submitter.submit(predictions, metadata, user, client=_client(request),
                                           identified=self.settings.on_space)
        except MMADError as exc:
            raise gr.Error(messages.for_page(str(exc)), print_exception=False) from None
        self.board.add(stored)
        official, strict = stored.result["official"], stored.result["strict"]
        message = (f"✓ Scored and stored as `{stored.id}`: official average **{official['average']:.2f}**, "
                   f"strict average **{strict['average']:.2f}**, coverage {official['coverage']:.1f}%. "
                   f"The row is on the board now.")
        return message, self.status_table(), self.meta_line()

    def rescore(self, admin_token: str = "", profile: gr.OAuthProfile | None = None):
        """Admins only: re-score every stored prediction file with the current scorer and key."""
        from space.rescore import rescore_all

        try:
            identity.check_admin(profile, self.settings, admin_token)
            if self.key_info is None:
                raise identity.NotAllowed("no answer key is configured")
            report = rescore_all(self.store, self.key_info, max_bytes=self.settings.max_upload_bytes)
        except MMADError as exc:
            raise gr.Error(messages.for_page(str(exc)), print_exception=False) from None
        self.board.reload()
        return messages.bounded(report.summary()), self.meta_line()

    def refresh(self):
        """Read the store again; when the Hub does not answer, the mirror is shown and the meta line says so."""
        self.store.refresh()
        self.submitter.reload()
        self.board.reload()
        return self.status_table(), self.meta_line()

    def admin_panel(self, profile: gr.OAuthProfile | None = None):
        return gr.Accordion(visible=identity.may_administer(profile, self.settings))
