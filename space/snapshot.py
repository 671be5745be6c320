"""A short id of what the board shows, so that a paper can cite "MMAD board, snapshot 3f9c2a1b7d".

The id hashes every row the board holds (reported entries and stored results, all their fields): it
changes exactly when an entry, a number, a label or a re-score changes, and it is the same on every
replica serving the same store. The header shows it; the downloads and the /leaderboard API carry it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence

import orjson

from .ranking import Row

LENGTH = 10
#: Every field of a row, in declaration order.
FIELDS = tuple(field.name for field in dataclasses.fields(Row))


def row_digest(row: Row) -> str:
    """The sha256 of one row with all its fields, as canonical JSON: dict keys sorted (a nested dataclass keeps
    its fields' order), UTF-8, no spaces (orjson: the standard library's encoder, with a `default`, took 2 s for
    10,000 rows, most of a start-up). The only values orjson does not write itself are `Interval`s, named
    tuples: `list` writes them as [low, high]."""
    fields = {name: getattr(row, name) for name in FIELDS}
    return hashlib.sha256(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS, default=list)).hexdigest()


def snapshot_id(rows: Sequence[Row], digest: Callable[[Row], str] = row_digest) -> str:
    """The first LENGTH hex digits of the sha256 of the rows' digests in id order (the order of loading does
    not count). `digest` may serve the digests of unchanged rows from an earlier generation
    (`space.prepared.Prepared.snapshot`): digesting every row is most of the cost."""
    lines = sorted(f"{row.id} {digest(row)}" for row in rows)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:LENGTH]
