"""A short id of what the board shows, so that a paper can cite "MMAD board, snapshot 3f9c2a1b7d".

The id hashes every row the board holds (reported entries and stored results, all their fields): it
changes exactly when an entry, a number, a label or a re-score changes, and it is the same on every
replica serving the same store. The header shows it; the downloads and the /leaderboard API carry it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence

from .ranking import Row

LENGTH = 10


def row_digest(row: Row) -> str:
    """The sha256 of one row with all its fields, as canonical JSON (the fields taken shallowly and nested
    dataclasses converted only when met: `dataclasses.asdict` deep-copies every dict and list first, which
    made a board of 10,000 rows take seconds)."""
    fields = {field.name: getattr(row, field.name) for field in dataclasses.fields(row)}
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _plain(value: object) -> object:
    """What JSON cannot write itself: a nested dataclass as its fields, anything else as text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    return str(value)


def snapshot_id(rows: Sequence[Row], digest: Callable[[Row], str] = row_digest) -> str:
    """The first LENGTH hex digits of the sha256 of the rows' digests in id order (the order of loading does
    not count). `digest` may serve the digests of unchanged rows from an earlier generation
    (`space.prepared.Prepared.snapshot`): digesting every row is most of the cost."""
    lines = sorted(f"{row.id} {digest(row)}" for row in rows)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:LENGTH]
