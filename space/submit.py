"""Turn an upload into a stored, scored submission: validate, rate-limit, dedup, score, persist.

`Submitter.submit` is the whole pipeline; the Gradio handler only maps its outcome onto the UI.
Checks that depend on what is stored (rate limit, duplicates) run again under a lock right
before the write, so concurrent uploads can neither exceed the limit nor store the same file twice.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from mmad_dataset import MMADError

from .populate import SETTINGS, TYPES, params_billions, safe_url
from .scoring import KeyInfo, now_iso, score_bytes
from .storage import Files, Store, Stored, new_submission_id

TRAINING_EXPOSURE: tuple[str, ...] = (
    "none", "MMAD questions or images", "MMAD's source datasets (MVTec AD, MVTec LOCO, VisA, GoodsAD)", "unknown",
)
LIMITS = {"model_name": 120, "link": 500, "license": 80, "size": 16, "notes": 2000}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class SubmissionRejected(MMADError):
    """The upload cannot be accepted; the message tells the user what to change."""


@dataclass(frozen=True)
class Attempt:
    """One line of the submissions-status list."""

    at: str
    user: str
    model: str
    setting: str
    status: str
    detail: str


def clean_metadata(raw: dict) -> dict:
    """Form fields → stored metadata; rejects what cannot be shown or filtered on safely."""
    meta = {}
    for name in ("model_name", "link", "license", "size", "notes"):
        value = _CONTROL.sub("", str(raw.get(name) or "")).strip()
        if len(value) > LIMITS[name]:
            raise SubmissionRejected(f"{name.replace('_', ' ')} is longer than {LIMITS[name]} characters")
        meta[name] = value
    if not meta["model_name"]:
        raise SubmissionRejected("model name is required")
    if meta["link"] and safe_url(meta["link"]) is None:
        raise SubmissionRejected("link must be an http(s) URL")
    if meta["size"] and params_billions(meta["size"]) is None:
        raise SubmissionRejected(f"size {meta['size']!r} is not a parameter count like '7B' or '500M'")
    choices = {"model_type": (TYPES, "open"), "setting": (SETTINGS, "1-shot"),
               "training_exposure": (TRAINING_EXPOSURE, "unknown")}
    for name, (allowed, default) in choices.items():
        value = raw.get(name) or default
        if value not in allowed:
            raise SubmissionRejected(f"{name.replace('_', ' ')} must be one of: {', '.join(allowed)}")
        meta[name] = value
    return meta


def predictions_name(content: bytes) -> str:
    """Stored name by format, never by the user's file name: upstream answers JSON is a JSON array."""
    return "predictions.json" if content.lstrip()[:1] == b"[" else "predictions.jsonl"


@dataclass
class Submitter:
    """Validates, scores and stores submissions against one answer key and one store."""

    store: Store
    key: KeyInfo | None
    max_per_day: int = 5
    max_bytes: int = 50 * 1024 * 1024
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    attempts: deque = field(default_factory=lambda: deque(maxlen=200), repr=False)
    _known: list[dict] | None = field(default=None, repr=False)

    def reload(self) -> None:
        """Forget what is known to be stored; the next check reads the store again."""
        with self._lock:
            self._known = None

    def _stored_metadata(self) -> list[dict]:
        if self._known is None:
            self._known = [s.metadata for s in self.store.list()]
        return self._known

    def _check_quota(self, user: str, metadata: dict, sha256: str) -> None:
        stored = self._stored_metadata()
        since = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        recent = sorted(m["submitted_at"] for m in stored if m.get("user") == user and m["submitted_at"] >= since)
        if len(recent) >= self.max_per_day:
            raise SubmissionRejected(
                f"rate limit: {user} already submitted {len(recent)} times in the last 24 hours "
                f"(limit {self.max_per_day}); try again 24 h after {recent[0]}")
        for other in stored:
            if other.get("predictions_sha256") == sha256:
                raise SubmissionRejected(f"duplicate: this exact file was already submitted as "
                                         f"{other['model_name']!r} ({other['submission_id']})")
            if (other.get("user"), other["model_name"].casefold(), other.get("setting")) == (
                    user, metadata["model_name"].casefold(), metadata["setting"]):
                raise SubmissionRejected(f"duplicate: {user} already submitted {metadata['model_name']!r} in the "
                                         f"{metadata['setting']} setting ({other['submission_id']})")

    def submit(self, upload: str | Path | bytes, raw_metadata: dict, user: str) -> Stored:
        """Store and return the scored submission, or raise MMADError with the reason (also logged)."""
        model = str(raw_metadata.get("model_name") or "")[:LIMITS["model_name"]]
        try:
            stored = self._submit(upload, raw_metadata, user)
        except MMADError as exc:
            self.attempts.appendleft(Attempt(now_iso(), user, model, str(raw_metadata.get("setting") or ""),
                                             "failed", str(exc)))
            raise
        average = stored.result["official"]["average"]
        self.attempts.appendleft(Attempt(stored.metadata["submitted_at"], user, stored.metadata["model_name"],
                                         stored.metadata["setting"], "scored",
                                         f"average {average:.2f}, coverage {stored.result['official']['coverage']:.1f}%"))
        return stored

    def _submit(self, upload: str | Path | bytes, raw_metadata: dict, user: str) -> Stored:
        if self.key is None:
            raise SubmissionRejected("no answer key is configured, so nothing can be scored (see the Submit tab)")
        metadata = clean_metadata(raw_metadata)
        content = _read_upload(upload, self.max_bytes)
        sha256 = hashlib.sha256(content).hexdigest()
        with self._lock:
            self._check_quota(user, metadata, sha256)
        result = score_bytes(content, self.key, max_bytes=self.max_bytes)
        submission_id = new_submission_id()
        name = predictions_name(content)
        metadata.update({"user": user, "submitted_at": now_iso(), "predictions_sha256": sha256,
                         "predictions_file": name, "submission_id": submission_id})
        with self._lock:
            self._check_quota(user, metadata, sha256)
            self.store.save(Files.for_submission(submission_id, content, name, metadata, result))
            self._known.append(metadata)
        return Stored(submission_id, metadata, result)


def _read_upload(upload: str | Path | bytes, max_bytes: int) -> bytes:
    """The upload's bytes, refusing oversize files before reading them."""
    if isinstance(upload, (bytes, bytearray)):
        content = bytes(upload)
    else:
        path = Path(upload)
        if not path.is_file():
            raise SubmissionRejected("no prediction file was uploaded")
        if path.stat().st_size > max_bytes:
            raise SubmissionRejected(f"the file is {path.stat().st_size / 1e6:.1f} MB, over the limit of "
                                     f"{max_bytes / 1e6:g} MB")
        content = path.read_bytes()
    if len(content) > max_bytes:
        raise SubmissionRejected(f"the file is {len(content) / 1e6:.1f} MB, over the limit of {max_bytes / 1e6:g} MB")
    if not content.strip():
        raise SubmissionRejected("the prediction file is empty")
    return content
