"""Where verified submissions live: a local folder, or a Hub dataset repo mirrored locally.

Layout (the same in both):

    verified/<id>/metadata.json       who, when, model metadata, predictions sha256
    verified/<id>/predictions.jsonl   the uploaded file as received (.json for upstream answers JSON)
    verified/<id>/result.json         the current score (both protocols, scorer version, key sha256)
    verified/<id>/history/<n>.json    earlier scores, kept when a re-score replaces result.json

A submission is written whole or not at all: locally into a temporary folder renamed into place,
on the Hub as one commit. Ids are generated here; no user input ever becomes a path.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import secrets
import shutil
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from mmad_dataset import MMADError

VERIFIED = "verified"
SUBMISSION_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{10}")
PREDICTION_NAMES = ("predictions.jsonl", "predictions.json")


class StorageError(MMADError):
    """Storing failed; the message says why and that nothing was half-written."""


def new_submission_id(now: datetime | None = None) -> str:
    """Sortable by time, unguessable, and safe as a folder name."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(5)}"


def check_id(submission_id: str) -> str:
    if not SUBMISSION_ID.fullmatch(submission_id or ""):
        raise StorageError(f"not a submission id: {submission_id!r}")
    return submission_id


@dataclass(frozen=True)
class Stored:
    """One verified submission as read back from a store."""

    id: str
    metadata: dict
    result: dict
    history: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Files:
    """Everything written for one submission, keyed by path relative to the store root."""

    contents: dict[str, bytes]

    @classmethod
    def for_submission(cls, submission_id: str, predictions: bytes, predictions_name: str,
                       metadata: dict, result: dict) -> Files:
        check_id(submission_id)
        if predictions_name not in PREDICTION_NAMES:
            raise StorageError(f"predictions file name must be one of {PREDICTION_NAMES}")
        base = f"{VERIFIED}/{submission_id}"
        return cls({f"{base}/{predictions_name}": predictions,
                    f"{base}/metadata.json": _dump(metadata), f"{base}/result.json": _dump(result)})


def _dump(data: dict) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def rescored_files(previous: Stored, result: dict) -> dict[str, bytes]:
    """The files a re-score writes: the new result, and the old one moved into history."""
    base = f"{VERIFIED}/{previous.id}"
    return {f"{base}/history/{len(previous.history):04d}.json": _dump(previous.result),
            f"{base}/result.json": _dump(result)}


class Store(Protocol):
    """What the app, the submit handler and the re-scorer need from storage."""

    def describe(self) -> str: ...
    def list(self) -> list[Stored]: ...
    def save(self, files: Files) -> None: ...
    def predictions(self, stored: Stored) -> bytes: ...
    def replace_results(self, updates: dict[str, bytes]) -> None: ...
    def refresh(self) -> None: ...


class LocalStore:
    """A folder on disk (default: the project's `submissions/`)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def describe(self) -> str:
        return f"local folder {self.root}"

    def list(self) -> list[Stored]:
        folder = self.root / VERIFIED
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(folder.iterdir()):
            if SUBMISSION_ID.fullmatch(path.name) and (path / "result.json").is_file():
                history = tuple(json.loads(p.read_text(encoding="utf-8"))
                                for p in sorted((path / "history").glob("*.json")))
                found.append(Stored(path.name, json.loads((path / "metadata.json").read_text(encoding="utf-8")),
                                    json.loads((path / "result.json").read_text(encoding="utf-8")), history))
        return found

    def save(self, files: Files) -> None:
        """Write into a temporary sibling folder, then rename it into place (atomic on one filesystem)."""
        folders = {path.rsplit("/", 1)[0] for path in files.contents}
        if len(folders) != 1:
            raise StorageError("a submission is written as exactly one folder")
        final = self.root / folders.pop()
        if final.exists():
            raise StorageError(f"submission {final.name} already exists")
        staging = final.parent / f".staging-{final.name}"
        staging.mkdir(parents=True)
        try:
            for path, content in files.contents.items():
                (staging / path.rsplit("/", 1)[1]).write_bytes(content)
            os.rename(staging, final)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise StorageError(f"could not write the submission ({exc}); nothing was stored") from None

    def predictions(self, stored: Stored) -> bytes:
        folder = self.root / VERIFIED / check_id(stored.id)
        return (folder / stored.metadata["predictions_file"]).read_bytes()

    def replace_results(self, updates: dict[str, bytes]) -> None:
        """Each file replaced atomically; history files are new, so order keeps the record whole."""
        for path in sorted(updates, key=lambda p: p.endswith("result.json")):
            target = self.root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
            temporary.write_bytes(updates[path])
            os.replace(temporary, target)

    def refresh(self) -> None:
        """Nothing to do: the folder is the truth."""


class HubStore:
    """A Hub dataset repo, one commit per submission, read through a local mirror.

    The mirror holds metadata and results (not predictions) so the board never waits on the Hub;
    it is filled by `refresh()` and updated after each successful commit.
    """

    def __init__(self, repo_id: str, *, token: str | None, mirror: str | Path, endpoint: str | None = None,
                 commit_timeout: float = 60.0, create: bool = True) -> None:
        from huggingface_hub import HfApi

        self.repo_id = repo_id
        self.api = HfApi(endpoint=endpoint, token=token)
        self.mirror = LocalStore(mirror)
        self.commit_timeout = commit_timeout
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="hub-commit")
        self._lock = threading.Lock()
        if create:
            self._call(lambda: self.api.create_repo(repo_id, repo_type="dataset", private=True, exist_ok=True),
                       "create the submissions repo")
        self.refresh()

    def describe(self) -> str:
        return f"Hub dataset {self.repo_id}"

    def _call(self, action, what: str):
        from huggingface_hub.errors import HfHubHTTPError

        try:
            return action()
        except (HfHubHTTPError, OSError, ValueError) as exc:
            raise StorageError(f"could not {what} on the Hub ({type(exc).__name__}: {str(exc).splitlines()[0]})"
                               ) from None
        except Exception as exc:  # the transport's own errors (httpx) are not exported under a stable name
            raise StorageError(f"could not {what} on the Hub ({type(exc).__name__}: {exc})") from None

    def refresh(self) -> None:
        from huggingface_hub import snapshot_download

        self._call(lambda: snapshot_download(
            self.repo_id, repo_type="dataset", local_dir=self.mirror.root, endpoint=self.api.endpoint,
            token=self.api.token,
            allow_patterns=[f"{VERIFIED}/*/metadata.json", f"{VERIFIED}/*/result.json",
                            f"{VERIFIED}/*/history/*.json"]), "read the submissions repo")

    def list(self) -> list[Stored]:
        with self._lock:
            return self.mirror.list()

    def _commit(self, contents: dict[str, bytes], message: str) -> None:
        from huggingface_hub import CommitOperationAdd

        operations = [CommitOperationAdd(path_in_repo=p, path_or_fileobj=c) for p, c in contents.items()]
        future = self._executor.submit(self.api.create_commit, self.repo_id, operations,
                                       commit_message=message, repo_type="dataset")
        concurrent.futures.wait([future], timeout=self.commit_timeout)
        if not future.done():
            raise StorageError(
                f"the Hub did not confirm the commit within {self.commit_timeout:g} s. If it lands later the row "
                "appears after a refresh; otherwise submit again (a landed copy is detected as a duplicate)")
        self._call(future.result, "commit")

    def save(self, files: Files) -> None:
        submission = next(iter(files.contents)).split("/")[1]
        self._commit(files.contents, f"Add submission {submission}")
        with self._lock:
            self.mirror.save(files)

    def predictions(self, stored: Stored) -> bytes:
        from huggingface_hub import hf_hub_download

        name = f"{VERIFIED}/{check_id(stored.id)}/{stored.metadata['predictions_file']}"
        path = self._call(lambda: hf_hub_download(self.repo_id, name, repo_type="dataset", token=self.api.token,
                                                  endpoint=self.api.endpoint), f"download {name}")
        return Path(path).read_bytes()

    def replace_results(self, updates: dict[str, bytes]) -> None:
        if updates:
            self._commit(updates, f"Re-score {len([p for p in updates if p.endswith('result.json')])} submissions")
            with self._lock:
                self.mirror.replace_results(updates)
