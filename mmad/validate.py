"""Check a raw MMAD root and describe it: what is wrong, what is known to be wrong, and how it compares
with the paper. Both `mmad validate` and `mmad export` go through `check_root`, so they agree."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mmad_dataset as mm
from mmad.counts import CountLine, count_lines, legend, render_text


@dataclass
class RootReport:
    """A valid root's rows, the referenced files it lacks (only when lenient) and what was found."""

    root: Path
    rows: list[dict[str, Any]]
    missing: list[str]
    mmad_sha256: str

    @property
    def images(self) -> int:
        return len({row["image_path"] for row in self.rows})

    def counts(self) -> list[CountLine]:
        return count_lines(self.rows)

    def known_issues(self) -> dict[str, list[str]]:
        """Issue text → image keys of this root that carry it (issues of whole images)."""
        found: dict[str, list[str]] = defaultdict(list)
        for key in dict.fromkeys(row["image_path"] for row in self.rows if row["image_path"] in mm.KNOWN_ISSUES):
            found[mm.KNOWN_ISSUES[key]].append(key)
        return dict(found)

    def known_questions(self) -> list[dict[str, Any]]:
        """The questions of this root with an erratum of their own (`mm.KNOWN_QUESTION_ISSUES`), resolved
        to their question ids."""
        return [{"question_id": row["question_id"], "image_path": row["image_path"],
                 "question_type": row["question_type"], "issue": row["known_issue"]}
                for row in self.rows if (row["image_path"], row["question_type"]) in mm.KNOWN_QUESTION_ISSUES]


def check_root(root: str | Path, *, lenient: bool = False) -> RootReport:
    """Validate a raw root; raises MMADFormatError (with every malformed entry counted) if it is not usable."""
    root = Path(root)
    rows, missing = mm.read_root(root, lenient=lenient)
    digest = hashlib.sha256(mm.find_mmad_json(root).read_bytes()).hexdigest()
    return RootReport(root=root, rows=rows, missing=missing, mmad_sha256=digest)


def _key_range(keys: list[str]) -> str:
    return keys[0] if len(keys) == 1 else f"{keys[0]} … {keys[-1]}"


def format_report(report: RootReport) -> str:
    """The human-readable validation report."""
    lines = [f"MMAD root {report.root}: valid",
             f"  {report.images:,} images, {len(report.rows):,} questions "
             f"(paper: {mm.PAPER_TOTAL_IMAGES:,} images, {mm.PAPER_TOTAL_QUESTIONS:,} questions)",
             f"  mmad.json sha256 {report.mmad_sha256}"]
    if report.missing:
        lines.append(f"  lenient: {mm.describe_missing(report.missing)}; "
                     "an export leaves their image columns empty (None) and lists them in errata.json")
    lines += ["", render_text(report.counts()), legend(report.counts()), "", "known data issues:"]
    issues = report.known_issues()
    for text, keys in issues.items():
        lines.append(f"  {len(keys)} image(s) {_key_range(keys)}: {text}")
    lines += [f"  question {q['question_id']} ({q['question_type']}): {q['issue']}" for q in report.known_questions()]
    if not issues and not report.known_questions():
        lines.append("  none of the known wrong images or questions is in this root")
    per_subtask = {subtask: sum(row["subtask"] == subtask for row in report.rows)
                   for subtask in mm.KNOWN_SUBTASK_ISSUES}
    lines += [f"  {subtask} ({n:,} questions): {mm.KNOWN_SUBTASK_ISSUES[subtask]}"
              for subtask, n in per_subtask.items()]
    return "\n".join(lines)
