"""Where verified submissions live: a local folder, or a Hub dataset repo mirrored locally.

Layout (the same in both):

    verified/<id>/metadata.json       who, when, model metadata, predictions sha256
    verified/<id>/predictions.jsonl   the uploaded file as received (.json for upstream answers JSON)
    verified/<id>/result.json         the current score (both protocols, scorer version, key sha256)
    verified/<id>/history/<n>.json    earlier scores, kept when a re-score replaces result.json
    index/<claim>.json                one per thing a submission claims (its predictions' content hash,
                                      its user + model + setting): {"submission_id", "model_name", ...}

A submission is written whole or not at all: locally into a temporary folder renamed into place,
on the Hub as one commit. Ids are generated here; no user input ever becomes a path.

The index makes duplicates a property of the store, not of one app process: a claim file is
created exclusively (locally) or committed with `parent_commit` after checking it is absent at
that parent (on the Hub), so two app instances cannot both accept the same predictions, and a
commit that landed although its reply was lost is found when the file is submitted again.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from mmad_dataset import MMADError

from . import schema as schema_module

VERIFIED = "verified"
INDEX = "index"
SUBMISSION_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{10}")
CLAIM = re.compile(r"[a-z]+-[0-9a-f]{64}")
PREDICTION_NAMES = ("predictions.jsonl", "predictions.json")
#: A local claim whose submission folder never appeared (the process died in between) stops counting after this.
STALE_CLAIM_SECONDS = 600
#: How often a Hub commit is retried when another commit landed first (its parent moved).
COMMIT_ATTEMPTS = 50


class StorageError(MMADError):
    """Storing failed; the message says why and that nothing was half-written."""


class DuplicateSubmission(StorageError):
    """A claim of the submission is already held by a stored one; `existing` is that claim's record."""

    def __init__(self, claim: str, existing: dict) -> None:
        super().__init__(f"already stored as {existing.get('submission_id', '?')}")
        self.claim = claim
        self.existing = existing


def new_submission_id(now: datetime | None = None) -> str:
    """Sortable by time, unguessable, and safe as a folder name."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(5)}"


def check_id(submission_id: str) -> str:
    if not SUBMISSION_ID.fullmatch(submission_id or ""):
        raise StorageError(f"not a submission id: {str(submission_id)[:40]!r}")
    return submission_id


def check_predictions_name(name: object) -> str:
    """One of PREDICTION_NAMES: a stored metadata.json never names another file to read or write."""
    if name not in PREDICTION_NAMES:
        raise StorageError(f"predictions file name must be one of {PREDICTION_NAMES}, not {str(name)[:40]!r}")
    return name


@dataclass(frozen=True)
class Stored:
    """One verified submission as read back from a store."""

    id: str
    metadata: dict
    result: dict
    history: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Files:
    """Everything written for one submission, keyed by path relative to the store root, and the
    index entries (claims) it takes: `claims` maps a claim name to the record stored under it."""

    contents: dict[str, bytes]
    claims: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def for_submission(cls, submission_id: str, predictions: bytes, predictions_name: str,
                       metadata: dict, result: dict, claims: tuple[str, ...] = ()) -> Files:
        check_id(submission_id)
        check_predictions_name(predictions_name)
        if not all(CLAIM.fullmatch(c) for c in claims):
            raise StorageError("a claim is a kind and a sha256, e.g. content-<64 hex>")
        base = f"{VERIFIED}/{submission_id}"
        record = _dump({"submission_id": submission_id, "model_name": metadata.get("model_name", ""),
                        "user": metadata.get("user", ""), "setting": metadata.get("setting", "")})
        return cls({f"{base}/{predictions_name}": predictions,
                    f"{base}/metadata.json": _dump(metadata), f"{base}/result.json": _dump(result)},
                   {claim: record for claim in claims})

    @property
    def submission_id(self) -> str:
        return next(iter(self.contents)).split("/")[1]


def _dump(data: dict) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def claim_path(claim: str) -> str:
    return f"{INDEX}/{claim}.json"


def rescored_files(previous: Stored, result: dict) -> dict[str, bytes]:
    """The files a re-score writes: the new result, and the old one moved into history."""
    base = f"{VERIFIED}/{previous.id}"
    return {f"{base}/history/{len(previous.history):04d}.json": _dump(previous.result),
            f"{base}/result.json": _dump(result)}


class Store(Protocol):
    """What the app, the submit handler and the re-scorer need from storage."""

    def describe(self) -> str: ...
    def health(self) -> str: ...
    def list(self) -> list[Stored]: ...
    def save(self, files: Files) -> None: ...
    def predictions(self, stored: Stored) -> bytes: ...
    def replace_results(self, updates: dict[str, bytes]) -> None: ...
    def refresh(self) -> None: ...


def _read_json(path: Path, schema: type[schema_module.BaseModel]) -> dict:
    """A stored file that fits its schema (`space.schema`); ValueError naming the file and the problem."""
    try:
        return schema_module.checked(path.read_bytes(), schema)
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from None


def _read_submission(path: Path) -> Stored:
    """One submission folder; raises ValueError/OSError when a file is missing, unparsable or misshapen."""
    metadata = _read_json(path / "metadata.json", schema_module.Metadata)
    result = _read_json(path / "result.json", schema_module.Result)
    history = tuple(_read_json(p, schema_module.Result) for p in sorted((path / "history").glob("*.json")))
    return Stored(path.name, metadata, result, history)


class LocalStore:
    """A folder on disk (default: the project's `submissions/`)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.unreadable: dict[str, str] = {}

    def describe(self) -> str:
        return "local folder"

    def health(self) -> str:
        """Empty when every stored submission could be read; else which were skipped and why."""
        if not self.unreadable:
            return ""
        shown = "; ".join(f"{sid}: {why}" for sid, why in list(self.unreadable.items())[:3])
        return f"{len(self.unreadable)} stored submission(s) could not be read and are not shown ({shown})"

    def list(self) -> list[Stored]:
        """Every readable submission; an unreadable one is skipped and named in `health()`, never fatal."""
        folder = self.root / VERIFIED
        found, unreadable = [], {}
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if not SUBMISSION_ID.fullmatch(path.name) or not (path / "result.json").is_file():
                    continue
                try:
                    found.append(_read_submission(path))
                except (OSError, ValueError) as exc:
                    unreadable[path.name] = f"{type(exc).__name__}: {str(exc)[:80]}"
        self.unreadable = unreadable
        return found

    def save(self, files: Files) -> None:
        """Take the claims exclusively, then write into a temporary sibling folder renamed into place
        (atomic on one filesystem). A failure releases the claims taken."""
        folders = {path.rsplit("/", 1)[0] for path in files.contents}
        if len(folders) != 1:
            raise StorageError("a submission is written as exactly one folder")
        final = self.root / folders.pop()
        if final.exists():
            raise StorageError(f"submission {final.name} already exists")
        taken = self._claim(files.claims)
        staging = final.parent / f".staging-{final.name}"
        try:
            staging.mkdir(parents=True)
            for path, content in files.contents.items():
                (staging / path.rsplit("/", 1)[1]).write_bytes(content)
            os.rename(staging, final)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            for path in taken:
                path.unlink(missing_ok=True)
            raise StorageError(f"could not write the submission ({exc}); nothing was stored") from None

    def _claim(self, claims: dict[str, bytes]) -> list[Path]:
        taken: list[Path] = []
        if claims:
            (self.root / INDEX).mkdir(parents=True, exist_ok=True)
        try:
            for claim, record in claims.items():
                path = self.root / claim_path(claim)
                self._drop_if_stale(path)
                try:
                    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                except FileExistsError:
                    raise DuplicateSubmission(claim, self._claim_record(path)) from None
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(record)
                taken.append(path)
        except BaseException:
            for path in taken:
                path.unlink(missing_ok=True)
            raise
        return taken

    @staticmethod
    def _claim_record(path: Path) -> dict:
        try:
            return _read_json(path, schema_module.Claim)
        except (OSError, ValueError):
            return {}

    def _drop_if_stale(self, path: Path) -> None:
        """A claim left by a process that died before writing its folder would block the file forever."""
        try:
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            return
        sid = self._claim_record(path).get("submission_id", "")
        if age > STALE_CLAIM_SECONDS and not (SUBMISSION_ID.fullmatch(str(sid))
                                              and (self.root / VERIFIED / sid).is_dir()):
            path.unlink(missing_ok=True)

    def predictions(self, stored: Stored) -> bytes:
        folder = self.root / VERIFIED / check_id(stored.id)
        return (folder / check_predictions_name(stored.metadata.get("predictions_file"))).read_bytes()

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


def mirror_folder(base: str | Path, repo_id: str) -> Path:
    """The mirror of one repo: never shared between repos (an app on an empty repo shows nothing)."""
    return Path(base) / repo_id.replace("/", "--")


class HubStore:
    """A Hub dataset repo, one commit per submission, read through a local mirror.

    The mirror holds metadata and results (not predictions) of one repo at one revision, pruned
    to what the repo holds there, so the board never waits on the Hub and keeps working from the
    mirror when the Hub is down (`health()` says so). No lock is held across a network call.
    """

    def __init__(self, repo_id: str, *, token: str | None, mirror: str | Path, endpoint: str | None = None,
                 commit_timeout: float = 60.0, create: bool = True) -> None:
        from huggingface_hub import HfApi

        self.repo_id = repo_id
        self.api = HfApi(endpoint=endpoint, token=token)
        self.mirror = LocalStore(mirror_folder(mirror, repo_id))
        self.commit_timeout = commit_timeout
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="hub-commit")
        self._lock = threading.Lock()
        self._outage = ""
        if create:
            try:
                self._call(lambda: self.api.create_repo(repo_id, repo_type="dataset", private=True, exist_ok=True),
                           "create the submissions repo")
            except StorageError as exc:
                self._outage = str(exc)
        if not self._outage:
            self.refresh()

    def describe(self) -> str:
        return f"Hub dataset {self.repo_id}"

    @property
    def outage(self) -> str:
        """Why the Hub did not answer the last refresh (empty when it did)."""
        return self._outage

    def health(self) -> str:
        """Empty when the Hub answered the last refresh and every mirrored entry was readable."""
        parts = []
        if self._outage:
            revision = self._mirrored_revision()
            parts.append(f"the Hub did not answer ({self._outage}); showing the local mirror"
                         + (f" of revision {revision[:12]}" if revision else " (empty)"))
        if self.mirror.health():
            parts.append(self.mirror.health())
        return "; ".join(parts)

    def _call(self, action, what: str):
        from huggingface_hub.errors import HfHubHTTPError

        try:
            return action()
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            raise _HubError(f"could not {what} on the Hub ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})",
                            status) from None
        except (OSError, ValueError) as exc:
            raise _HubError(f"could not {what} on the Hub ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
                            ) from None
        except Exception as exc:  # the transport's own errors (httpx) are not exported under a stable name
            raise _HubError(f"could not {what} on the Hub ({type(exc).__name__}: {str(exc)[:200]})") from None

    def _revision_file(self) -> Path:
        return self.mirror.root / ".mirrored-revision"

    def _mirrored_revision(self) -> str:
        try:
            return self._revision_file().read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def _head(self) -> str:
        return self._call(lambda: self.api.repo_info(self.repo_id, repo_type="dataset").sha, "read the repo's head")

    def refresh(self) -> None:
        """Bring the mirror to the repo's head and prune what the repo no longer holds. When the Hub
        does not answer, the mirror stays as it was and `health()` says so; nothing is raised."""
        from huggingface_hub import snapshot_download

        try:
            head = self._head()
            names = self._call(lambda: self.api.list_repo_files(self.repo_id, repo_type="dataset", revision=head),
                               "list the submissions repo")
            held = {p.split("/")[1] for p in names if p.startswith(f"{VERIFIED}/") and p.count("/") >= 2}
            self._call(lambda: snapshot_download(
                self.repo_id, repo_type="dataset", revision=head, local_dir=self.mirror.root,
                endpoint=self.api.endpoint, token=self.api.token,
                allow_patterns=[f"{VERIFIED}/*/metadata.json", f"{VERIFIED}/*/result.json",
                                f"{VERIFIED}/*/history/*.json"]), "read the submissions repo")
        except StorageError as exc:
            self._outage = str(exc)
            return
        with self._lock:
            self._prune(held)
            self._revision_file().write_text(head + "\n", encoding="utf-8")
            self._outage = ""

    def _prune(self, held: set[str]) -> None:
        """Submissions the repo no longer holds (deleted on the Hub) leave the mirror."""
        folder = self.mirror.root / VERIFIED
        for path in folder.iterdir() if folder.is_dir() else ():
            if path.name not in held:
                shutil.rmtree(path, ignore_errors=True)

    def list(self) -> list[Stored]:
        with self._lock:
            return self.mirror.list()

    def _commit(self, contents: dict[str, bytes], message: str, parent: str | None = None) -> None:
        from huggingface_hub import CommitOperationAdd

        operations = [CommitOperationAdd(path_in_repo=p, path_or_fileobj=c) for p, c in contents.items()]
        future = self._executor.submit(self.api.create_commit, self.repo_id, operations,
                                       commit_message=message, repo_type="dataset", parent_commit=parent)
        concurrent.futures.wait([future], timeout=self.commit_timeout)
        if not future.done():
            raise StorageError(
                f"the Hub did not confirm the commit within {self.commit_timeout:g} s. If it lands later the row "
                "appears after a refresh; otherwise submit again (a landed copy is detected as a duplicate)")
        self._call(future.result, "commit")

    def _held_claim(self, claims: dict[str, bytes], head: str) -> DuplicateSubmission | None:
        """The first claim already in the repo at `head`, with its record."""
        from huggingface_hub import hf_hub_download

        paths = [claim_path(c) for c in claims]
        if not paths:
            return None
        found = {entry.path for entry in self._call(
            lambda: self.api.get_paths_info(self.repo_id, paths, repo_type="dataset", revision=head),
            "read the submissions index")}
        for claim in claims:
            if claim_path(claim) in found:
                local = self._call(lambda: hf_hub_download(
                    self.repo_id, claim_path(claim), repo_type="dataset", revision=head, token=self.api.token,
                    endpoint=self.api.endpoint), "read the submissions index")
                return DuplicateSubmission(claim, LocalStore._claim_record(Path(local)))
        return None

    def save(self, files: Files) -> None:
        """Check the claims at the head, commit on top of exactly that head, retry if another commit won."""
        contents = {**files.contents, **{claim_path(c): r for c, r in files.claims.items()}}
        for _ in range(COMMIT_ATTEMPTS):
            head = self._head()
            held = self._held_claim(files.claims, head)
            if held is not None:
                raise held
            try:
                self._commit(contents, f"Add submission {files.submission_id}", parent=head)
                break
            except _HubError as exc:
                if exc.status != 412:  # 412: a commit landed since `head`; check the claims again on top of it
                    raise
            time.sleep(secrets.randbelow(100) / 1000)
        else:
            raise StorageError(f"the submissions repo kept moving; {COMMIT_ATTEMPTS} commits were overtaken, "
                               "nothing was stored; submit again")
        with self._lock:
            try:
                self.mirror.save(Files(files.contents))
            except StorageError:  # a refresh already brought it: the commit landed, which is what counts
                pass

    def predictions(self, stored: Stored) -> bytes:
        from huggingface_hub import hf_hub_download

        name = f"{VERIFIED}/{check_id(stored.id)}/{check_predictions_name(stored.metadata.get('predictions_file'))}"
        path = self._call(lambda: hf_hub_download(self.repo_id, name, repo_type="dataset", token=self.api.token,
                                                  endpoint=self.api.endpoint), f"download {name}")
        return Path(path).read_bytes()

    def replace_results(self, updates: dict[str, bytes]) -> None:
        if updates:
            self._commit(updates, f"Re-score {len([p for p in updates if p.endswith('result.json')])} submissions")
            with self._lock:
                self.mirror.replace_results(updates)


class _HubError(StorageError):
    """A Hub call failed; `status` is the HTTP status when there was one (412 = the parent moved)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
