"""The board's rendering: rows and views (`space/board.py`) → tables, downloads and markdown.

Pure functions: no file or network access here. User-supplied text is escaped before it goes into a
markdown cell and neutralised before it goes into a CSV/JSON download. Figures live in `space/charts.py`.
"""

from __future__ import annotations

import html
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import pandas as pd

from mmad_dataset import SOURCES, SUBTASKS

from . import taxonomy
from .intervals import NOT_STORED, SHORT, Interval
from .ranking import (ACCURACY_COLUMNS, NUMBER_COLUMNS, PERCENT_COLUMNS, SUBTASK_COLUMNS, Numbers, Row, View,
                      cell_number, numbers, ordered)

SYNTHETIC_LABEL = "synthetic (demo)"
STATUS_BADGE = {"verified": "✓ verified", "reported": "reported", "reference": "reference line",
                "synthetic": SYNTHETIC_LABEL}


def status_badge(row: Row) -> str:
    """The Status column's word: "✓ verified" only on this board's full key, else what it was scored on."""
    return row.scored_on if row.kind == "unverified" else STATUS_BADGE.get(row.kind, row.kind)


FIXED_COLUMNS: tuple[str, ...] = ("Rank", "Model")
#: The Average's 95% interval as text ("74.49–75.35", or why there is none).
CI_COLUMN = "95% CI"
#: Numbers of every row in /leaderboard (not on screen: the Rank and 95% CI columns show them).
BOUND_COLUMNS: tuple[str, ...] = ("Average CI low", "Average CI high", "Rank best", "Rank worst",
                                  "Strict avg CI low", "Strict avg CI high")
RANK_BOUNDS = ("Rank best", "Rank worst")
CI_BOUNDS = tuple(c for c in BOUND_COLUMNS if c not in RANK_BOUNDS)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "Average", CI_COLUMN, "Size", "Setting", "Measured by", "Not ranked because", *SUBTASK_COLUMNS, "Strict avg",
    "Answered", "Type", "Training exposure", "Protocol", "Coverage", "Quantisation", "Status", "Overkill", "Miss",
    "Sources", "Flags",
)
#: Column sets sized to fit the window: Overview fits 1,280 px whole, the others a 1,920 px window.
PRESETS: dict[str, tuple[str, ...]] = {
    "Overview": ("Average", CI_COLUMN, "Size", "Setting", *SUBTASK_COLUMNS),
    "Subtasks": ("Average", CI_COLUMN, *SUBTASK_COLUMNS, "Strict avg", "Answered"),
    "Detection": ("Average", "Anomaly Disc.", "Overkill", "Miss", "Strict avg", "Answered", "Size", "Measured by"),
    "Provenance": ("Average", "Status", "Measured by", "Training exposure", "Coverage", "Not ranked because",
                   "Sources", "Flags"),
}
DEFAULT_PRESET = "Overview"
DEFAULT_COLUMNS: tuple[str, ...] = PRESETS[DEFAULT_PRESET]
#: Always last: the stable id the row-detail view looks rows up by.
ID_COLUMN = "ID"
#: Long text columns end in an ellipsis (whole text in the row detail); Average, its interval and the seven
#: subtasks fit at 1,280 px, Size and Setting too at 1,920 px.
WIDTHS: dict[str, int] = {"Rank": 92, "Model": 220, "Average": 88, CI_COLUMN: 96, "Size": 58, "Setting": 96,
                          "Measured by": 150, "Not ranked because": 280, "Answered": 88, "Type": 110,
                          "Training exposure": 150, "Protocol": 90, "Coverage": 150, "Quantisation": 110,
                          "Status": 150, "Sources": 260, "Flags": 200,
                          ID_COLUMN: 240}
#: Marks the column the rows are ordered by ("Average ▼").
SORT_MARK = " ▼"
MARKDOWN_COLUMNS = frozenset({"Model", "Sources", "Flags", "Not ranked because"})


# --- escaping ---------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~])")
_MD_LINE_START = re.compile(r"^(\d*)([-+=.)>])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_markdown(text: Any) -> str:
    """Inert text for a markdown cell: markdown syntax backslash-escaped, then `&`, `<`, `>` as entities
    (in this order, so that an entity's `#` is never escaped into visible text)."""
    flat = " ".join(str(text or "").split())
    escaped = _MD_LINE_START.sub(r"\1\\\2", _MD_SPECIAL.sub(r"\\\1", flat))
    return html.escape(escaped, quote=False)


def inert_cell(value: Any) -> Any:
    """A text cell a spreadsheet will not run: formula-leading text gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_url(url: Any) -> str | None:
    """An http(s) URL safe to put in `[text](url)`; None for anything else (javascript:, data:, …)."""
    url = str(url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=":/?&=#%@+,;~")


def link_cell(text: Any, url: Any) -> str:
    label = escape_markdown(text)
    target = safe_url(url)
    return f"[{label}]({target})" if target else label


def row_url(row_id: str) -> str:
    """The relative link that opens the board on one row's detail (`?row=<id>`, read by `space.ui.links`);
    relative, so it works on a Space, locally and behind a proxy."""
    return f"?row={quote(row_id, safe='')}"


def fixed(value: float | None, suffix: str = "") -> str:
    """Two decimals always ("75.00", not "75"); an en dash when there is no number."""
    missing = value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))  # not pd.isna: hot
    return "–" if missing else f"{float(value):.2f}{suffix}"


def interval_text(interval: Interval | None, row: Row) -> str:
    """"74.49–75.35", or in a few words why the row has no interval here."""
    if interval is None:
        return SHORT.get(row.uncertainty.missing_because, SHORT[NOT_STORED])
    return f"{interval.low:.2f}–{interval.high:.2f}"


def bound_fields(row: Row, board: View, nums: Numbers) -> list[float | int | None]:
    """The values of `BOUND_COLUMNS` for one row (None where there is no interval or no rank)."""
    best, worst = board.ranges.ranks.get(row.id, (None, None))
    average, strict = nums.interval, nums.strict_interval
    return [average and average.low, average and average.high, best, worst, strict and strict.low,
            strict and strict.high]


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 entry", "2 entries", "0 entries": the count and the word that agrees with it."""
    return f"{count:,} {one if count == 1 else many or one + 's'}"


# --- tables -------------------------------------------------------------------------------------

def _sources_cell(row: Row) -> str:
    if row.status == "verified":
        return escape_markdown(f"submitted by {row.submitted}")
    if not row.sources:
        return "–"
    primary = row.sources[0]
    more = f" (+{len(row.sources) - 1} more)" if len(row.sources) > 1 else ""
    return link_cell(primary.get("title", "source"), primary.get("link")) + more


def display_record(row: Row, board: View) -> dict[str, Any]:
    """Every column of one row as shown (markdown cells escaped; numbers left numeric for sorting)."""
    nums = numbers(row, board.view)
    record: dict[str, Any] = {
        "Rank": board.rank_text(row), "Model": model_cell(row), "Size": row.size or "–",
        "Setting": row.marked("setting"), "Measured by": row.measured_by or "–",
        "Not ranked because": escape_markdown("; ".join(row.not_ranked_because()) if row.kind != "reference" else ""),
        "Type": row.type or "–", "Training exposure": row.marked("training_exposure"),
        "Protocol": row.marked("protocol"), "Quantisation": row.marked("quantisation"),
        "Coverage": " ".join(filter(None, [row.marked("coverage"),
                                           f"({row.coverage_detail})" if row.coverage_detail else ""])),
        "Status": status_badge(row), "Sources": _sources_cell(row),
        "Flags": escape_markdown("; ".join(all_flags(row))), ID_COLUMN: row.id,
        CI_COLUMN: interval_text(nums.interval, row),
    }
    record.update({column: cell_number(column, row, nums) for column in NUMBER_COLUMNS})
    record.update(zip(BOUND_COLUMNS, bound_fields(row, board, nums)))
    return record


def all_flags(row: Row) -> list[str]:
    """The row's flags, led by which comparability fields the board presumes (the detail says why)."""
    presumed = ", ".join(name.replace("_", " ") for name in row.presumed)
    return [f"{taxonomy.PRESUMED_MARK} presumed: {presumed}"] * bool(presumed) + row.flags


def model_cell(row: Row) -> str:
    """The model's name (linked), followed by the presumption mark when the board presumes any of its
    comparability fields, so every column preset shows it (the Flags column and the detail say which)."""
    return link_cell(row.model, row.link) + (f" {taxonomy.PRESUMED_MARK}" if row.presumed else "")


def _empty(value: Any) -> bool:
    """An empty cell: no value, a dash or NaN (math.isnan, not pd.isna: called per cell of every shown row)."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or value in ("", "–")


def table(board: View, columns: Sequence[str] = DEFAULT_COLUMNS, sort_by: str = "Average", *,
          bounds: bool = False) -> pd.DataFrame:
    """The board as a DataFrame: chosen columns in a fixed order, ID last (see `table_columns`; `bounds`
    adds `BOUND_COLUMNS` before the ID, the API's table)."""
    records = table_records(board, ordered(board, sort_by))
    return table_frame(records, table_columns(records, columns, bounds=bounds))


def table_records(board: View, rows: Sequence[Row],
                  record: Callable[[Row, View], dict[str, Any]] = display_record, *,
                  repeated: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The display records of `rows` in order, runs of one model told apart in the Model cell (`repeated`:
    `repeated_runs` of the whole table when `rows` is one page of it). `record` may serve prepared records
    (`space/prepared.py`); they are copied, never changed."""
    records = [record(row, board) for row in rows]
    repeated = repeated_runs(rows) if repeated is None else repeated
    for i, row in enumerate(rows):
        if row.id in repeated:
            records[i] = {**records[i], "Model": records[i]["Model"] + f" · *{escape_markdown(repeated[row.id])}*"}
    return records


def table_columns(records: Sequence[Mapping[str, Any]], columns: Sequence[str], *, bounds: bool = False,
                  drop_empty: bool = True) -> list[str]:
    """Chosen columns in a fixed order, ID last. With `drop_empty`, a chosen column that is empty in every
    one of `records` (e.g. "Not ranked because" in the default view) is dropped, so it spends no width
    (the API keeps every chosen column, so all its pages have the same headers); `bounds`: with
    `BOUND_COLUMNS` before the ID."""
    shown = [c for c in OPTIONAL_COLUMNS if c in columns
             and (c == "Average" or not drop_empty or not all(_empty(r[c]) for r in records))]
    return [*FIXED_COLUMNS, *shown, *(BOUND_COLUMNS if bounds else ()), ID_COLUMN]


def table_frame(records: Sequence[Mapping[str, Any]], names: Sequence[str]) -> pd.DataFrame:
    """The records' `names` columns as a DataFrame, rank bounds kept integers."""
    return _integer_ranks(pd.DataFrame.from_records(records, columns=names), RANK_BOUNDS)


def id_difference(row: Row, runs: Sequence[Row]) -> str:
    """What is left of a row's id after the hyphen-delimited prefix all ids of the group share: ids are
    `<model>-<setting>-<source>` slugs, so for two runs of one model that is their source ("paper", "csv")."""
    shared = os.path.commonprefix([other.id for other in runs])
    shared = shared[:shared.rfind("-") + 1]  # "" when the shared prefix has no hyphen (rfind gives -1)
    return row.id[len(shared):] or row.id


def repeated_runs(rows: Sequence[Row]) -> dict[str, str]:
    """Row id → what tells its run apart, for models shown more than once in one setting."""
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.model, row.setting), []).append(row)
    return {row.id: id_difference(row, runs) for runs in groups.values() if len(runs) > 1 for row in runs}


#: Rank-cell shading of alternate tie bands (rows in one band cannot be told apart from their neighbours).
BAND_SHADE = "background-color: #dbe7f5"
HIGHLIGHT = "background-color: #fff3bf; font-weight: 600"


def headers(frame: pd.DataFrame, sort_by: str = "Average") -> list[str]:
    """What the page's table heads its columns with: the sorted column marked ("Average ▼"), and the Rank
    column saying what it ranks by (always the view's average, whatever the order)."""
    return [f"{c}{SORT_MARK}" if c == sort_by else "Rank (by Average)" if c == "Rank" else c for c in frame.columns]


def styled(frame: pd.DataFrame, sort_by: str | None = None, highlight: str = "",
           bands: Mapping[str, int] | None = None):
    """Fixed decimals on screen ("75.00", "99.50%") while the cells stay numbers for sorting; with `sort_by`
    the headers are marked (`headers`); the row whose ID is `highlight` gets a tinted background; the Rank
    cells of odd tie bands (`bands`: row id → band) are shaded, so rows that are statistically tied share a
    shade."""
    names = headers(frame, sort_by) if sort_by else list(frame.columns)
    shown = frame.set_axis(names, axis="columns")
    formats = {n: (lambda v: fixed(v)) for c, n in zip(frame.columns, names) if c in ACCURACY_COLUMNS}
    formats.update({n: (lambda v: fixed(v, "%")) for c, n in zip(frame.columns, names) if c in PERCENT_COLUMNS})
    style = shown.style.format(formats)
    if ID_COLUMN not in frame.columns or not (highlight or bands):
        return style
    ids, is_rank = list(frame[ID_COLUMN]), [c == "Rank" for c in frame.columns]

    def cells(record: pd.Series) -> list[str]:
        row_id = ids[record.name]
        if highlight and row_id == highlight:
            return [HIGHLIGHT] * len(is_rank)
        band = BAND_SHADE if bands and bands.get(row_id, 0) % 2 else ""
        return [band if rank else "" for rank in is_rank]

    return style.apply(cells, axis=1)


def datatypes(frame: pd.DataFrame) -> list[str]:
    """gr.Dataframe datatypes for a table's columns."""
    return ["markdown" if c in MARKDOWN_COLUMNS else "number" if c in NUMBER_COLUMNS else "str"
            for c in frame.columns]


def column_widths(frame: pd.DataFrame) -> list[str]:
    """Pixel widths so that headers do not wrap letter by letter; numbers get a narrow column."""
    return [f"{WIDTHS.get(column, 80)}px" for column in frame.columns]


EXPORT_TEXT = ("id", "rank", "model", "model_version", "link", "status", "size", "type", "setting",
               "setting_detail", "protocol", "protocol_detail", "coverage", "coverage_detail", "training_exposure",
               "training_detail", "quantisation", "quantisation_detail", "presumed", "measured_by",
               "not_ranked_because", "run_note", "notes", "flags", "sources")


def _integer_ranks(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Rank bounds stay integers ("4", not "4.0") where some rows have none."""
    for column in (c for c in columns if c in frame.columns):
        frame[column] = frame[column].astype("Int64")
    return frame


def plain_table(board: View, sort_by: str = "Average", snapshot: str = "") -> pd.DataFrame:
    """What the CSV/JSON download holds: every field, unescaped, formula-leading text neutralised, and the
    board's snapshot id on every row (so a saved file says which state of the board it is)."""
    records = []
    for row in ordered(board, sort_by):
        nums = numbers(row, board.view)
        text = {
            "id": row.id, "rank": board.rank_text(row), "model": row.model, "model_version": row.model_version,
            "link": row.link, "status": status_badge(row), "size": row.size or "",
            "type": row.type, "setting": row.setting, "setting_detail": row.setting_detail,
            "protocol": row.protocol, "protocol_detail": row.protocol_detail, "coverage": row.coverage,
            "coverage_detail": row.coverage_detail, "training_exposure": row.training_exposure,
            "training_detail": row.training_detail, "quantisation": row.quantisation,
            "quantisation_detail": row.quantisation_detail,
            "presumed": "; ".join(f"{name}: {reason}" for name, reason in row.presumed.items()),
            "measured_by": row.measured_by,
            "not_ranked_because": "; ".join(row.not_ranked_because()), "run_note": row.run_note,
            "notes": row.notes, "flags": "; ".join(row.flags),
            "sources": "; ".join(" · ".join(str(s[k]) for k in ("title", "locator", "link") if s.get(k))
                                 for s in row.sources) or (f"submitted by {row.submitted}" if row.submitted else ""),
        }
        bounds = dict(zip(BOUND_COLUMNS, bound_fields(row, board, nums)))
        records.append({**{k: inert_cell(v) for k, v in text.items()},
                        "average": nums.average, **{s: nums.subtasks.get(s) for s in SUBTASKS},
                        "strict_average": nums.strict, "answered_percent": row.answered,
                        "scorer": inert_cell(row.scorer), **bounds,
                        "no_interval_because": "" if nums.interval else row.uncertainty.missing_because or NOT_STORED,
                        "snapshot": snapshot})
    frame = pd.DataFrame.from_records(records, columns=[*EXPORT_TEXT, "average", *SUBTASKS, "strict_average",
                                                        "answered_percent", "scorer", *BOUND_COLUMNS,
                                                        "no_interval_because", "snapshot"])
    return _integer_ranks(frame, RANK_BOUNDS)


# --- row detail ----------------------------------------------------------------------------------

def _line(label: str, value: Any, detail: Any = "", presumed: str = "") -> str:
    text = escape_markdown(value) or "–"
    line = f"- **{label}:** {text}" + (f" ({escape_markdown(detail)})" if detail else "")
    return line + (f" · {taxonomy.PRESUMED_MARK} *presumed:* {escape_markdown(presumed)}" if presumed else "")


#: Comparability field → its label in the row detail and the field holding its detail text.
DETAIL_LABELS: dict[str, tuple[str, str]] = {
    "setting": ("Setting", "setting_detail"), "protocol": ("Protocol", "protocol_detail"),
    "coverage": ("Coverage", "coverage_detail"), "training_exposure": ("Training exposure", "training_detail"),
    "quantisation": ("Quantisation", "quantisation_detail"),
}


def _comparability_lines(row: Row) -> list[str]:
    """One line per comparability field, each presumed value marked and followed by the reason (a verified
    row, which records no quantisation, shows none)."""
    presumed = row.presumed
    shown = [name for name in taxonomy.COMPARABILITY_FIELDS if name != "quantisation" or row.quantisation]
    return [_line(DETAIL_LABELS[name][0], getattr(row, name), getattr(row, DETAIL_LABELS[name][1]),
                  presumed.get(name, "")) for name in shown]


def _source_line(number: int, source: Mapping[str, Any]) -> str:
    measured = {True: "measured", False: "copied"}.get(source.get("measured"), "–")
    precision = source.get("precision")
    average = source.get("average")
    shown = "–" if average is None else (f"{average:.{precision}f}" if isinstance(precision, int) else fixed(average))
    return "| " + " | ".join([str(number), link_cell(source.get("title", "source"), source.get("link")),
                              escape_markdown(source.get("kind")), escape_markdown(source.get("locator")),
                              measured, escape_markdown(source.get("confidence")), shown]) + " |"


def interval_method(row: Row) -> str:
    """How a row's intervals were computed, in a few words."""
    if row.status == "verified":
        return "image-level bootstrap of the stored predictions"
    return "analytic, from the printed numbers and the benchmark's question counts; questions assumed independent"


def _interval_lines(row: Row, nums: Numbers) -> list[str]:
    """The 95% interval of the average and of each subtask (or why there is none)."""
    if nums.interval is None:
        return [f"- **95% interval:** none ({escape_markdown(row.uncertainty.missing_because or NOT_STORED)})"]
    subtasks = " · ".join(f"{title} {interval_text(nums.subtask_intervals.get(s), row)}"
                          for s, title in zip(SUBTASKS, SUBTASK_COLUMNS) if s in nums.subtask_intervals)
    return [f"- **95% interval of the average:** {interval_text(nums.interval, row)} ({interval_method(row)})",
            *([f"- **95% intervals per subtask:** {subtasks}"] if subtasks else [])]


def _standing(row: Row, board: View) -> str:
    if row.id not in board.ranks:
        return "not ranked: " + escape_markdown("; ".join(row.not_ranked_because()))
    best, worst = board.ranges.ranks.get(row.id, (board.ranks[row.id],) * 2)
    certainty = (f"plausible ranks {best}–{worst} at 95%" if best != worst
                 else "separated from every other ranked row at 95%")
    return f"rank **{board.ranks[row.id]}** in {escape_markdown(board.view)} ({certainty})"


def detail_markdown(row: Row, board: View) -> str:
    """The row-detail panel: why the row is there, where each number comes from, its per-source numbers."""
    nums = numbers(row, board.view)
    lines = [f"### {link_cell(row.model, row.link)}",
             f"{status_badge(row)} · {_standing(row, board)} · average **{fixed(nums.average, '%')}**"
             f" ({escape_markdown(board.view)}) · id `{escape_markdown(row.id)}` · "
             f"[link to this row]({row_url(row.id)})", "",
             *_interval_lines(row, nums),
             *_comparability_lines(row), _line("Measured by", row.measured_by), _line("Size", row.size),
             _line("Type", row.type)]
    if row.model_version:
        lines.append(_line("Model version", row.model_version))
    if row.status == "verified":
        lines += [_line("Submitted by", row.submitted),
                  f"- **Answered:** {fixed(row.answered, '%')} of the questions · **strict average:** "
                  f"{fixed(row.strict_average, '%')}", _line("Scored with", row.scorer)]
    lines += ["", f"**Run note:** {escape_markdown(row.run_note) or '–'}",
              "", f"**Notes:** {escape_markdown(row.notes) or '–'}",
              "", f"**Flags:** {escape_markdown('; '.join(all_flags(row))) or 'none'}"]
    if row.sources:
        lines += ["", "#### Sources (primary first)", "",
                  "| # | Source | Kind | Locator | Own run? | Conf. | As printed |",
                  "|---|---|---|---|---|---|---|",
                  *(_source_line(i, s) for i, s in enumerate(row.sources, 1))]
    if row.by_source:
        lines += ["", "#### Numbers per MMAD source (accuracy, %)", "",
                  "| Source | Average | 95% CI | " + " | ".join(SUBTASK_COLUMNS) + " |",
                  "|---" * (3 + len(SUBTASKS)) + "|"]
        for source in SOURCES:
            data = row.by_source.get(source)
            if data:
                cells = [fixed(data.get("average")), interval_text(numbers(row, source).interval, row),
                         *(fixed(data.get("subtasks", {}).get(s)) for s in SUBTASKS)]
                lines.append(f"| {source} | " + " | ".join(cells) + " |")
    else:
        lines += ["", "_No per-source numbers were published for this entry._"]
    return "\n".join(lines)
