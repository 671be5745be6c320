"""Entries (reported JSON files and stored verified submissions) → board rows → tables and charts.

Pure functions: no file or network access here, so every view of the board is testable without
a server. User-supplied text is escaped before it goes into a markdown cell.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pandas as pd

from mmad_dataset import SOURCES, SUBTASK_TITLES, SUBTASKS

OVERALL = "All sources"
VIEWS: tuple[str, ...] = (OVERALL, *SOURCES)
SIZE_BUCKETS: tuple[str, ...] = ("≤ 10B", "10–40B", "> 40B", "unknown")
TYPES: tuple[str, ...] = ("open", "API", "industrial-specialised")
SETTINGS: tuple[str, ...] = ("0-shot", "1-shot", "1-shot+", "k-shot", "+ domain knowledge")
PROVENANCES: tuple[str, ...] = ("verified here", "paper table", "authors' released results",
                                "self-reported", "third-party")
TRAINED_FLAG = "trains on MMAD or its source images"
SUBSET_FLAG = "subset run"
TRAINED_CHOICES: tuple[str, ...] = ("include", "exclude", "only")
STATUS_BADGE = {"verified": "✓ verified", "reported": "reported", "reference": "reference line"}

SHORT_TITLES: dict[str, str] = {
    "anomaly_discrimination": "Anomaly Disc.", "defect_classification": "Defect Cls.",
    "defect_localization": "Defect Loc.", "defect_description": "Defect Desc.",
    "defect_analysis": "Defect Anal.", "object_classification": "Object Cls.",
    "object_analysis": "Object Anal.",
}
SUBTASK_COLUMNS: tuple[str, ...] = tuple(SHORT_TITLES[s] for s in SUBTASKS)
FIXED_COLUMNS: tuple[str, ...] = ("Rank", "Model")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "Status", "Average", "Strict avg", "Coverage", *SUBTASK_COLUMNS, "Size", "Setting", "Type",
    "Provenance", "Overkill", "Miss", "Flags", "Source", "Scorer",
)
DEFAULT_COLUMNS: tuple[str, ...] = (
    "Status", "Average", "Strict avg", "Coverage", *SUBTASK_COLUMNS, "Size", "Setting", "Type", "Provenance",
)
WIDTHS: dict[str, int] = {"Rank": 62, "Model": 250, "Status": 104, "Size": 62, "Setting": 170, "Type": 160,
                          "Provenance": 180, "Flags": 230, "Source": 280, "Scorer": 300}
MARKDOWN_COLUMNS = frozenset({"Model", "Source", "Flags", "Status"})
NUMBER_COLUMNS = frozenset({*SUBTASK_COLUMNS, "Average", "Strict avg", "Coverage", "Overkill", "Miss"})


# --- escaping ---------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~])")
_MD_LINE_START = re.compile(r"^(\d*)([-+=.)])")


def escape_markdown(text: Any) -> str:
    """Inert text for a markdown cell: HTML entities escaped, markdown syntax backslash-escaped."""
    flat = " ".join(str(text or "").split())
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=True))
    return _MD_LINE_START.sub(r"\1\\\2", escaped)


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


# --- rows ---------------------------------------------------------------------------------------

@dataclass
class Row:
    """One line of the board, whatever its origin."""

    id: str
    model: str
    status: str
    provenance: str
    average: float | None
    subtasks: dict[str, float]
    link: str = ""
    size: str | None = None
    setting: str = "n/a"
    type: str = ""
    source: str = ""
    source_link: str = ""
    notes: str = ""
    flags: list[str] = field(default_factory=list)
    sources: dict[str, dict] = field(default_factory=dict)
    detection: dict[str, float] = field(default_factory=dict)
    strict_average: float | None = None
    strict_sources: dict[str, dict] = field(default_factory=dict)
    coverage: float | None = None
    scorer: str = ""
    updated: str = ""

    @property
    def ranked(self) -> bool:
        return self.status != "reference"


def params_billions(size: str | None) -> float | None:
    """'7B' → 7.0, '1.5B' → 1.5, '500M' → 0.5; None when unknown."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([BbMm])?\s*", size or "")
    if not match:
        return None
    value = float(match.group(1))
    return value / 1000 if (match.group(2) or "B").upper() == "M" else value


def size_bucket(size: str | None) -> str:
    value = params_billions(size)
    if value is None:
        return "unknown"
    return "≤ 10B" if value <= 10 else "10–40B" if value <= 40 else "> 40B"


def setting_category(setting: str) -> str:
    """Free-text setting → one of SETTINGS (or 'n/a' for reference lines)."""
    text = (setting or "").lower()
    if "domain knowledge" in text:
        return "+ domain knowledge"
    head = text.split("+")[0].strip()
    if head.startswith("0-shot"):
        return "0-shot"
    if head.startswith("1-shot"):
        return "1-shot+" if "+" in text else "1-shot"
    if re.match(r"(\d+|k)-shot", head):
        return "k-shot"
    return "n/a"


def row_from_reported(entry: dict) -> Row:
    """A curated JSON entry from `submissions/reported/`."""
    result = entry["result"]
    return Row(
        id=entry["id"], model=entry["model"], status=entry["status"], provenance=entry["provenance"],
        average=result.get("average"), subtasks=dict(result.get("subtasks", {})), link=entry.get("link", ""),
        size=entry.get("size"), setting=entry.get("setting") or "n/a", type=entry.get("type", ""),
        source=entry.get("source", ""), source_link=entry.get("source_link", ""), notes=entry.get("notes", ""),
        flags=list(entry.get("flags", [])), sources=dict(result.get("sources", {})),
        detection=dict(result.get("anomaly_detection", {})),
    )


DETECTION_FIELDS = ("recall", "precision", "f1", "overkill", "miss")


def _detection(official: dict) -> dict[str, float]:
    return {k: official[k] for k in DETECTION_FIELDS if isinstance(official.get(k), (int, float))}


def row_from_submission(submission_id: str, metadata: dict, result: dict) -> Row:
    """A verified submission: its metadata as entered, its numbers as the scorer computed them."""
    official, strict = result["official"], result.get("strict", {})
    flags = []
    if metadata.get("training_exposure", "none") != "none":
        flags.append(TRAINED_FLAG)
    coverage = official.get("coverage")
    if coverage is not None and coverage < 99:
        flags.append(SUBSET_FLAG)
    return Row(
        id=submission_id, model=metadata["model_name"], status="verified", provenance="verified here",
        average=official.get("average"), subtasks=dict(official.get("subtasks", {})),
        link=metadata.get("link", ""), size=metadata.get("size") or None,
        setting=metadata.get("setting") or "n/a", type=metadata.get("model_type", ""),
        source=f"submitted by {metadata.get('user', '?')} on {metadata.get('submitted_at', '?')[:10]}",
        notes=metadata.get("notes", ""), flags=flags, sources=dict(official.get("sources", {})),
        detection=_detection(official), strict_average=strict.get("average"),
        strict_sources=dict(strict.get("sources", {})), coverage=coverage,
        scorer=f"{official.get('scorer_version', '?')} · key {str(official.get('answer_key_sha256', ''))[:12]}"
               f" · data {result.get('data_revision', '?')}",
        updated=result.get("scored_at", ""),
    )


def load_reported(folder: str | Path) -> list[dict]:
    """Every curated entry in a folder, in file-name order."""
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(Path(folder).glob("*.json"))]


# --- filtering --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """The board's filter controls; the defaults show everything."""

    search: str = ""
    sizes: Sequence[str] = SIZE_BUCKETS
    types: Sequence[str] = TYPES
    settings: Sequence[str] = SETTINGS
    provenances: Sequence[str] = PROVENANCES
    trained: str = "include"
    show_reference: bool = True


def matches(row: Row, filters: Filters) -> bool:
    if row.status == "reference":
        return filters.show_reference and _search_hit(row, filters.search)
    trained = TRAINED_FLAG in row.flags
    if filters.trained == "exclude" and trained or filters.trained == "only" and not trained:
        return False
    return (size_bucket(row.size) in filters.sizes and row.type in filters.types
            and setting_category(row.setting) in filters.settings and row.provenance in filters.provenances
            and _search_hit(row, filters.search))


def _search_hit(row: Row, search: str) -> bool:
    needles = search.lower().split()
    haystack = " ".join([row.model, row.notes, row.source, row.setting, row.type, row.provenance]).lower()
    return all(needle in haystack for needle in needles)


def filter_rows(rows: Iterable[Row], filters: Filters) -> list[Row]:
    return [row for row in rows if matches(row, filters)]


# --- tables -------------------------------------------------------------------------------------

def _numbers(row: Row, view: str) -> tuple[float | None, dict[str, float], float | None]:
    if view == OVERALL:
        return row.average, row.subtasks, row.strict_average
    per_source = row.sources.get(view) or {}
    strict = (row.strict_sources.get(view) or {}).get("average")
    return per_source.get("average"), per_source.get("subtasks", {}), strict


def in_view(rows: Iterable[Row], view: str) -> Iterator[tuple[Row, float, dict[str, float], float | None]]:
    """(row, average, subtasks, strict average) for the rows that have numbers in this view."""
    for row in rows:
        average, subtasks, strict = _numbers(row, view)
        if average is not None:
            yield row, average, subtasks, strict


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def table(rows: Iterable[Row], view: str = OVERALL, columns: Sequence[str] = DEFAULT_COLUMNS,
          sort_by: str = "Average") -> pd.DataFrame:
    """The board as a DataFrame: one view (overall or a source), chosen columns, ranked, sorted.

    Rank follows the average among ranked rows of the view; reference lines are not ranked.
    """
    records = []
    for row, average, subtasks, strict in in_view(rows, view):
        records.append({
            "Model": link_cell(row.model, row.link), "Status": STATUS_BADGE.get(row.status, row.status),
            "Size": row.size or "–", "Setting": row.setting, "Type": row.type,
            **{SHORT_TITLES[s]: _round(subtasks.get(s)) for s in SUBTASKS},
            "Average": _round(average), "Strict avg": _round(strict), "Coverage": _round(row.coverage),
            "Provenance": row.provenance, "Overkill": _round(row.detection.get("overkill")),
            "Miss": _round(row.detection.get("miss")), "Flags": escape_markdown("; ".join(row.flags)),
            "Source": link_cell(row.source, row.source_link), "Scorer": row.scorer,
            "_ranked": row.ranked, "_average": average,
        })
    frame = pd.DataFrame.from_records(records, columns=[*FIXED_COLUMNS, *OPTIONAL_COLUMNS, "_ranked", "_average"])
    ranked = frame["_ranked"].astype(bool)
    frame["Rank"] = frame["_average"].where(ranked).rank(ascending=False, method="min")
    frame["Rank"] = frame["Rank"].map(lambda r: "" if pd.isna(r) else str(int(r)))
    key = sort_by if sort_by in NUMBER_COLUMNS and sort_by != "Average" else "_average"
    frame = frame.sort_values(key, ascending=False, na_position="last", kind="stable")
    shown = [*FIXED_COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in columns)]
    return frame[shown].reset_index(drop=True)


def datatypes(frame: pd.DataFrame) -> list[str]:
    """gr.Dataframe datatypes for a table's columns."""
    return ["markdown" if c in MARKDOWN_COLUMNS else "number" if c in NUMBER_COLUMNS else "str"
            for c in frame.columns]


def column_widths(frame: pd.DataFrame) -> list[str]:
    """Pixel widths so that headers do not wrap letter by letter; numbers get a narrow column."""
    return [f"{WIDTHS.get(column, 84)}px" for column in frame.columns]


def plain_table(rows: Iterable[Row], view: str = OVERALL) -> pd.DataFrame:
    """Every column, unescaped and unranked-markup-free: what the CSV/JSON download holds."""
    records = []
    for row, average, subtasks, strict in in_view(rows, view):
        records.append({
            "id": row.id, "model": row.model, "link": row.link, "status": row.status,
            "provenance": row.provenance, "size": row.size, "setting": row.setting, "type": row.type,
            **{s: subtasks.get(s) for s in SUBTASKS}, "average": average, "strict_average": strict,
            "coverage": row.coverage, "flags": "; ".join(row.flags), "source": row.source,
            "source_link": row.source_link, "notes": row.notes, "scorer": row.scorer,
        })
    return pd.DataFrame.from_records(records).sort_values("average", ascending=False, kind="stable")


def last_updated(rows: Iterable[Row]) -> str:
    stamps = [row.updated for row in rows if row.updated]
    return max(stamps) if stamps else "bundled reported results only"


# --- charts -----------------------------------------------------------------------------------

REFERENCE_COLORS = {"Human (expert)": "#2e7d32", "Human (ordinary)": "#f9a825", "Random Chance": "#9e9e9e"}
STATUS_COLORS = {"verified": "#1565c0", "reported": "#90a4ae"}


def bar_figure(rows: Sequence[Row], references: Sequence[Row] = (), view: str = OVERALL, limit: int = 30):
    """Averages of the best `limit` ranked rows, with the reference rows drawn as vertical lines."""
    import plotly.graph_objects as go

    ranked = sorted([(r, a) for r, a, _, _ in in_view(rows, view) if r.ranked], key=lambda pair: pair[1],
                    reverse=True)[:limit]
    ranked.reverse()
    labels = [_chart_label(r) for r, _ in ranked]
    figure = go.Figure(go.Bar(
        x=[a for _, a in ranked], y=labels, orientation="h",
        marker_color=[STATUS_COLORS.get(r.status, "#90a4ae") for r, _ in ranked],
        text=[f"{a:.2f}" for _, a in ranked], textposition="outside", cliponaxis=False,
        hovertext=[f"{r.provenance} · {r.setting}" for r, _ in ranked]))
    for step, (row, value, _, _) in enumerate(in_view(references, view)):
        color = REFERENCE_COLORS.get(row.model, "#616161")
        figure.add_vline(x=value, line_dash="dash", line_color=color, annotation_text=f"{html.escape(row.model)} "
                         f"{value:.2f}", annotation_position="top", annotation={"yshift": 16 * step,
                                                                                 "font": {"color": color, "size": 11}})
    figure.update_layout(
        title=f"Average accuracy ({view}); blue = verified here, grey = reported", xaxis_range=[0, 100],
        xaxis_title="average accuracy (%)", height=max(380, 22 * len(ranked) + 190),
        margin={"l": 10, "r": 30, "t": 120, "b": 40}, template="plotly_white")
    return figure


def radar_figure(rows: Sequence[Row], chosen: Sequence[str], view: str = OVERALL):
    """The 7 subtasks for the chosen rows (by id), as in the paper's Figure 1."""
    import plotly.graph_objects as go

    titles = [SUBTASK_TITLES[s] for s in SUBTASKS]
    figure = go.Figure()
    for row in rows:
        if row.id not in chosen:
            continue
        subtasks = _numbers(row, view)[1]
        if not subtasks:
            continue
        values = [subtasks.get(s) or 0 for s in SUBTASKS]
        figure.add_trace(go.Scatterpolar(r=[*values, values[0]], theta=[*titles, titles[0]],
                                         name=_chart_label(row), fill="toself", opacity=0.55))
    figure.update_layout(polar={"radialaxis": {"range": [0, 100]}}, template="plotly_white",
                         title=f"Per-subtask accuracy ({view})", height=520, legend={"orientation": "h"})
    return figure


def _chart_label(row: Row) -> str:
    size = f" {row.size}" if row.size and row.size not in row.model else ""
    tag = {"verified": " ✓", "reference": ""}.get(row.status, "")
    return html.escape(f"{row.model}{size} ({row.setting}){tag}")[:60]


def choices(rows: Sequence[Row]) -> list[tuple[str, str]]:
    """(label, id) pairs for the radar's model picker, best first."""
    ordered = sorted(rows, key=lambda r: r.average or 0, reverse=True)
    return [(f"{_chart_label(r)} · {r.provenance}", r.id) for r in ordered]
