"""Two board rows side by side: the difference of the Average and of every subtask, its 95% interval
and a verdict (the board's Compare tab and its `/compare` API). Pure: rows and results in, a
`Comparison` out.

Two verified rows are compared paired (`eval.compare` on their stored prediction files: the same
resampled images for both runs, strict protocol, McNemar's exact test). A pair with a reported row
cannot be paired (no per-question answers exist), so it is compared unpaired from each row's own
interval (`intervals.unpaired_difference`), which is wider than a paired interval would be.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from eval.compare import PROTOCOL as PAIRED_PROTOCOL
from eval.compare import verdict
from mmad_dataset import SUBTASKS

from . import intervals, taxonomy
from .ranking import OVERALL, SHORT_TITLES, Row, numbers

UNPAIRED_NOTE = ("Unpaired: each row's own 95% interval, combined as independent. Pairing (the same questions "
                 "resampled for both runs, which is sharper) needs per-question answers, and only verified rows "
                 "have them.")
PAIRED_NOTE = ("Paired: both prediction files scored on the same questions under the strict protocol; the interval "
               "is a paired image-level bootstrap, p is McNemar's exact test on the questions only one run got right.")


@dataclass(frozen=True)
class Scope:
    """One compared number: A, B, A − B, the 95% interval of A − B (None: unknown) and the verdict."""

    scope: str
    a: float
    b: float
    difference: float
    low: float | None
    high: float | None
    verdict: str
    mcnemar_p: float | None = None


@dataclass(frozen=True)
class Comparison:
    """Row A against row B; `scopes` are the Average then each subtask both rows have."""

    a: str
    b: str
    paired: bool
    protocol: str
    note: str
    scopes: list[Scope]

    @property
    def average(self) -> Scope:
        return self.scopes[0]

    def as_dict(self) -> dict[str, Any]:
        """The `/compare` API's answer."""
        return {**asdict(self), "verdict": self.average.verdict}


def _unpaired_scope(name: str, a: float, a_interval: intervals.Interval | None, b: float,
                    b_interval: intervals.Interval | None) -> Scope:
    if a_interval is None or b_interval is None:
        return Scope(name, a, b, a - b, None, None, "no interval: cannot tell")
    low, high = intervals.unpaired_difference(a, a_interval, b, b_interval)
    return Scope(name, a, b, a - b, low, high, verdict(low, high))


def unpaired(a: Row, b: Row, note: str = UNPAIRED_NOTE) -> Comparison:
    """Two rows from their own numbers and intervals (official protocol, all sources)."""
    left, right = numbers(a, OVERALL), numbers(b, OVERALL)
    scopes = [_unpaired_scope("Average", left.average, left.interval, right.average, right.interval)]
    scopes += [_unpaired_scope(SHORT_TITLES[s], left.subtasks[s], left.subtask_intervals.get(s), right.subtasks[s],
                               right.subtask_intervals.get(s))
               for s in SUBTASKS if s in left.subtasks and s in right.subtasks]
    return Comparison(a.id, b.id, False, taxonomy.OFFICIAL_PROTOCOL, note, scopes)


def _paired_scope(name: str, scope: Mapping[str, Any]) -> Scope:
    return Scope(name, scope["a"], scope["b"], scope["difference"], scope["low"], scope["high"], scope["verdict"],
                 scope["mcnemar_p"])


def paired(a: Row, b: Row, result: Mapping[str, Any]) -> Comparison:
    """Two verified rows from `eval.compare.compare`'s result on their prediction files."""
    scopes = [_paired_scope("Average", result["average"])]
    scopes += [_paired_scope(SHORT_TITLES[s], result["subtasks"][s]) for s in SUBTASKS if s in result["subtasks"]]
    return Comparison(a.id, b.id, True, PAIRED_PROTOCOL, PAIRED_NOTE, scopes)


def can_pair(a: Row, b: Row) -> bool:
    """Both rows were scored here from stored prediction files."""
    return a.status == "verified" and b.status == "verified"
