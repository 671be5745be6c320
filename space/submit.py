"""Turn an upload into a stored, scored submission: validate, rate-limit, dedup, score, persist.

`Submitter.submit` is the whole pipeline; the Gradio handler only maps its outcome onto the UI.
Checks that depend on what is stored (rate limit, duplicates) run again under a lock right
before the write, and the submission is reserved there; the write itself (a Hub commit, maybe
slow) runs outside the lock, so one stalled commit never delays another user's submission.
Duplicates are judged by content (the parsed answers, see `scoring.content_hash`) and by
normalised model name, and the store's claims index makes that hold across app instances.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import unicodedata
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from mmad_dataset import MMADError

from . import taxonomy, worker
from .envs import DEFAULT_MAX_UPLOAD_MB
from .messages import bounded, prefix
from .ranking import TYPES, params_billions
from .render import safe_url
from .scoring import KeyInfo, now_iso
from .storage import DuplicateSubmission, Files, Store, Stored, new_submission_id

LIMITS = {"model_name": 120, "link": 500, "license": 80, "size": 16, "notes": 2000}
DEFAULT_SETTING = "1-shot"
#: What a submitter who says nothing declares: not known, so not ranked with declared results, and not flagged as trained.
DEFAULT_TRAINING_EXPOSURE = "unknown"
#: The status list keeps this many attempts, each detail cut to MESSAGE_LIMIT characters.
ATTEMPTS_KEPT = 50
#: Failed attempts allowed per user within FAILURE_WINDOW, and per client address (higher: users
#: behind one proxy or NAT share an address).
MAX_FAILURES = 10
MAX_FAILURES_PER_ADDRESS = 50
FAILURE_WINDOW = timedelta(hours=1)
#: Users and addresses whose failures are remembered at once (the oldest are forgotten first).
FAILURE_KEYS_KEPT = 10_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


class SubmissionRejected(MMADError):
    """The upload cannot be accepted; the message tells the user what to change."""


class TooManyFailures(SubmissionRejected):
    """Refused before reading anything; not itself counted as another failure."""


@dataclass(frozen=True)
class Attempt:
    """One line of the submissions-status list."""

    at: str
    user: str
    model: str
    setting: str
    status: str
    detail: str


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _visible(text: str) -> str:
    """Without control and format characters (zero-width spaces, bidi overrides): they hide in names."""
    return "".join(c for c in _CONTROL.sub("", text) if unicodedata.category(c) != "Cf")


def normalised_name(name: str) -> str:
    """The name two submissions are compared by: NFKC, invisible characters dropped, spaces collapsed, casefolded."""
    return _SPACES.sub(" ", _visible(unicodedata.normalize("NFKC", name))).strip().casefold()


def clean_metadata(raw: dict) -> dict:
    """Form fields → stored metadata; rejects what cannot be shown or filtered on safely."""
    meta = {}
    for name in ("model_name", "link", "license", "size", "notes"):
        value = _visible(str(raw.get(name) or "")).strip()
        if len(value) > LIMITS[name]:
            raise SubmissionRejected(f"{name.replace('_', ' ')} is longer than {LIMITS[name]} characters")
        meta[name] = value
    if not meta["model_name"]:
        raise SubmissionRejected("model name is required")
    if meta["link"] and safe_url(meta["link"]) is None:
        raise SubmissionRejected("link must be an http(s) URL")
    if meta["size"] and params_billions(meta["size"]) is None:
        raise SubmissionRejected(f"size {prefix(meta['size'])!r} is not a parameter count like '7B' or '500M'")
    choices = {"model_type": (TYPES, "open"), "setting": (taxonomy.SETTINGS, DEFAULT_SETTING),
               "training_exposure": (taxonomy.TRAINING_EXPOSURES, DEFAULT_TRAINING_EXPOSURE)}
    for name, (allowed, default) in choices.items():
        value = raw.get(name) or default
        if value not in allowed:
            raise SubmissionRejected(f"{name.replace('_', ' ')} must be one of: {', '.join(allowed)}")
        meta[name] = value
    meta["measured_by"] = "scored here"
    return meta


def predictions_name(content: bytes) -> str:
    """Stored name by format, never by the user's file name: upstream answers JSON is a JSON array."""
    return "predictions.json" if content.lstrip()[:1] == b"[" else "predictions.jsonl"


def _name_claim(user: str, metadata: dict) -> str:
    identity = "\n".join((user, normalised_name(metadata["model_name"]), metadata["setting"]))
    return "name-" + hashlib.sha256(identity.encode("utf-8")).hexdigest()


@dataclass
class Submitter:
    """Validates, scores and stores submissions against one answer key and one store.

    `clock` is injectable so the 24-hour window and the failure window can be tested.
    """

    store: Store
    key: KeyInfo | None
    max_per_day: int = 5
    max_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    cpu_seconds: int = worker.DEFAULT_CPU_SECONDS
    clock: Callable[[], datetime] = utc_now
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    attempts: deque = field(default_factory=lambda: deque(maxlen=ATTEMPTS_KEPT), repr=False)
    _known: list[dict] | None = field(default=None, repr=False)
    _pending: dict[str, dict] = field(default_factory=dict, repr=False)
    _failures: OrderedDict = field(default_factory=OrderedDict, repr=False)

    def reload(self) -> None:
        """Forget what is known to be stored; the next check reads the store again."""
        with self._lock:
            self._known = None

    def _stored_metadata(self) -> list[dict]:
        if self._known is None:
            self._known = [s.metadata for s in self.store.list()]
        return [*self._known, *self._pending.values()]

    def _check_daily(self, user: str, now: datetime) -> None:
        """At most `max_per_day` in any 24 hours, as this instance knows the store (the store's daily
        slots, `_save_in_a_daily_slot`, make the limit hold across instances)."""
        since = now_iso(now - timedelta(days=1))
        recent = sorted(m["submitted_at"] for m in self._stored_metadata()
                        if m.get("user") == user and str(m.get("submitted_at", "")) >= since)
        if len(recent) >= self.max_per_day:
            raise SubmissionRejected(
                f"rate limit: {prefix(user)} already submitted {len(recent)} times in the last 24 hours "
                f"(limit {self.max_per_day}); try again 24 h after {recent[0]}")

    def _check_quota(self, user: str, metadata: dict, digests: set[str], now: datetime) -> None:
        self._check_daily(user, now)
        stored = self._stored_metadata()
        name = normalised_name(metadata["model_name"])
        for other in stored:
            if digests & {other.get("content_sha256"), other.get("predictions_sha256")}:
                raise SubmissionRejected(_duplicate_content(other))
            if (other.get("user"), normalised_name(str(other.get("model_name", ""))), other.get("setting")) == (
                    user, name, metadata["setting"]):
                raise SubmissionRejected(_duplicate_name(user, other))

    def _check_failures(self, keys: list[str], now: datetime) -> None:
        """Refuse a user or address with too many recent failed attempts (each costs a parse)."""
        for key in keys:
            times = self._failures.get(key)
            while times and times[0] <= now - FAILURE_WINDOW:
                times.popleft()
            if times and len(times) >= _failure_limit(key):
                retry = now_iso(times[0] + FAILURE_WINDOW)
                raise TooManyFailures(f"too many failed attempts ({len(times)} in the last hour); "
                                         f"try again after {retry}")

    def _record_failure(self, keys: list[str], now: datetime) -> None:
        for key in keys:
            self._failures.setdefault(key, deque(maxlen=_failure_limit(key))).append(now)
            self._failures.move_to_end(key)
        while len(self._failures) > FAILURE_KEYS_KEPT:
            self._failures.popitem(last=False)

    def submit(self, upload: str | Path | bytes, raw_metadata: dict, user: str, client: str = "", *,
               identified: bool = True) -> Stored:
        """Store and return the scored submission, or raise MMADError with the reason (also logged).

        `client` is the caller's address; failed attempts are limited per user and per address. When
        `user` is not a real identity (`identified` False: outside a Space every visitor is the local
        user) they are limited per address only, so one visitor's mistakes do not lock out everyone.
        """
        now = self.clock()
        keys = [f"client:{client}"] if client else []
        if identified or not client:
            keys.insert(0, f"user:{user}")
        model = prefix(str(raw_metadata.get("model_name") or ""), LIMITS["model_name"])
        setting = prefix(str(raw_metadata.get("setting") or ""), 40)
        try:
            with self._lock:
                self._check_failures(keys, now)
            stored = self._submit(upload, raw_metadata, user, now)
        except MMADError as exc:
            with self._lock:
                if not isinstance(exc, TooManyFailures):
                    self._record_failure(keys, now)
                self.attempts.appendleft(Attempt(now_iso(now), prefix(user), model, setting, "failed",
                                                 bounded(str(exc))))
            raise
        official = stored.result["official"]
        with self._lock:
            self.attempts.appendleft(Attempt(stored.metadata["submitted_at"], prefix(user),
                                             stored.metadata["model_name"], stored.metadata["setting"], "scored",
                                             f"average {official['average']:.2f}, coverage {official['coverage']:.1f}%"))
        return stored

    def _submit(self, upload: str | Path | bytes, raw_metadata: dict, user: str, now: datetime) -> Stored:
        if self.key is None:
            raise SubmissionRejected("no answer key is configured, so nothing can be scored (see the Submit tab)")
        metadata = clean_metadata(raw_metadata)
        content = _read_upload(upload, self.max_bytes)
        with self._lock:
            self._check_daily(user, now)  # before spending a worker on the file
        scored = worker.score_isolated(content, self.key, max_bytes=self.max_bytes, cpu_seconds=self.cpu_seconds)
        digests = {scored.content_sha256, scored.predictions_sha256}
        with self._lock:
            self._check_quota(user, metadata, digests, now)
        submission_id = new_submission_id(now)
        name = predictions_name(content)
        metadata.update({"user": user, "submitted_at": now_iso(now), "predictions_sha256": scored.predictions_sha256,
                         "content_sha256": scored.content_sha256, "predictions_file": name,
                         "submission_id": submission_id})
        claims = [f"content-{scored.content_sha256}", _name_claim(user, metadata), _score_claim(user, scored.result)]
        with self._lock:
            self._check_quota(user, metadata, digests, now)
            self._pending[submission_id] = metadata
        try:
            self._save_in_a_daily_slot(submission_id, content, name, metadata, scored.result, claims, user, now)
        finally:
            with self._lock:
                self._pending.pop(submission_id, None)
        return Stored(submission_id, metadata, scored.result)

    def _save_in_a_daily_slot(self, submission_id: str, content: bytes, name: str, metadata: dict, result: dict,
                              claims: list[str], user: str, now: datetime) -> None:
        """Store with one of the user's `max_per_day` slots of the UTC day: the slots are claims, so the
        daily limit is a property of the store and holds across app instances (outside the lock: a slow
        Hub commit holds up nobody else)."""
        for slot in range(self.max_per_day):
            files = Files.for_submission(submission_id, content, name, metadata, result,
                                         claims=(*claims, _daily_claim(user, now, slot)))
            try:
                self.store.save(files)
            except DuplicateSubmission as exc:
                if exc.claim.startswith("daily-"):
                    continue
                raise SubmissionRejected(_duplicate_message(exc, user)) from None
            with self._lock:
                if self._known is not None:
                    self._known.append(metadata)
            return
        raise SubmissionRejected(f"rate limit: {prefix(user)} already submitted {self.max_per_day} times on "
                                 f"{now:%Y-%m-%d} (UTC; limit {self.max_per_day} a day); try again after midnight UTC")


def _daily_claim(user: str, now: datetime, slot: int) -> str:
    return "daily-" + hashlib.sha256(f"{user}\n{now:%Y-%m-%d}\n{slot}".encode("utf-8")).hexdigest()


def _score_claim(user: str, result: dict) -> str:
    """A user's scores: a second file with exactly the same numbers (one wrong letter swapped for another
    wrong letter) adds no information, only another identical row, so it is refused as a near-duplicate."""
    numbers = {protocol: {"average": result[protocol].get("average"), "subtasks": result[protocol].get("subtasks"),
                          "coverage": result[protocol].get("coverage")} for protocol in ("official", "strict")}
    identity = user + "\n" + json.dumps(numbers, sort_keys=True)
    return "score-" + hashlib.sha256(identity.encode("utf-8")).hexdigest()


def _duplicate_message(exc: DuplicateSubmission, user: str) -> str:
    if exc.claim.startswith("content-"):
        return _duplicate_content(exc.existing)
    if exc.claim.startswith("score-"):
        return (f"near-duplicate: {prefix(user)} already submitted a file with exactly these scores "
                f"({exc.existing.get('submission_id', '?')}); a change that moves no number adds only an identical row")
    return _duplicate_name(user, exc.existing)


def _failure_limit(key: str) -> int:
    return MAX_FAILURES_PER_ADDRESS if key.startswith("client:") else MAX_FAILURES


def _duplicate_content(other: dict) -> str:
    return (f"duplicate: these predictions were already submitted as "
            f"{prefix(str(other.get('model_name', '')))!r} ({other.get('submission_id', '?')})")


def _duplicate_name(user: str, other: dict) -> str:
    return (f"duplicate: {prefix(user)} already submitted {prefix(str(other.get('model_name', '')))!r} in the "
            f"{other.get('setting', '?')} setting ({other.get('submission_id', '?')})")


def _read_upload(upload: str | Path | bytes, max_bytes: int) -> bytes:
    """The upload's bytes, read with the limit from a regular file only."""
    if isinstance(upload, (bytes, bytearray)):
        content = bytes(upload)
    else:
        path = Path(upload)
        if not path.is_file():
            raise SubmissionRejected("no prediction file was uploaded")
        with path.open("rb") as handle:
            content = handle.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise SubmissionRejected(f"the file is over the limit of {max_bytes / 1e6:g} MB")
    if not content.strip():
        raise SubmissionRejected("the prediction file is empty")
    return content

