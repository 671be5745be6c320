"""A readable text table of a result: overall and per source, by subtask, protocols side by side."""

from __future__ import annotations

from typing import Any

from mmad_dataset import SOURCES, SUBTASK_TITLES

from .aggregate import DETECTION_FIELDS

_OVERALL = "Overall"
_LABEL = 24
_CELL = 9
_INTERVAL = 12
_DETECTION_TITLES = {"normal_accuracy": "AD normal acc.", "abnormal_accuracy": "AD abnormal acc.",
                     "overkill": "Overkill", "miss": "Miss", "precision": "Precision", "recall": "Recall",
                     "f1": "F1"}


def _by_protocol(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {result["protocol"]: result} if "protocol" in result else result


def _value(result: dict[str, Any], scope: str, row: str) -> float | None:
    table = result if scope == _OVERALL else result["sources"].get(scope)
    if table is None:
        return None
    return table["average"] if row == "average" else table["subtasks"].get(row, table.get(row))


def _cell(value: float | None) -> str:
    return f"{value:>{_CELL}.2f}" if value is not None else f"{'-':>{_CELL}}"


def _errata_lines(errata: dict[str, Any] | None) -> list[str]:
    """What the key's known wrong questions do to this file's average (nothing when the key has none)."""
    if not errata or not errata["flagged_questions"]:
        return []
    without = errata["average_without_flagged"]
    return [f"  errata: {errata['flagged_questions']} question(s) of the key are known wrong upstream; this file "
            f"answered {errata['answered']}; average without them "
            f"{'-' if without is None else f'{without:.2f}'} (the average above scores them as upstream does)"]


def _bounds(result: dict[str, Any], scope: str, row: str) -> list[float] | None:
    """[low, high] of the bootstrap interval of one number, None where it was not computed."""
    boot = result.get("bootstrap") or {}
    if scope == _OVERALL:
        return [boot["low"], boot["high"]] if row == "average" and boot else boot.get("subtasks", {}).get(row)
    table = boot.get("sources", {}).get(scope, {})
    return table.get("average") if row == "average" else table.get("subtasks", {}).get(row)


def _interval_cell(bounds: list[float] | None) -> str:
    text = f"{bounds[0]:.1f}–{bounds[1]:.1f}" if bounds else "-"
    return f"{text:>{_INTERVAL}}"


def _interval_lines(results: dict[str, dict[str, Any]], scopes: list[str], rows: list[tuple[str, str]]) -> list[str]:
    """The same grid, each cell the 95% bootstrap interval of the number above (empty without one)."""
    if not any((r.get("bootstrap") or {}).get("subtasks") for r in results.values()):
        return []
    level = next(r["bootstrap"]["level"] for r in results.values() if r.get("bootstrap"))
    width = _INTERVAL * len(results)
    lines = [f"{level:.0%} bootstrap intervals (images resampled within each source)",
             " " * _LABEL + "".join(f"{scope[:width - 1]:>{width}}" for scope in scopes)]
    if len(results) > 1:
        lines.append(" " * _LABEL + "".join(f"{name[:_INTERVAL - 1]:>{_INTERVAL}}" for _ in scopes for name in results))
    lines += [f"{title:<{_LABEL}}" + "".join(_interval_cell(_bounds(results[name], scope, row))
                                             for scope in scopes for name in results) for row, title in rows]
    return [*lines, ""]


def format_table(result: dict[str, Any]) -> str:
    """Rows are subtasks, the average and the detection columns; columns are Overall and each source."""
    results = _by_protocol(result)
    first = next(iter(results.values()))
    sources = [s for s in SOURCES if any(s in r["sources"] for r in results.values())]
    sources += [s for r in results.values() for s in r["sources"] if s not in sources]
    scopes = [_OVERALL, *sources]
    names = list(results)
    width = _CELL * len(names)
    lines = [f"MMAD scorer {first['scorer_version']}  answer key {first['answer_key_sha256'][:12]}  "
             f"predictions {first['predictions_sha256'][:12]} ({first['predictions_format']})", ""]
    lines.append(" " * _LABEL + "".join(f"{scope[:width - 1]:>{width}}" for scope in scopes))
    if len(names) > 1:
        lines.append(" " * _LABEL + "".join(f"{name[:_CELL - 1]:>{_CELL}}" for _ in scopes for name in names))
    rows = [(slug, title) for slug, title in SUBTASK_TITLES.items()] + [("average", "Average")]
    rows += [(name, _DETECTION_TITLES[name]) for name in DETECTION_FIELDS]
    for row, title in rows:
        lines.append(f"{title:<{_LABEL}}" + "".join(_cell(_value(results[name], scope, row))
                                                     for scope in scopes for name in names))
        if row == "average":
            lines.append("")
    lines.append("")
    lines += _interval_lines(results, scopes, rows[:len(SUBTASK_TITLES) + 1])
    for name, res in results.items():
        counts = res["counts"]
        lines.append(f"{name}: {counts['scored']} of {counts['questions']} questions scored, "
                     f"{counts['invalid']} invalid, {counts['missing']} missing, {counts['skipped']} skipped; "
                     f"coverage {res['coverage']:.2f}%, invalid rate {res['invalid_rate']:.2f}%")
        ci = res.get("bootstrap")
        if ci:
            lines.append(f"  average {res['average']:.2f}, {ci['level']:.0%} bootstrap interval "
                         f"[{ci['low']:.2f}, {ci['high']:.2f}] ({ci['resamples']} resamples of images)")
        lines.extend(f"  note: {note}" for note in res.get("notes", []))
        lines.extend(_errata_lines(res.get("errata")))
    return "\n".join(lines)
