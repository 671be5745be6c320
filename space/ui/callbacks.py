"""The app's state and its callbacks: what every button, control and API endpoint of the board calls.

`BoardApp` holds the board, the store, the submitter, the answer key and the settings; its methods
are the callbacks the tabs wire up (so each is named and callable without a browser).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path

import gradio as gr
import orjson
import pandas as pd

from mmad_dataset import MMADError
from space import charts as charts_module
from space import identity, messages, render, taxonomy, worker
from space.envs import Settings
from space.populate import Board
from space.prepared import Prepared, Table
from space.ranking import (ALL_ENTRIES, COMPARABLE_ONLY, OVERALL, STATED_ONLY, Filters, View, counts, last_updated,
                           numbers)
from space.scoring import KeyInfo, temporary_folder
from space.storage import Store
from space.submit import DEFAULT_SETTING, DEFAULT_TRAINING_EXPOSURE, Submitter
from space.render import plural
from space.ui import links

#: Characters of a search that are used (a search costs a pass over every row per word; API callers
#: are not bound by the textbox's max_length).
SEARCH_LIMIT = 200
#: The most rows one `/leaderboard` answer carries: Gradio walks every cell of an answer several times, so
#: 10,000 rows took ~0.8 s of CPU per call (and any caller could ask for that); `offset` pages on.
MAX_PAGE_ROWS = 500
#: The most entries the Charts tab's radar picker lists (the best of the selection; a dropdown of 10,000
#: names is neither usable nor cheap to send with every page load).
PICKER_LIMIT = 500
STATUS_COLUMNS = ["Time (UTC)", "User", "Model", "Setting", "Status", "Detail"]
DETAIL_PLACEHOLDER = ("*Select a row of the table to see its notes, every source with its locator, why it is or is not "
                      "ranked, and its numbers per MMAD source (and, for verified rows, per category).*")
#: What the page accepts as a prediction file (the API takes any name: the scorer reads the content).
PREDICTION_SUFFIXES = (".jsonl", ".json")


class Exports:
    """Downloads in one private folder per app (mkdtemp: unpredictable name, mode 0700, removed at exit),
    named by content hash and pruned to the newest few. Another local user can neither predict nor
    plant a file there, and a file is written from the table it is asked for (once per table object,
    while it exists), so only the real table is ever served."""

    KEEP = 20

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or temporary_folder("mmad-board-exports-")
        #: (id of a table, format) → (the table, its file): the board builds a view's table once per generation
        #: (`BoardApp._plain_table`), and each page load asks for its files again (0.5 s at 10,000 rows).
        self._written: OrderedDict[tuple[int, str], tuple[pd.DataFrame, Path]] = OrderedDict()
        self._lock = threading.Lock()

    def write(self, frame: pd.DataFrame, fmt: str) -> str:
        with self._lock:
            known = self._written.get((id(frame), fmt))
        if known is not None and known[0] is frame:
            with contextlib.suppress(OSError):
                os.utime(known[1])  # newest again, so pruning keeps it
                return str(known[1])
        path = self._write(frame, fmt)
        with self._lock:
            self._written[(id(frame), fmt)] = (frame, path)
            while len(self._written) > self.KEEP:
                self._written.popitem(last=False)
        return str(path)

    def _write(self, frame: pd.DataFrame, fmt: str) -> Path:
        if fmt == "csv":
            data = frame.to_csv(index=False).encode("utf-8")
        else:
            records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")  # null, not NaN
            data = orjson.dumps(records, option=orjson.OPT_INDENT_2)  # UTF-8; json.dumps took 1 s at 10,000 rows
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.folder / f"mmad_leaderboard-{hashlib.sha256(data).hexdigest()[:12]}.{fmt}"
        staging = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        staging.write_bytes(data)
        os.replace(staging, path)
        for old in sorted(self.folder.glob("mmad_leaderboard-*"), key=_mtime)[:-self.KEEP]:
            if old != path:
                old.unlink(missing_ok=True)
        return path


def _mtime(path: Path) -> float:
    """Modification time, or 0 for a file another request just removed."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _hashable(value):
    """An argument as part of a cache key (lists of choices become tuples)."""
    return tuple(value) if isinstance(value, list) else value


def _whole_number(value, name: str, least: int) -> int:
    """An API caller's `offset`/`limit` (JSON: anything), or gr.Error saying what is expected."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < least:
        raise gr.Error(f"{name}: expected a whole number ≥ {least}.", print_exception=False)
    return int(value)


def _number_or_none(value):
    """A cell as the API's `data` gives it: NaN (never produced, but a number column may hold it) → None."""
    return None if isinstance(value, float) and value != value else value


def _user(profile: gr.OAuthProfile | None, settings: Settings) -> str:
    try:
        return identity.user(profile, settings)
    except MMADError as exc:
        raise gr.Error(messages.for_page(str(exc)), print_exception=False) from None


def _client(request: gr.Request | None) -> str:
    """The caller's address, for limiting failed attempts per address."""
    return str(getattr(getattr(request, "client", None), "host", "") or "")


def scored_message(stored) -> str:
    official, strict = stored.result["official"], stored.result["strict"]
    return (f"✓ Scored and stored as `{stored.id}`: official average **{official['average']:.2f}**, "
            f"strict average **{strict['average']:.2f}**, coverage {official['coverage']:.1f}%. "
            f"The row is on the board now.")


def wrong_file_type(path: str) -> str:
    """The one message for a file that is not .jsonl/.json (its suffix bounded and escaped)."""
    suffix = Path(str(path)).suffix or "(no extension)"
    return (f"**Not submitted.** A prediction file is `.jsonl` (one JSON object per line) or the upstream answers "
            f"`.json`; this one is `{messages.for_page(messages.prefix(suffix, 12))}`. Choose another file.")


def scope_line(shown: View, search: str, show: str, entries: int, listed: int | None = None) -> str:
    """What the Charts tab draws: the Leaderboard tab's search, view, Show choice and filters, said (and,
    when the radar's picker lists only the `listed` best of the `entries`, that too)."""
    parts = [f"view **{render.escape_markdown(shown.view)}**", f"show **{render.escape_markdown(show)}**"]
    if search:
        quoted = search if len(search) <= 60 else search[:60] + "…"
        parts.insert(0, f"search “{render.escape_markdown(quoted)}”")
    shortened = (f" The radar's picker lists the {listed:,} best; search the board for others."
                 if listed is not None and listed < entries else "")
    return (f"Charts of the **Leaderboard** tab's selection ({plural(entries, 'entry', 'entries')}): "
            f"{', '.join(parts)} and its filters. Change them there.{shortened}")


class BoardApp:
    """One running board: the state its callbacks share. Stale stored results are re-scored at start
    when the settings ask for it (`rescore_on_start`), and the header says so."""

    def __init__(self, settings: Settings, store: Store, key_info: KeyInfo | None) -> None:
        self.settings = settings
        self.store = store
        self.key_info = key_info
        self.board = Board(store, key=key_info)
        self._prepared, self._prepared_generation = Prepared([]), -1
        self._prepared_lock = threading.Lock()
        self.startup_note = self._rescore_stale()
        self.submitter = Submitter(store, key_info, max_per_day=settings.max_per_day,
                                   max_bytes=settings.max_upload_bytes, cpu_seconds=settings.score_cpu_seconds)
        if key_info is not None:
            worker.start()
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
                             submissions=outdated, cpu_seconds=self.settings.score_cpu_seconds)
        self.board.reload()
        return f" · at start: {report.summary().splitlines()[0].replace('submission(s)', 'stale result(s)')}"

    def prepared(self) -> Prepared:
        """The rows prepared for requests, rebuilt only when the board's generation changed."""
        generation = self.board.current()
        with self._prepared_lock:
            if self._prepared_generation != generation:
                self._prepared, self._prepared_generation = Prepared(self.board.rows, self._prepared), generation
            return self._prepared

    def header(self):
        return self.meta_line(), self.status_table()

    def current(self, search, view, show, sizes, types, setting_choices, exposures, measured, protocols, coverages,
                show_reference, *, prepared: Prepared | None = None) -> View:
        """The view the controls ask for; a control left at None (an API caller omitting it) selects everything.
        `prepared`: the generation an answer is built from (default: the current one), so that its rows, line,
        snapshot id and memo all come from one generation even when the store changes meanwhile."""
        chosen = {name: value for name, value in (
            ("sizes", sizes), ("types", types), ("settings", setting_choices), ("exposures", exposures),
            ("measured_by", measured), ("protocols", protocols), ("coverages", coverages)) if value is not None}
        filters = Filters(str(search or "")[:SEARCH_LIMIT], show=show or COMPARABLE_ONLY,
                          show_reference=True if show_reference is None else bool(show_reference), **chosen)
        return (prepared or self.prepared()).view(filters, view or OVERALL)

    def refresh_table(self, search: str = "", view: str = OVERALL, show: str = COMPARABLE_ONLY,
                      sort_by: str = "Average", sizes: list[str] | None = None, types: list[str] | None = None,
                      setting_choices: list[str] | None = None, exposures: list[str] | None = None,
                      measured: list[str] | None = None, protocols: list[str] | None = None,
                      coverages: list[str] | None = None, show_reference: bool = True,
                      columns: list[str] | None = None, focus: str = "", page: float | None = None):
        """The main table for the given view, filters, sort and columns (the sorted column marked, tie bands
        shaded), a line saying what it shows, the row detail: of the `focus` row (a link's, a new
        submission's, the last selected), highlighted, when it is on the page shown; else the placeholder;
        and the page control. A table of more than MAX_PAGE_ROWS rows is shown a page at a time: `page`
        (None: the focus row's page, else the first)."""
        table = self._table(search, view, show, sort_by, sizes, types, setting_choices, exposures, measured,
                            protocols, coverages, show_reference)
        pages = max(1, -(-len(table.order) // MAX_PAGE_ROWS))
        if page is None:
            page = table.position(focus) // MAX_PAGE_ROWS + 1 if table.position(focus) is not None else 1
        page = min(max(1, int(page)), pages)
        first = (page - 1) * MAX_PAGE_ROWS
        records = table.records(first, MAX_PAGE_ROWS)
        frame = render.table_frame(records, render.table_columns(records, columns or render.DEFAULT_COLUMNS))
        line = table.line
        if pages > 1:
            line += f" Rows {first + 1:,}–{first + len(frame):,} of {len(table.order):,} (page {page} of {pages})."
        focus = focus if focus and focus in set(frame[render.ID_COLUMN]) else ""
        table_update = gr.Dataframe(value=render.styled(frame, sort_by or "Average", focus, table.shown.ranges.bands),
                                    datatype=render.datatypes(frame), column_widths=render.column_widths(frame),
                                    visible=not frame.empty)
        page_update = gr.Number(value=page, maximum=pages, visible=pages > 1, label=f"Page (of {pages})")
        return table_update, line, *self.detail(focus, view), page_update

    def detail(self, row_id: str, view: str | None):
        """The detail panel and heat map of one row in a view (the placeholder for no row)."""
        row = self.board.detailed(row_id) if row_id else None
        if row is None:
            return DETAIL_PLACEHOLDER, gr.Plot(value=None, visible=False)
        everything = self.prepared().view(Filters(show=ALL_ENTRIES), view or OVERALL)
        heatmap = charts_module.category_heatmap(row)
        return render.detail_markdown(row, everything), gr.Plot(value=heatmap, visible=heatmap is not None)

    def open_link(self, request: gr.Request):
        """A page opened from `?row=<id>`: the row to focus, and "all entries" when the row is not in the
        default view, so it is in the table (a `?compare=` link opens the Compare tab instead:
        `CompareCallbacks.on_load`)."""
        link = links.parse(dict(getattr(request, "query_params", None) or {}))
        if not link.row:
            return "", gr.skip()
        row = self.board.find(link.row)
        if row is None:
            gr.Warning(f"No row “{messages.for_page(messages.prefix(link.row, 60))}” on this board: the link is "
                       "outdated or mistyped.")
            return "", gr.skip()
        return row.id, (COMPARABLE_ONLY if row.comparable else ALL_ENTRIES)

    def _table(self, search, view, show, sort_by, sizes, types, setting_choices, exposures, measured, protocols,
               coverages, show_reference) -> Table:
        """The shown rows in the table's order, with the line above the table (once per board generation and
        controls: each page of the table, on screen or through the API, reuses it)."""
        prepared = self.prepared()

        def build() -> Table:
            shown = self.current(search, view, show, sizes, types, setting_choices, exposures, measured, protocols,
                                 coverages, show_reference, prepared=prepared)
            order = prepared.ordered(shown, sort_by or "Average")
            return Table(prepared, shown, order, self.summary_line(prepared, shown, search, show, sort_by))
        return prepared.memo(("table", *(_hashable(a) for a in (search, view, show, sort_by, sizes, types,
                                                                 setting_choices, exposures, measured, protocols,
                                                                 coverages, show_reference))), build)

    def leaderboard_api(self, search: str = "", view: str = OVERALL, show: str = COMPARABLE_ONLY,
                        sort_by: str = "Average", sizes: list[str] | None = None, types: list[str] | None = None,
                        setting_choices: list[str] | None = None, exposures: list[str] | None = None,
                        measured: list[str] | None = None, protocols: list[str] | None = None,
                        coverages: list[str] | None = None, show_reference: bool = True,
                        columns: list[str] | None = None, offset: int = 0, limit: int = MAX_PAGE_ROWS) -> dict:
        """The board as data: headers, rows (numbers unrounded), the same rows as displayed, and the note.

        Every row also carries `render.BOUND_COLUMNS`: its average's 95% interval, its range of plausible
        ranks and the strict average's interval (null where there is none). Every argument is optional; a
        list left out selects every value. One answer holds the rows `offset` to `offset + limit` of the
        table's order (`limit` at most MAX_PAGE_ROWS); `total` is how many rows match."""
        start, count = _whole_number(offset, "offset", 0), min(_whole_number(limit, "limit", 1), MAX_PAGE_ROWS)
        table = self._table(search, view, show, sort_by, sizes, types, setting_choices, exposures, measured,
                            protocols, coverages, show_reference)
        records = table.records(start, count)
        names = render.table_columns(records, columns or render.DEFAULT_COLUMNS, bounds=True, drop_empty=False)
        prepared = table.prepared
        return {"headers": names, "data": [[_number_or_none(record[c]) for c in names] for record in records],
                "display": [[values[c] for c in names] for values in (prepared.shown(r, table.shown) for r in records)],
                "note": table.line, "snapshot": prepared.snapshot(), "total": len(table.order), "offset": start,
                "limit": count}

    def snapshot(self) -> str:
        """The short id of the board's current rows (`space.snapshot`), computed once per generation."""
        return self.prepared().snapshot()

    def summary_line(self, prepared: Prepared, shown: View, search: str, show: str, sort_by: str = "Average") -> str:
        """One line saying what the table shows, what is left out, and how to get it back."""
        hidden = shown.hidden
        if not shown.rows:
            quoted = search if len(search) <= 60 else search[:60] + "…"  # never echo a user's text unbounded
            what = f"for “{render.escape_markdown(quoted)}”" if search else "with these filters"
            more = f" or show all entries ({plural(hidden, 'more entry', 'more entries')} match)" if (
                show != ALL_ENTRIES and hidden) else ""
            return f"**No results** {what} in {shown.view}. Clear the search or widen the filters{more}."
        ranked = sum(1 for r in shown.rows if r.id in shown.ranks)
        text = (f"Showing {plural(len(shown.rows), 'entry', 'entries')} in **{render.escape_markdown(shown.view)}**"
                f" ({ranked} ranked)")
        separable, pairs = prepared.separable(shown)
        if pairs:
            text += (f"; **{separable} of {pairs} adjacent pairs separable at 95%** (shaded ranks: tie bands; "
                     f"4 (3–7): plausible ranks — see About)")
        missing = [r.model for r in self.board.reported if r.status == "reference"
                   and numbers(r, shown.view).average is None]
        if missing:
            text = (f"*Reference lines without numbers for {render.escape_markdown(shown.view)} are not shown: "
                    f"{render.escape_markdown(', '.join(missing))}.* ") + text
        if search:
            text += f", {len(shown.rows)} of {shown.matched_before_search} match the search"
        order = (f"Sorted by **{render.escape_markdown(sort_by)}**; ranks stay by Average."
                 if sort_by and sort_by != "Average" else "")
        if show == ALL_ENTRIES:
            return f"{text}. {order} Rows marked **—** are not comparable with the full-benchmark ranking and " \
                   "never ranked (why: *Provenance* columns or the row's detail)."
        if show == STATED_ONLY:
            text += (f". Rows resting on a presumption ({taxonomy.PRESUMED_MARK}) are hidden too: choose "
                     f"*Show: {COMPARABLE_ONLY}* to see them, marked")
        if hidden:
            text += (f". {plural(hidden, 'entry', 'entries')} outside the comparable ranking (other setting, metric, "
                     "subset or training on industrial data) hidden: *Show: all entries*")
        return f"{text}. {order}".rstrip()

    def charts(self, search, view, show, sort_by, sizes, types, setting_choices, exposures, measured, protocols,
               coverages, show_reference, columns, chosen, keep_empty: bool = False):
        """Bar and radar for the Leaderboard tab's selection, and a line saying which selection that is;
        the radar keeps the picked models still in view (at most RADAR_LIMIT), else the top 4
        (`keep_empty`: the user just emptied the picker, so show the empty state instead). The picker lists
        the PICKER_LIMIT best entries of the selection (a search narrows it to others). Computed once per
        board generation and arguments: every page load asks for the default view's charts."""
        controls = (search, view, show, sizes, types, setting_choices, exposures, measured, protocols, coverages,
                    show_reference)

        prepared = self.prepared()

        def compute() -> tuple:
            shown = self.current(*controls, prepared=prepared)
            entries = [r for r in shown.rows if r.status != "reference"]
            picker = charts_module.choices(entries)[:PICKER_LIMIT]
            names = {value: name for name, value in picker}
            kept = [c for c in (chosen or []) if c in names][:charts_module.RADAR_LIMIT]
            if not kept and not keep_empty:
                kept = [v for _, v in picker[:4]]
            references = ([r for r in self.board.reported if r.status == "reference"]
                          if show_reference is not False else [])
            return (charts_module.bar_figure(shown, references),
                    charts_module.radar_figure(entries, kept, shown.view, names), picker, kept,
                    scope_line(shown, search, show, len(entries), len(picker)))
        bar, radar, picker, kept, line = prepared.memo(
            ("charts", *(_hashable(c) for c in (*controls, chosen)), keep_empty), compute)
        return bar, radar, gr.Dropdown(choices=picker, value=kept), line

    def export(self, search: str = "", view: str = OVERALL, show: str = COMPARABLE_ONLY,
               sort_by: str = "Average", sizes: list[str] | None = None, types: list[str] | None = None,
               setting_choices: list[str] | None = None, exposures: list[str] | None = None,
               measured: list[str] | None = None, protocols: list[str] | None = None,
               coverages: list[str] | None = None, show_reference: bool = True, columns: list[str] | None = None,
               *, fmt: str = "csv") -> str:
        """The current view as a CSV or JSON file (every field, formula-leading text neutralised)."""
        return self.exports.write(self._plain_table(search, view, show, sort_by, sizes, types, setting_choices,
                                                    exposures, measured, protocols, coverages, show_reference), fmt)

    def _plain_table(self, *controls) -> pd.DataFrame:
        """What the downloads hold for the controls (`export`'s, without the columns: a download has every
        field), built once per generation of the board: each page load and control change asks for both
        files, and 10,000 rows took 0.6 s a file."""
        search, view, show, sort_by, sizes, types, setting_choices, exposures, measured, protocols, coverages, \
            show_reference = controls

        prepared = self.prepared()

        def build() -> pd.DataFrame:
            shown = self.current(search, view, show, sizes, types, setting_choices, exposures, measured, protocols,
                                 coverages, show_reference, prepared=prepared)
            return render.plain_table(shown, sort_by or "Average", prepared.snapshot())
        return prepared.memo(("downloads", *(_hashable(c) for c in controls)), build)

    def downloads(self, *controls):
        """Both download buttons' files for the current view, so one click downloads."""
        return self.export(*controls, fmt="csv"), self.export(*controls, fmt="json")

    def row_detail(self, view: str, evt: gr.SelectData):
        """The detail panel of the selected row (looked up by the ID column, robust to client-side sorting),
        which becomes the focus: it stays open while the controls change, as long as it is in the table."""
        values = evt.row_value or []
        row = self.board.detailed(str(values[-1])) if values else None
        if row is None:
            raise gr.Error(messages.for_page("That row is no longer on the board; reload the page."),
                           print_exception=False)
        return (*self.detail(row.id, view), row.id)

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
        prepared = self.prepared()
        counted, updated = prepared.constant("counts", lambda: (counts(prepared.rows), last_updated(prepared.rows)))
        demo_text = f", {counted['synthetic']} synthetic (demo, never ranked)" if counted["synthetic"] else ""
        other_key = f", {counted['unverified']} scored on another key" if counted["unverified"] else ""
        return (f"Snapshot **`{prepared.snapshot()}`** (cite it with the date) · updated "
                f"**{updated}** · {counted['ranked']} ranked · "
                f"{counted['verified']} verified{demo_text}{other_key}, "
                f"{plural(counted['reported'], 'reported entry', 'reported entries')}, "
                f"{plural(counted['reference'], 'reference line')}  \n"
                f"store: {render.escape_markdown(self.store.describe())} · answer key: "
                f"{render.escape_markdown(key_text)}{self.startup_note}"
                f"{messages.for_page(' · ' + self.store.health()) if self.store.health() else ''}")

    def submit(self, predictions: str | None, model_name: str, link: str = "", license: str = "", size: str = "",
               model_type: str = "open", setting: str = DEFAULT_SETTING,
               training_exposure: str = DEFAULT_TRAINING_EXPOSURE, notes: str = "",
               profile: gr.OAuthProfile | None = None, request: gr.Request = None):
        """The /submit API: score a prediction file (JSONL or upstream answers JSON) and add it to the board;
        a refusal is a gr.Error (the API's documented behaviour)."""
        metadata = {"model_name": model_name, "link": link, "license": license, "size": size,
                    "model_type": model_type, "setting": setting, "training_exposure": training_exposure,
                    "notes": notes}
        stored = self._score_upload(predictions, metadata, profile, request)
        return scored_message(stored), self.status_table(), self.meta_line()

    def submit_from_page(self, predictions: str | None, model_name: str, link: str, license: str, size: str,
                         model_type: str, setting: str, training_exposure: str, notes: str,
                         profile: gr.OAuthProfile | None = None, request: gr.Request = None):
        """The Submit button: the outcome goes into the inline message next to the button, where it stays until
        the next action (a refusal never turns the Submissions list into an error badge); on success the
        message links to the new row, which becomes the board's focus (highlighted, its detail open) and
        the Show choice switches to "all entries" when the row is not in the default view."""
        metadata = {"model_name": model_name, "link": link, "license": license, "size": size,
                    "model_type": model_type, "setting": setting, "training_exposure": training_exposure,
                    "notes": notes}
        if predictions and not str(predictions).lower().endswith(PREDICTION_SUFFIXES):
            return wrong_file_type(predictions), gr.skip(), gr.skip(), gr.skip()
        try:
            stored = self._score_upload(predictions, metadata, profile, request)
        except gr.Error as exc:
            return f"**Not submitted.** {exc.message}", gr.skip(), gr.skip(), gr.skip()
        row = self.board.find(stored.id)
        message = (f"{scored_message(stored)} [Open its row on the board]({render.row_url(stored.id)})"
                   f"{'' if row is None or row.comparable else ' (under *Show: all entries*: it is not ranked)'}.")
        show = gr.skip() if row is None or row.comparable else ALL_ENTRIES
        return message, self.status_table(), stored.id, show

    def check_upload(self, predictions: str | None) -> str:
        """Said as soon as a file is chosen: a wrong kind of file (one message, kept until the next action)."""
        if predictions and not str(predictions).lower().endswith(PREDICTION_SUFFIXES):
            return wrong_file_type(predictions)
        return ""

    def _score_upload(self, predictions: str | None, metadata: dict, profile: gr.OAuthProfile | None,
                      request: gr.Request | None):
        """Score and store an upload and add its row; every refusal is a bounded, escaped gr.Error."""
        if not predictions:  # a click before choosing a file is not a failed attempt
            raise gr.Error("Choose a prediction file (.jsonl or .json) first.", print_exception=False)
        try:
            user = _user(profile, self.settings)
            stored = self.submitter.submit(predictions, metadata, user, client=_client(request),
                                           identified=self.settings.on_space)
        except MMADError as exc:
            raise gr.Error(messages.for_page(str(exc)), print_exception=False) from None
        self.board.add(stored)
        return stored

    def rescore(self, admin_token: str = "", profile: gr.OAuthProfile | None = None):
        """Admins only: re-score every stored prediction file with the current scorer and key."""
        from space.rescore import rescore_all

        try:
            identity.check_admin(profile, self.settings, admin_token)
            if self.key_info is None:
                raise identity.NotAllowed("no answer key is configured")
            report = rescore_all(self.store, self.key_info, max_bytes=self.settings.max_upload_bytes,
                                 cpu_seconds=self.settings.score_cpu_seconds)
        except MMADError as exc:
            raise gr.Error(messages.for_page(str(exc)), print_exception=False) from None
        self.board.reload()
        return messages.bounded(report.summary(quote=render.escape_markdown)), self.meta_line()

    def refresh(self):
        """Read the store again; when the Hub does not answer, the mirror is shown and the meta line says so."""
        self.store.refresh()
        self.submitter.reload()
        self.board.reload()
        return self.status_table(), self.meta_line()

    def admin_panel(self, profile: gr.OAuthProfile | None = None):
        return gr.Accordion(visible=identity.may_administer(profile, self.settings))
