"""Board entries (reported JSON files and stored verified submissions) → rows → ranked tables.

Pure functions: no file or network access here, so every view of the board is testable without
a server. User-supplied text is escaped before it goes into a markdown cell and neutralised before
it goes into a CSV/JSON download. Charts live in `space/charts.py`.

Ranking rules (stated on the About tab too):
- only `taxonomy.comparable()` entries are ranked; reference lines, synthetic demo results and
  non-comparable entries are shown unranked, each visibly marked;
- ranks come from the averages rounded to the displayed 2 decimals, so equal numbers share a rank;
- ranks are computed on the whole view (overall or one source) before filters and search, so
  narrowing the table never renumbers it.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, urlsplit

import pandas as pd

from mmad_dataset import SOURCES, SUBTASKS

from . import taxonomy

OVERALL = "All sources"
VIEWS: tuple[str, ...] = (OVERALL, *SOURCES)
SIZE_BUCKETS: tuple[str, ...] = ("≤ 10B", "10–40B", "> 40B", "unknown")
TYPES: tuple[str, ...] = ("open", "API", "industrial-specialised")
COMPARABLE_ONLY = "comparable only (default)"
#: Comparable rows none of whose comparability fields the board presumes (`taxonomy.presumptions`).
STATED_ONLY = "comparability: stated only"
ALL_ENTRIES = "all entries"
SHOW_CHOICES: tuple[str, ...] = (COMPARABLE_ONLY, STATED_ONLY, ALL_ENTRIES)
SCORED_HERE = "scored here"
SYNTHETIC_LABEL = "synthetic (demo)"
STATUS_BADGE = {"verified": "✓ verified", "reported": "reported", "reference": "reference line",
                "synthetic": SYNTHETIC_LABEL}
#: What the Rank column says for rows that are shown but not ranked.
UNRANKED_MARK = {"reference": "ref", "synthetic": "demo", "other": "—"}
#: Old verified submissions stored the form's earlier wording; map it onto the taxonomy.
LEGACY_EXPOSURE = {"none": taxonomy.NO_EXPOSURE, "MMAD questions or images": "MMAD questions",
                   "MMAD's source datasets (MVTec AD, MVTec LOCO, VisA, GoodsAD)": "MMAD source images"}

SHORT_TITLES: dict[str, str] = {
    "anomaly_discrimination": "Anomaly Disc.", "defect_classification": "Defect Cls.",
    "defect_localization": "Defect Loc.", "defect_description": "Defect Desc.",
    "defect_analysis": "Defect Anal.", "object_classification": "Object Cls.",
    "object_analysis": "Object Anal.",
}
SUBTASK_COLUMNS: tuple[str, ...] = tuple(SHORT_TITLES[s] for s in SUBTASKS)
FIXED_COLUMNS: tuple[str, ...] = ("Rank", "Model")
#: Size, Setting and Measured by come right after the average so they fit at 1,280 px.
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "Average", "Size", "Setting", "Measured by", "Not ranked because", *SUBTASK_COLUMNS, "Strict avg", "Answered",
    "Type", "Training exposure", "Protocol", "Coverage", "Quantisation", "Status", "Overkill", "Miss", "Sources",
    "Flags",
)
DEFAULT_COLUMNS: tuple[str, ...] = (
    "Average", "Size", "Setting", "Measured by", "Not ranked because", *SUBTASK_COLUMNS, "Strict avg", "Answered",
    "Type", "Training exposure", "Sources", "Flags",
)
#: Always last: the stable id the row-detail view looks rows up by.
ID_COLUMN = "ID"
WIDTHS: dict[str, int] = {"Rank": 62, "Model": 230, "Average": 78, "Size": 58, "Setting": 132, "Measured by": 156,
                          "Not ranked because": 300, "Answered": 88, "Type": 120, "Training exposure": 130,
                          "Protocol": 90, "Coverage": 150, "Quantisation": 110, "Status": 110, "Sources": 300,
                          "Flags": 200,
                          ID_COLUMN: 200}
MARKDOWN_COLUMNS = frozenset({"Model", "Sources", "Flags", "Not ranked because"})
ACCURACY_COLUMNS = frozenset({*SUBTASK_COLUMNS, "Average", "Strict avg", "Overkill", "Miss"})
PERCENT_COLUMNS = frozenset({"Answered"})
NUMBER_COLUMNS = ACCURACY_COLUMNS | PERCENT_COLUMNS
SORT_CHOICES: tuple[str, ...] = ("Average", "Strict avg", *SUBTASK_COLUMNS)


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


# --- rows ---------------------------------------------------------------------------------------

@dataclass
class Row:
    """One board entry, whatever its origin, with the taxonomy fields that decide whether it is ranked."""

    id: str
    model: str
    status: str                      # "reported", "reference" or "verified"
    average: float | None
    subtasks: dict[str, float]
    setting: str = ""
    protocol: str = ""
    coverage: str = ""
    training_exposure: str = ""
    measured_by: str = ""
    setting_detail: str = ""
    protocol_detail: str = ""
    coverage_detail: str = ""
    training_detail: str = ""
    quantisation: str = ""
    quantisation_detail: str = ""
    basis: dict[str, dict] = field(default_factory=dict)  # reported: stated or presumed, per comparability field
    link: str = ""
    model_version: str = ""
    size: str | None = None
    type: str = ""
    run_note: str = ""
    notes: str = ""
    flags: list[str] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)       # who published this run (reported entries)
    by_source: dict[str, dict] = field(default_factory=dict)  # numbers per MMAD source (DS-MVTec, …)
    detection: dict[str, float] = field(default_factory=dict)
    strict_average: float | None = None
    strict_by_source: dict[str, dict] = field(default_factory=dict)
    answered: float | None = None    # verified: % of the questions answered
    categories: dict[str, dict] = field(default_factory=dict)  # verified: the scorer's per-category breakdown
    synthetic: bool = False          # verified against the synthetic demo key
    caveats: list[str] = field(default_factory=list)  # verified: why its score cannot rank (key, hedging)
    scorer: str = ""
    submitted: str = ""
    updated: str = ""

    def taxonomy_fields(self) -> dict[str, str]:
        return {"setting": self.setting, "protocol": self.protocol, "coverage": self.coverage,
                "training_exposure": self.training_exposure, "measured_by": self.measured_by,
                "protocol_detail": self.protocol_detail, "coverage_detail": self.coverage_detail}

    @property
    def kind(self) -> str:
        """reference / synthetic / verified / reported: what the Status column and the charts say."""
        if self.status == "reference":
            return "reference"
        return "synthetic" if self.synthetic else self.status

    @property
    def comparable(self) -> bool:
        """Belongs in the default view (reference lines always do; they are just never ranked)."""
        return self.status == "reference" or (taxonomy.comparable(self.taxonomy_fields()) and not self.caveats)

    @property
    def presumed(self) -> dict[str, str]:
        """Comparability field → why the board presumes its value (empty: every value is stated)."""
        return taxonomy.presumptions({"basis": self.basis})

    def marked(self, name: str) -> str:
        """A comparability value as a cell shows it: followed by the presumption mark when presumed."""
        value = getattr(self, name) or "–"
        return f"{value} {taxonomy.PRESUMED_MARK}" if name in self.presumed else value

    @property
    def ranked(self) -> bool:
        return self.kind in ("verified", "reported") and self.comparable

    def not_ranked_because(self) -> list[str]:
        """Why a row shown on the board has no rank (empty when it is ranked)."""
        if self.status == "reference":
            return ["reference line"]
        reasons = [*self.caveats, *taxonomy.why_not_comparable(self.taxonomy_fields())]
        if self.synthetic:
            reasons.insert(0, "scored against the synthetic demo key, not MMAD")
        return reasons


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


def row_from_reported(entry: Mapping[str, Any]) -> Row:
    """A curated JSON entry from `submissions/reported/` (one distinct run, every source that carries it)."""
    result = entry["result"]
    return Row(
        id=entry["id"], model=entry["model"], status=entry["status"], average=result.get("average"),
        subtasks=dict(result.get("subtasks", {})), setting=entry.get("setting", ""),
        protocol=entry.get("protocol", ""), coverage=entry.get("coverage", ""),
        training_exposure=entry.get("training_exposure", ""), measured_by=entry.get("measured_by", ""),
        setting_detail=entry.get("setting_detail") or "", protocol_detail=entry.get("protocol_detail") or "",
        coverage_detail=entry.get("coverage_detail") or "", training_detail=entry.get("training_detail") or "",
        quantisation=entry.get("quantisation") or "", quantisation_detail=entry.get("quantisation_detail") or "",
        basis={name: dict(part) for name, part in (entry.get("basis") or {}).items()},
        link=entry.get("link") or "", model_version=entry.get("model_version") or "", size=entry.get("size"),
        type=entry.get("type", ""), run_note=entry.get("run_note") or "", notes=entry.get("notes") or "",
        flags=list(entry.get("flags") or []), sources=[dict(s) for s in entry.get("sources") or []],
        by_source=dict(result.get("sources", {})), detection=dict(result.get("anomaly_detection", {})),
    )


DETECTION_FIELDS = ("recall", "precision", "f1", "overkill", "miss")


def _detection(official: Mapping[str, Any]) -> dict[str, float]:
    return {k: official[k] for k in DETECTION_FIELDS if isinstance(official.get(k), (int, float))}


def exposure(value: Any) -> str:
    """A submission's declared training exposure on the taxonomy (old form wording mapped; else unknown)."""
    value = LEGACY_EXPOSURE.get(value, value)
    return value if value in taxonomy.TRAINING_EXPOSURES else "unknown"


def _strict_gap(official: Any, strict: Any) -> float | None:
    numbers = [v for v in (official, strict) if isinstance(v, (int, float))]
    return official - strict if len(numbers) == 2 else None


def row_from_submission(submission_id: str, metadata: Mapping[str, Any], result: Mapping[str, Any], *,
                        synthetic: bool = False, caveats: Sequence[str] = ()) -> Row:
    """A verified submission: its metadata as entered, its numbers as the scorer computed them.

    Coverage follows `taxonomy.coverage_of` (full only at FULL_COVERAGE_MIN_SHARE of the questions
    answered); a `synthetic` row (demo key) is labelled so and never ranked, and neither is a row with
    `caveats` (the board's reasons, e.g. another answer key) or hedged replies (STRICT_GAP_MAX_POINTS).
    """
    official, strict = result["official"], result.get("strict", {})
    caveats = list(caveats)
    gap = _strict_gap(official.get("average"), strict.get("average"))
    if gap is not None and gap > taxonomy.STRICT_GAP_MAX_POINTS:
        caveats.append(f"official average {gap:.2f} points above strict: replies the strict protocol "
                       "cannot read as one offered letter")
    answered = official.get("coverage")
    coverage, coverage_detail, _ = taxonomy.coverage_of(result)
    setting = metadata.get("setting") or ""
    return Row(
        id=submission_id, model=metadata["model_name"], status="verified", average=official.get("average"),
        subtasks=dict(official.get("subtasks", {})), setting=setting if setting in taxonomy.SETTINGS else "",
        protocol=taxonomy.OFFICIAL_PROTOCOL,
        coverage=coverage, coverage_detail=coverage_detail,
        training_exposure=exposure(metadata.get("training_exposure")), measured_by=SCORED_HERE,
        link=metadata.get("link", ""), size=metadata.get("size") or None, type=metadata.get("model_type", ""),
        notes=metadata.get("notes", ""), by_source=dict(official.get("sources", {})),
        detection=_detection(official), strict_average=strict.get("average"),
        strict_by_source=dict(strict.get("sources", {})), answered=answered,
        categories=dict(official.get("categories", {})), synthetic=synthetic, caveats=caveats,
        scorer=f"{official.get('scorer_version', '?')} · key {str(official.get('answer_key_sha256', ''))[:12]}"
               f" · data {result.get('data_revision', '?')}",
        submitted=f"{metadata.get('user', '?')} on {str(metadata.get('submitted_at', '?'))[:10]}",
        updated=result.get("scored_at", ""),
    )


# --- filtering --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """The board's controls; the defaults are the default view (comparable entries, all of them)."""

    search: str = ""
    show: str = COMPARABLE_ONLY
    sizes: Sequence[str] = SIZE_BUCKETS
    types: Sequence[str] = TYPES
    settings: Sequence[str] = taxonomy.SETTINGS
    exposures: Sequence[str] = taxonomy.TRAINING_EXPOSURES
    measured_by: Sequence[str] = taxonomy.MEASURED_BY
    protocols: Sequence[str] = taxonomy.PROTOCOLS
    coverages: Sequence[str] = taxonomy.COVERAGES
    show_reference: bool = True


def matches(row: Row, filters: Filters, *, search: bool = True) -> bool:
    """Whether a row passes the controls (`search=False`: every control but the search box)."""
    if search and not _search_hit(row, filters.search):
        return False
    if filters.show == STATED_ONLY and row.presumed:
        return False
    if row.status == "reference":
        return filters.show_reference
    if filters.show != ALL_ENTRIES and not row.comparable:
        return False
    return (size_bucket(row.size) in filters.sizes and row.type in filters.types
            and row.setting in filters.settings and row.training_exposure in filters.exposures
            and row.measured_by in filters.measured_by and row.protocol in filters.protocols
            and row.coverage in filters.coverages)


def _search_hit(row: Row, search: str) -> bool:
    needles = search.lower().split()
    haystack = " ".join([row.id, row.model, row.model_version, row.notes, row.run_note, row.setting,
                         row.setting_detail, row.type, row.measured_by, *row.flags,
                         *(str(s.get("title", "")) for s in row.sources)]).lower()
    return all(needle in haystack for needle in needles)


def filter_rows(rows: Iterable[Row], filters: Filters) -> list[Row]:
    return [row for row in rows if matches(row, filters)]


# --- views and ranks ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Numbers:
    """One row's numbers in one view (overall, or one MMAD source)."""

    average: float | None
    subtasks: Mapping[str, float]
    strict: float | None
    detection: Mapping[str, float]


def numbers(row: Row, view: str) -> Numbers:
    if view == OVERALL:
        return Numbers(row.average, row.subtasks, row.strict_average, row.detection)
    per_source = row.by_source.get(view) or {}
    return Numbers(per_source.get("average"), per_source.get("subtasks", {}),
                   (row.strict_by_source.get(view) or {}).get("average"),
                   per_source.get("anomaly_detection") or _detection(per_source))


def ranks(rows: Iterable[Row], view: str = OVERALL) -> dict[str, int]:
    """Row id → rank among the ranked rows with numbers in this view; equal at 2 decimals = equal rank."""
    scored = [(row.id, round(float(numbers(row, view).average), 2)) for row in rows
              if row.ranked and numbers(row, view).average is not None]
    return {row_id: 1 + sum(other > value for _, other in scored) for row_id, value in scored}


def group(row: Row) -> int:
    """Display order of the groups: ranked rows with reference lines, then demo rows, then the rest."""
    if row.ranked or row.status == "reference":
        return 0
    return 1 if row.synthetic and row.comparable else 2


@dataclass(frozen=True)
class View:
    """What the board shows: rows with numbers in `view` passing the filters, and the view's ranks."""

    rows: list[Row]
    ranks: dict[str, int]
    view: str
    matched_before_search: int
    hidden: int = 0  # entries the same filters and search would show with "all entries", not comparable

    def rank_text(self, row: Row) -> str:
        if row.id in self.ranks:
            return str(self.ranks[row.id])
        return UNRANKED_MARK["reference" if row.status == "reference" else "synthetic" if row.synthetic else "other"]


def board_view(rows: Sequence[Row], filters: Filters = Filters(), view: str = OVERALL) -> View:
    """Ranks on the whole view first, then the filters, then the search (so neither renumbers)."""
    view = view if view in VIEWS else OVERALL
    present = [row for row in rows if numbers(row, view).average is not None]
    filtered = [row for row in present if matches(row, filters, search=False)]
    everything = replace(filters, show=ALL_ENTRIES)
    hidden = 0 if filters.show == ALL_ENTRIES else sum(
        1 for row in present if not row.comparable and matches(row, everything))
    return View([row for row in filtered if _search_hit(row, filters.search)], ranks(present, view), view,
                len(filtered), hidden)


def cell_number(column: str, row: Row, nums: Numbers) -> float | None:
    """The value of a numeric column for a row in a view."""
    if column == "Average":
        return nums.average
    if column == "Strict avg":
        return nums.strict
    if column == "Answered":
        return row.answered
    if column in ("Overkill", "Miss"):
        return nums.detection.get(column.lower())
    subtask = next(s for s, title in SHORT_TITLES.items() if title == column)
    return nums.subtasks.get(subtask)


def ordered(board: View, sort_by: str = "Average") -> list[Row]:
    """Groups first, then the chosen column (rows without a value last), ties broken by the average.

    Sorting by a column few rows have (Strict avg) keeps the others in average order, ranks unchanged.
    """
    column = sort_by if sort_by in NUMBER_COLUMNS else "Average"

    def key(row: Row) -> tuple:
        nums = numbers(row, board.view)
        chosen, average = cell_number(column, row, nums), nums.average
        return (group(row), chosen is None, -(chosen or 0.0), -(average or 0.0), row.model.casefold())
    return sorted(board.rows, key=key)


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
        "Setting": row.marked("setting"), "Measured by": row.measured_by or "–",
        "Not ranked because": escape_markdown("; ".join(row.not_ranked_because()) if row.kind != "reference" else ""),
        "Type": row.type or "–", "Training exposure": row.marked("training_exposure"),
        "Protocol": row.marked("protocol"), "Quantisation": row.marked("quantisation"),
        "Coverage": " ".join(filter(None, [row.marked("coverage"),
                                           f"({row.coverage_detail})" if row.coverage_detail else ""])),
        "Status": STATUS_BADGE.get(row.kind, row.kind), "Sources": _sources_cell(row),
        "Flags": escape_markdown("; ".join(all_flags(row))), ID_COLUMN: row.id,
    }
    record.update({column: cell_number(column, row, nums) for column in NUMBER_COLUMNS})
    return record


def all_flags(row: Row) -> list[str]:
    """The row's flags, led by which comparability fields the board presumes (the detail says why)."""
    presumed = ", ".join(name.replace("_", " ") for name in row.presumed)
    return [f"{taxonomy.PRESUMED_MARK} presumed: {presumed}"] * bool(presumed) + row.flags


def table(board: View, columns: Sequence[str] = DEFAULT_COLUMNS, sort_by: str = "Average") -> pd.DataFrame:
    """The board as a DataFrame: chosen columns in a fixed order, ID last. "Not ranked because" is
    dropped when no shown row has a reason, so the default view spends no width on it."""
    rows = ordered(board, sort_by)
    records = [display_record(row, board) for row in rows]
    repeated = _repeated_runs(rows)
    for row, record in zip(rows, records):
        if row.id in repeated:
            record["Model"] += f" · *{escape_markdown(repeated[row.id])}*"
    shown = [c for c in OPTIONAL_COLUMNS if c in columns]
    if "Not ranked because" in shown and not any(r["Not ranked because"] for r in records):
        shown.remove("Not ranked because")
    names = [*FIXED_COLUMNS, *shown, ID_COLUMN]
    return pd.DataFrame.from_records(records, columns=names)


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


def styled(frame: pd.DataFrame):
    """Fixed decimals on screen ("75.00", "99.50%") while the cells stay numbers for sorting."""
    formats = {c: (lambda v: fixed(v)) for c in frame.columns if c in ACCURACY_COLUMNS}
    formats.update({c: (lambda v: fixed(v, "%")) for c in frame.columns if c in PERCENT_COLUMNS})
    return frame.style.format(formats)


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
            "training_detail": row.training_detail, "quantisation": row.quantisation,
            "quantisation_detail": row.quantisation_detail,
            "presumed": "; ".join(f"{name}: {reason}" for name, reason in row.presumed.items()),
            "measured_by": row.measured_by,
            "not_ranked_because": "; ".join(row.not_ranked_because()), "run_note": row.run_note,
            "notes": row.notes, "flags": "; ".join(row.flags),
            "sources": "; ".join(" · ".join(str(s.get(k) or "") for k in ("title", "locator", "link") if s.get(k))
                                 for s in row.sources) or (f"submitted by {row.submitted}" if row.submitted else ""),
        }
        records.append({**{k: inert_cell(v) for k, v in text.items()},
                        "average": nums.average, **{s: nums.subtasks.get(s) for s in SUBTASKS},
                        "strict_average": nums.strict, "answered_percent": row.answered,
                        "scorer": inert_cell(row.scorer)})
    return pd.DataFrame.from_records(records, columns=[*EXPORT_TEXT, "average", *SUBTASKS, "strict_average",
                                                       "answered_percent", "scorer"])


def counts(rows: Sequence[Row]) -> dict[str, int]:
    """The header's numbers: verified (real), demo, reported, reference lines, ranked by default."""
    return {"verified": sum(r.kind == "verified" for r in rows), "synthetic": sum(r.kind == "synthetic" for r in rows),
            "reported": sum(r.kind == "reported" for r in rows), "reference": sum(r.kind == "reference" for r in rows),
            "ranked": sum(r.ranked for r in rows)}


def last_updated(rows: Iterable[Row]) -> str:
    stamps = [row.updated for row in rows if row.updated]
    return max(stamps) if stamps else "bundled reported results only"


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


def detail_markdown(row: Row, board: View) -> str:
    """The row-detail panel: why the row is there, where each number comes from, its per-source numbers."""
    nums = numbers(row, board.view)
    reasons = row.not_ranked_because()
    standing = (f"rank **{board.ranks[row.id]}** in {escape_markdown(board.view)}" if row.id in board.ranks
                else "not ranked: " + escape_markdown("; ".join(reasons)))
    lines = [f"### {link_cell(row.model, row.link)}",
             f"{STATUS_BADGE.get(row.kind, row.kind)} · {standing} · average **{fixed(nums.average, '%')}**"
             f" ({escape_markdown(board.view)}) · id `{escape_markdown(row.id)}`", "",
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
                  "| Source | Average | " + " | ".join(SUBTASK_COLUMNS) + " |", "|---" * (2 + len(SUBTASKS)) + "|"]
        for source in SOURCES:
            data = row.by_source.get(source)
            if data:
                cells = [fixed(data.get("average")), *(fixed(data.get("subtasks", {}).get(s)) for s in SUBTASKS)]
                lines.append(f"| {source} | " + " | ".join(cells) + " |")
    else:
        lines += ["", "_No per-source numbers were published for this entry._"]
    return "\n".join(lines)
