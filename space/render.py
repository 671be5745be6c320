"""The board's rendering: rows and views (`space/board.py`) → tables, downloads and markdown.

Pure functions: no file or network access here. User-supplied text is escaped before it goes into a
markdown cell and neutralised before it goes into a CSV/JSON download. Figures live in `space/charts.py`.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import pandas as pd

from mmad_dataset import SOURCES, SUBTASKS

from .intervals import NOT_STORED, SHORT, Interval
from .ranking import (ACCURACY_COLUMNS, NUMBER_COLUMNS, PERCENT_COLUMNS, SUBTASK_COLUMNS, Numbers, Row, View,
                      cell_number, numbers, ordered)

SYNTHETIC_LABEL = "synthetic (demo)"
STATUS_BADGE = {"verified": "✓ verified", "reported": "reported", "reference": "reference line",
                "synthetic": SYNTHETIC_LABEL}
FIXED_COLUMNS: tuple[str, ...] = ("Rank", "Model")
#: The Average's 95% interval as text ("74.49–75.35", or why there is none).
CI_COLUMN = "95% CI"
#: Numbers of every row in /leaderboard (not on screen: the Rank and 95% CI columns show them).
BOUND_COLUMNS: tuple[str, ...] = ("Average CI low", "Average CI high", "Rank best", "Rank worst",
                                  "Strict avg CI low", "Strict avg CI high")
RANK_BOUNDS = ("Rank best", "Rank worst")
CI_BOUNDS = tuple(c for c in BOUND_COLUMNS if c not in RANK_BOUNDS)
#: Size, Setting and Measured by come right after the average so they fit at 1,280 px.
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "Average", CI_COLUMN, "Size", "Setting", "Measured by", "Not ranked because", *SUBTASK_COLUMNS, "Strict avg",
    "Answered", "Type", "Training exposure", "Protocol", "Coverage", "Status", "Overkill", "Miss", "Sources", "Flags",
)
DEFAULT_COLUMNS: tuple[str, ...] = (
    "Average", CI_COLUMN, "Size", "Setting", "Measured by", "Not ranked because", *SUBTASK_COLUMNS, "Strict avg",
    "Answered", "Type", "Training exposure", "Sources", "Flags",
)
#: Always last: the stable id the row-detail view looks rows up by.
ID_COLUMN = "ID"
WIDTHS: dict[str, int] = {"Rank": 92, "Model": 230, "Average": 78, CI_COLUMN: 108, "Size": 58, "Setting": 132,
                          "Measured by": 156, "Not ranked because": 300, "Answered": 88, "Type": 120, "Training exposure": 130,
                          "Protocol": 90, "Coverage": 150, "Status": 110, "Sources": 300, "Flags": 200,
                          ID_COLUMN: 200}
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


def fixed(value: float | None, suffix: str = "") -> str:
    """Two decimals always ("75.00", not "75"); an en dash when there is no number."""
    return "–" if value is None or pd.isna(value) else f"{float(value):.2f}{suffix}"


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
        "Rank": board.rank_text(row), "Model": link_cell(row.model, row.link), "Size": row.size or "–",
        "Setting": row.setting or "–", "Measured by": row.measured_by or "–",
        "Not ranked because": escape_markdown("; ".join(row.not_ranked_because()) if row.kind != "reference" else ""),
        "Type": row.type or "–", "Training exposure": row.training_exposure or "–",
        "Protocol": row.protocol or "–",
        "Coverage": " ".join(filter(None, [row.coverage, f"({row.coverage_detail})" if row.coverage_detail else ""]))
                    or "–",
        "Status": STATUS_BADGE.get(row.kind, row.kind), "Sources": _sources_cell(row),
        "Flags": escape_markdown("; ".join(row.flags)), ID_COLUMN: row.id,
        CI_COLUMN: interval_text(nums.interval, row),
    }
    record.update({column: cell_number(column, row, nums) for column in NUMBER_COLUMNS})
    record.update(zip(BOUND_COLUMNS, bound_fields(row, board, nums)))
    return record


def table(board: View, columns: Sequence[str] = DEFAULT_COLUMNS, sort_by: str = "Average", *,
          bounds: bool = False) -> pd.DataFrame:
    """The board as a DataFrame: chosen columns in a fixed order, ID last. "Not ranked because" is
    dropped when no shown row has a reason, so the default view spends no width on it. `bounds` adds
    `BOUND_COLUMNS` before the ID (the API's table)."""
    rows = ordered(board, sort_by)
    records = [display_record(row, board) for row in rows]
    repeated = _repeated_runs(rows)
    for row, record in zip(rows, records):
        if row.id in repeated:
            record["Model"] += f" · *{escape_markdown(repeated[row.id])}*"
    shown = [c for c in OPTIONAL_COLUMNS if c in columns]
    if "Not ranked because" in shown and not any(r["Not ranked because"] for r in records):
        shown.remove("Not ranked because")
    names = [*FIXED_COLUMNS, *shown, *(BOUND_COLUMNS if bounds else ()), ID_COLUMN]
    return _integer_ranks(pd.DataFrame.from_records(records, columns=names), RANK_BOUNDS)


def id_difference(row: Row, runs: Sequence[Row]) -> str:
    """What is left of a row's id after the hyphen-delimited prefix all ids of the group share: ids are
    `<model>-<setting>-<source>` slugs, so for two runs of one model that is their source ("paper", "csv")."""
    shared = os.path.commonprefix([other.id for other in runs])
    shared = shared[:shared.rfind("-") + 1] if "-" in shared else ""
    return row.id[len(shared):] or row.id


def _repeated_runs(rows: Sequence[Row]) -> dict[str, str]:
    """Row id → what tells its run apart, for models shown more than once in one setting."""
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.model, row.setting), []).append(row)
    return {row.id: id_difference(row, runs) for runs in groups.values() if len(runs) > 1 for row in runs}


#: Rank-cell shading of alternate tie bands (rows in one band cannot be told apart from their neighbours).
BAND_SHADE = "background-color: #dbe7f5"


def styled(frame: pd.DataFrame, bands: Mapping[str, int] | None = None):
    """Fixed decimals on screen ("75.00", "99.50%") while the cells stay numbers for sorting; the Rank
    cells of odd tie bands (`bands`: row id → band) shaded, so rows that are statistically tied share a shade."""
    formats = {c: (lambda v: fixed(v)) for c in frame.columns if c in ACCURACY_COLUMNS}
    formats.update({c: (lambda v: fixed(v, "%")) for c in frame.columns if c in PERCENT_COLUMNS})
    style = frame.style.format(formats)
    if bands and not frame.empty:
        shades = [BAND_SHADE if bands.get(row_id, 0) % 2 else "" for row_id in frame[ID_COLUMN]]
        style = style.apply(lambda _: shades, subset=["Rank"], axis=0)
    return style


def datatypes(frame: pd.DataFrame) -> list[str]:
    """gr.Dataframe datatypes for a table's columns."""
    return ["markdown" if c in MARKDOWN_COLUMNS else "number" if c in NUMBER_COLUMNS else "str"
            for c in frame.columns]


def column_widths(frame: pd.DataFrame) -> list[str]:
    """Pixel widths so that headers do not wrap letter by letter; numbers get a narrow column."""
    return [f"{WIDTHS.get(column, 80)}px" for column in frame.columns]


EXPORT_TEXT = ("id", "rank", "model", "model_version", "link", "status", "size", "type", "setting",
               "setting_detail", "protocol", "protocol_detail", "coverage", "coverage_detail", "training_exposure",
               "training_detail", "measured_by", "not_ranked_because", "run_note", "notes", "flags", "sources")


def _integer_ranks(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Rank bounds stay integers ("4", not "4.0") where some rows have none."""
    for column in (c for c in columns if c in frame.columns):
        frame[column] = frame[column].astype("Int64")
    return frame


#: `BOUND_COLUMNS` under the download's snake_case names, in the same order.
EXPORT_BOUNDS = ("average_ci_low", "average_ci_high", "rank_best", "rank_worst", "strict_average_ci_low",
                 "strict_average_ci_high")


def plain_table(board: View, sort_by: str = "Average") -> pd.DataFrame:
    """What the CSV/JSON download holds: every field, unescaped, formula-leading text neutralised."""
    records = []
    for row in ordered(board, sort_by):
        nums = numbers(row, board.view)
        text = {
            "id": row.id, "rank": board.rank_text(row), "model": row.model, "model_version": row.model_version,
            "link": row.link, "status": STATUS_BADGE.get(row.kind, row.kind), "size": row.size or "",
            "type": row.type, "setting": row.setting, "setting_detail": row.setting_detail,
            "protocol": row.protocol, "protocol_detail": row.protocol_detail, "coverage": row.coverage,
            "coverage_detail": row.coverage_detail, "training_exposure": row.training_exposure,
            "training_detail": row.training_detail, "measured_by": row.measured_by,
            "not_ranked_because": "; ".join(row.not_ranked_because()), "run_note": row.run_note,
            "notes": row.notes, "flags": "; ".join(row.flags),
            "sources": "; ".join(" · ".join(str(s.get(k) or "") for k in ("title", "locator", "link") if s.get(k))
                                 for s in row.sources) or (f"submitted by {row.submitted}" if row.submitted else ""),
        }
        bounds = dict(zip(EXPORT_BOUNDS, bound_fields(row, board, nums)))
        records.append({**{k: inert_cell(v) for k, v in text.items()},
                        "average": nums.average, **{s: nums.subtasks.get(s) for s in SUBTASKS},
                        "strict_average": nums.strict, "answered_percent": row.answered,
                        "scorer": inert_cell(row.scorer), **bounds,
                        "no_interval_because": "" if nums.interval else row.uncertainty.missing_because or NOT_STORED})
    frame = pd.DataFrame.from_records(records, columns=[*EXPORT_TEXT, "average", *SUBTASKS, "strict_average",
                                                        "answered_percent", "scorer", *EXPORT_BOUNDS,
                                                        "no_interval_because"])
    return _integer_ranks(frame, ("rank_best", "rank_worst"))


# --- row detail ----------------------------------------------------------------------------------

def _line(label: str, value: Any, detail: Any = "") -> str:
    text = escape_markdown(value) or "–"
    return f"- **{label}:** {text}" + (f" ({escape_markdown(detail)})" if detail else "")


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
             f"{STATUS_BADGE.get(row.kind, row.kind)} · {_standing(row, board)} · average "
             f"**{fixed(nums.average, '%')}** ({escape_markdown(board.view)}) · id `{escape_markdown(row.id)}`", "",
             *_interval_lines(row, nums),
             _line("Setting", row.setting, row.setting_detail), _line("Protocol", row.protocol, row.protocol_detail),
             _line("Coverage", row.coverage, row.coverage_detail),
             _line("Training exposure", row.training_exposure, row.training_detail),
             _line("Measured by", row.measured_by), _line("Size", row.size), _line("Type", row.type)]
    if row.model_version:
        lines.append(_line("Model version", row.model_version))
    if row.status == "verified":
        lines += [_line("Submitted by", row.submitted),
                  f"- **Answered:** {fixed(row.answered, '%')} of the questions · **strict average:** "
                  f"{fixed(row.strict_average, '%')}", _line("Scored with", row.scorer)]
    lines += ["", f"**Run note:** {escape_markdown(row.run_note) or '–'}",
              "", f"**Notes:** {escape_markdown(row.notes) or '–'}",
              "", f"**Flags:** {escape_markdown('; '.join(row.flags)) or 'none'}"]
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
