"""Board entries (reported JSON files and stored verified submissions) → the board's rows.

The loader of the board, as in Hugging Face's leaderboard template (about / populate / submit /
storage): `load_reported` reads the curated files, `row_from_reported` and `row_from_submission` turn
an entry into a `ranking.Row`, and `Board` holds the rows on display, re-reading the store on demand.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.gc_pause import gc_paused
from mmad_dataset import MMADError

from . import intervals, taxonomy
from .ranking import Row, detection_of
from .envs import REPORTED_DIR
from .scoring import KeyInfo, key_caveats
from .storage import Store, Stored

SCORED_HERE = "scored here"
#: Old verified submissions stored the form's earlier wording; map it onto the taxonomy.
LEGACY_EXPOSURE = {"none": taxonomy.NO_EXPOSURE, "MMAD questions or images": "MMAD questions",
                   "MMAD's source datasets (MVTec AD, MVTec LOCO, VisA, GoodsAD)": "MMAD source images"}


def row_from_reported(entry: Mapping[str, Any]) -> Row:
    """A curated JSON entry from `submissions/reported/` (one distinct run, every source that carries it),
    with its analytic intervals (computed here, once: reported numbers never change)."""
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
        uncertainty=intervals.of_reported(entry),
    )


def exposure(value: Any) -> str:
    """A submission's declared training exposure on the taxonomy (old form wording mapped; else unknown)."""
    value = LEGACY_EXPOSURE.get(value, value)
    return value if value in taxonomy.TRAINING_EXPOSURES else "unknown"


def _strict_gap(official: Any, strict: Any) -> float | None:
    numbers = [v for v in (official, strict) if isinstance(v, (int, float))]
    return official - strict if len(numbers) == 2 else None


def row_from_submission(submission_id: str, metadata: Mapping[str, Any], result: Mapping[str, Any], *,
                        synthetic: bool = False, caveats: Sequence[str] = (), scored_on: str = "") -> Row:
    """A verified submission: its metadata as entered, its numbers as the scorer computed them.

    Coverage follows `taxonomy.coverage_of` (full only at FULL_COVERAGE_MIN_SHARE of the questions
    answered); a `synthetic` row (demo key) is labelled so and never ranked, and neither is a row with
    `caveats` (the board's reasons, e.g. another answer key; `scored_on` then names that key for the
    Status badge) or hedged replies (STRICT_GAP_MAX_POINTS).
    """
    official, strict = result["official"], result.get("strict", {})
    gap = _strict_gap(official.get("average"), strict.get("average"))
    hedging = (f"official average {gap:.2f} points above strict: replies the strict protocol cannot read as one "
               "offered letter") if gap is not None and gap > taxonomy.STRICT_GAP_MAX_POINTS else ""
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
        detection=detection_of(official), strict_average=strict.get("average"),
        strict_by_source={name: {"average": part.get("average")} for name, part in strict.get("sources", {}).items()
                          if isinstance(part, Mapping)},  # all the board shows (and all the index keeps)
        answered=answered,
        categories=dict(official.get("categories", {})), synthetic=synthetic, caveats=list(caveats),
        hedging=hedging, scored_on=scored_on,
        scorer=f"{official.get('scorer_version', '?')} · key {str(official.get('answer_key_sha256', ''))[:12]}"
               f" · data {result.get('data_revision', '?')}",
        submitted=f"{metadata.get('user', '?')} on {str(metadata.get('submitted_at', '?'))[:10]}",
        updated=result.get("scored_at", ""), uncertainty=intervals.of_submission(result),
    )


def scored_on(key: KeyInfo | None, result: Mapping[str, Any]) -> str:
    """What a stored result was scored against, when that is not this board's full answer key (else "").

    The Status badge says this instead of "verified" (demo-key rows are labelled synthetic instead)."""
    if key is None:
        return "unchecked: no answer key here"
    if key.demo:
        return ""
    if str((result.get("official") or {}).get("answer_key_sha256") or "") != key.key.sha256:
        return "scored on another key"
    if key.unranked_because:
        return f"scored on a {len(key.key):,}-question key"
    return ""


class Board:
    """The entries on display: reported ones (read once) plus the store's verified submissions.

    Stored submissions come from the store's summary index (`Store.summaries`), checked against
    the entries in a background thread once loaded (`verify`); `generation` counts the changes of
    the rows, and `current()` catches up with the store when another writer changed it.
    `key`: the answer key this board serves. A stored result ranks only when it was scored against
    exactly this key and the key is MMAD's (`scoring.key_caveats`); demo-key rows are labelled synthetic.
    """

    def __init__(self, store: Store, reported_dir: Path = REPORTED_DIR, *, key: KeyInfo | None = None,
                 verify: bool = True) -> None:
        self.store = store
        self.key = key
        self.reported = [row_from_reported(e) for e in load_reported(reported_dir)]
        self.stored: list[Stored] = []
        self.verified: list[Row] = []
        self.generation = 0
        self._seen: tuple = ()
        self._lock = threading.Lock()
        self.reload()
        # What the app holds at start (10,000 rows: about a million objects) leaves the collector's generations
        # (`gc.freeze`; reference counting still frees them), else the first requests' allocations re-scan it
        # (1 of the 1.6 s the first request took at 10,000 rows). Only here: at start no request is in flight
        # whose garbage cycles would be frozen with it, and later reloads change a shard's rows at a time.
        gc.freeze()
        if verify:
            threading.Thread(target=self._verify_in_background, name="board-index-check", daemon=True).start()

    def _row(self, stored: Stored) -> Row:
        return row_from_submission(stored.id, stored.metadata, stored.result,
                                   synthetic=self.key is not None and self.key.demo,
                                   caveats=key_caveats(self.key, stored.result),
                                   scored_on=scored_on(self.key, stored.result))

    @gc_paused
    def reload(self) -> None:
        """Read the store's index again (start-up, refresh, after a re-score, after another writer).

        The cyclic collector is paused meanwhile: 10,000 rows are about a million small objects, none
        in a cycle, and each collection the allocations trigger re-scans the whole heap (`eval.gc_pause`)."""
        seen = self.store.generation()
        stored = self.store.summaries()
        before = {s.id: (s, row) for s, row in zip(self.stored, self.verified)}
        rows = [self._same_row(before.get(s.id), s) or self._row(s) for s in stored]
        with self._lock:
            self.stored, self.verified, self._seen = stored, rows, seen
            self.generation += 1

    @staticmethod
    def _same_row(before: tuple[Stored, Row] | None, stored: Stored) -> Row | None:
        """The row built before for the same indexed record (the store re-parses changed shards only)."""
        if before is not None and before[0].metadata is stored.metadata and before[0].result is stored.result:
            return before[1]
        return None

    def _verify_in_background(self) -> None:
        """`verify` at the lowest CPU priority (Linux: per thread), so requests keep the processor."""
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        with contextlib.suppress(OSError, MMADError):  # the store went away (a test's folder): nothing to check
            self.verify()

    def verify(self) -> int:
        """Check the index against the entries; the board reloads when anything was rebuilt."""
        fixed = self.store.verify_summaries()
        if fixed:
            self.reload()
        return fixed

    def current(self) -> int:
        """The generation of the rows, after reloading when the store changed since (one stat per shard)."""
        if self.store.generation() != self._seen:
            self.reload()
        return self.generation

    def add(self, stored: Stored) -> None:
        """A new submission, without re-reading the store."""
        row = self._row(stored)
        with self._lock:
            self.stored = [*self.stored, stored]
            self.verified = [*self.verified, row]
            self.generation += 1

    @property
    def rows(self) -> list[Row]:
        return [*self.verified, *self.reported]

    def find(self, row_id: str) -> Row | None:
        return next((row for row in self.rows if row.id == row_id), None)

    def detailed(self, row_id: str) -> Row | None:
        """A row with everything its entry holds (the index leaves out per-category breakdowns)."""
        row = self.find(row_id)
        if row is None or row.status != "verified":
            return row
        try:
            return self._row(self.store.get(row_id))
        except MMADError:  # gone or unreadable since: the indexed numbers are still right
            return row


def load_reported(folder: str | Path) -> list[dict]:
    """Every curated entry in a folder, in file-name order; an entry off the taxonomy (a value it does not
    know, a comparability field without its stated/presumed basis) stops the board from starting."""
    entries = []
    for path in sorted(Path(folder).glob("*.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        problems = taxonomy.reported_problems(entry)
        if problems:
            raise ValueError(f"{path.name}: {'; '.join(problems[:3])}")
        entries.append(entry)
    return entries

