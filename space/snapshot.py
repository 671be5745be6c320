"""A short id of what the board shows, so that a paper can cite "MMAD board, snapshot 3f9c2a1b7d".

The id hashes every row the board holds (reported entries and stored results, all their fields): it
changes exactly when an entry, a number, a label or a re-score changes, and it is the same on every
replica serving the same store. The header shows it; the downloads and the /leaderboard API carry it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence

from .ranking import Row

LENGTH = 10


def snapshot_id(rows: Sequence[Row]) -> str:
    """The first LENGTH hex digits of the sha256 of the rows, in id order (the order of loading does not count)."""
    canonical = json.dumps(sorted((dataclasses.asdict(row) for row in rows), key=lambda r: r["id"]),
                           sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:LENGTH]
