"""The benchmark's counts next to the paper's, one table for the validate report and the dataset card.

A synthetic or partial root differs from the paper on purpose; the table marks each difference
instead of failing, so a user sees at once whether a real download is complete.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import mmad_dataset as mm

_AD = "anomaly_discrimination"
#: Marks a measured count that differs from the paper's.
MARK = "≠"


@dataclass(frozen=True)
class CountLine:
    """One metric: measured and paper value per source, then the total."""

    label: str
    measured: tuple[int, ...]
    paper: tuple[int, ...]

    @property
    def differs(self) -> bool:
        return self.measured != self.paper


def _line(label: str, measured: dict[str, int], paper: dict[str, int]) -> CountLine:
    values = [measured.get(source, 0) for source in mm.SOURCES]
    expected = [paper[source] for source in mm.SOURCES]
    return CountLine(label, (*values, sum(values)), (*expected, sum(expected)))


def count_lines(rows: Iterable[dict[str, Any]]) -> list[CountLine]:
    """Images, questions, per-subtask questions, AD normal/abnormal and images without AD, per source."""
    rows = list(rows)
    images: dict[str, set[str]] = {source: set() for source in mm.SOURCES}
    with_ad: dict[str, set[str]] = {source: set() for source in mm.SOURCES}
    per_subtask: Counter[tuple[str, str]] = Counter()
    normal_ad: Counter[str] = Counter()
    for row in rows:
        source = row["source"]
        images[source].add(row["image_path"])
        per_subtask[(source, row["subtask"])] += 1
        if row["subtask"] == _AD:
            with_ad[source].add(row["image_path"])
            normal_ad[source] += row["is_normal"]
    paper_ad = {source: mm.PAPER_COUNTS[source][_AD] for source in mm.SOURCES}
    lines = [
        _line("images", {s: len(v) for s, v in images.items()}, mm.PAPER_IMAGES),
        _line("questions", Counter(row["source"] for row in rows),
              {s: sum(mm.PAPER_COUNTS[s].values()) for s in mm.SOURCES}),
    ]
    for subtask in mm.SUBTASKS:
        lines.append(_line(subtask, {s: per_subtask[(s, subtask)] for s in mm.SOURCES},
                           {s: mm.PAPER_COUNTS[s][subtask] for s in mm.SOURCES}))
        if subtask == _AD:
            lines.append(_line("  on normal images", normal_ad, mm.PAPER_NORMAL_AD))
            lines.append(_line("  on abnormal images",
                               {s: per_subtask[(s, _AD)] - normal_ad[s] for s in mm.SOURCES},
                               {s: paper_ad[s] - mm.PAPER_NORMAL_AD[s] for s in mm.SOURCES}))
    lines.append(_line("images without an AD question",
                       {s: len(images[s] - with_ad[s]) for s in mm.SOURCES},
                       {s: mm.PAPER_IMAGES[s] - paper_ad[s] for s in mm.SOURCES}))
    return lines


def _cells(lines: list[CountLine]) -> list[list[str]]:
    header = ["count", *mm.SOURCES, "total"]
    body = [[line.label, *(f"{m:,}" if m == p else f"{m:,} {MARK} {p:,}"
                           for m, p in zip(line.measured, line.paper))] for line in lines]
    return [header, *body]


def render_text(lines: list[CountLine]) -> str:
    """An aligned plain-text table."""
    table = _cells(lines)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
                     for row in table)


def render_markdown(lines: list[CountLine]) -> str:
    """A Markdown table (for the dataset card)."""
    header, *body = _cells(lines)
    out = ["| " + " | ".join(header) + " |", "|" + "---|" + "---:|" * (len(header) - 1)]
    out += ["| " + " | ".join(cell.replace("  ", "↳ ", 1) if cell.startswith("  ") else cell for cell in row) + " |"
            for row in body]
    return "\n".join(out)


def legend(lines: list[CountLine]) -> str:
    """One sentence saying whether the counts match the paper."""
    differing = sum(line.differs for line in lines)
    if not differing:
        return "All counts equal the paper's (8,366 images, 39,672 questions)."
    return (f"{differing} of {len(lines)} rows differ from the paper; '{MARK}' shows measured {MARK} paper "
            f"(a synthetic or partial root differs on purpose).")
