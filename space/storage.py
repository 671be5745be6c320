"""Where verified submissions live: a local folder, or a Hub dataset repo mirrored locally.

Layout (the same in both):

    verified/<id>/metadata.json       who, when, model metadata, predictions sha256
    verified/<id>/predictions.jsonl   the uploaded file as received (.json for upstream answers JSON)
    verified/<id>/result.json         the current score (both protocols, scorer version, key sha256)
    verified/<id>/history/<n>.json    earlier scores, kept when a re-score replaces result.json
    summary/<c>.json                  the summary index the board starts from (`space/index.py`)
    index/<claim>.json                one per thing a submission claims (its predictions' content hash,
                                      its user + model + setting): {"submission_id", "model_name", ...}

A submission is written whole or not at all: locally into a temporary folder renamed into place,
on the Hub as one commit (with its summary-index shard). Ids are generated here; no user input ever becomes a path.

The index makes duplicates a property of the store, not of one app process: a claim file is
created exclusively (locally) or committed with `parent_commit` after checking it is absent at
that parent (on the Hub), so two app instances cannot both accept the same predictions, and a
commit that landed although its reply was lost is found when the file is submitted again.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
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

from . import index, index_folder
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


def _of_present_entries(updates: dict[str, bytes], root: Path) -> dict[str, bytes]:
    """The re-scored files of the entries `root` still holds. A re-score takes minutes; an entry a moderator
    removed meanwhile must not come back as a result without its metadata."""
    return {path: content for path, content in updates.items()
            if (root / VERIFIED / path.split("/")[1] / "metadata.json").is_file()}


class Store(Protocol):
    """What the app, the submit handler and the re-scorer need from storage.

    `list` reads every entry whole (re-scoring); `summaries` reads the summary index (the board,
    the submitter's checks): results there lack the breakdowns of `index.DETAIL_ONLY` and history,
    which `get` reads for one entry. `generation` changes whenever what `summaries` returns may have."""

    def describe(self) -> str: ...
    def health(self) -> str: ...
    def list(self) -> list[Stored]: ...
    def summaries(self) -> list[Stored]: ...
    def verify_summaries(self) -> int: ...
    def generation(self) -> tuple: ...
    def get(self, submission_id: str) -> Stored: ...
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


#: The schema of each of an entry's files the index is built from.
ENTRY_SCHEMAS: dict[str, type[schema_module.BaseModel]] = {"metadata": schema_module.Metadata,
                                                           "result": schema_module.Result}


def parse_entry_file(content: bytes, part: str) -> dict:
    """An entry's file (`part`: "metadata", "result" or "history/<n>") that fits its schema (a history
    file is an earlier result); ValueError naming it otherwise."""
    schema = schema_module.Result if part.startswith("history/") else ENTRY_SCHEMAS[part]
    try:
        return schema_module.checked(content, schema)
    except ValueError as exc:
        raise ValueError(f"{part}.json: {exc}") from None


def entry_record(metadata: bytes, result: bytes, history: dict[str, bytes] | None = None) -> index.Record:
    """The index record of an entry whose files fit their schemas; ValueError naming the problem."""
    return index.record(metadata, result, parse_entry_file, history)


def _mtime_ns(path: str) -> int:
    """A file's modification time, or -1 when it cannot be read."""
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _history_files(folder: Path) -> dict[str, bytes]:
    """An entry's earlier results by file name."""
    return {path.name: path.read_bytes() for path in sorted((folder / "history").glob("*.json"))}


def _read_submission(path: Path) -> Stored:
    """One submission folder; raises ValueError/OSError when a file is missing, unparsable or off its schema."""
    metadata = _read_json(path / "metadata.json", schema_module.Metadata)
    result = _read_json(path / "result.json", schema_module.Result)
    history = tuple(_read_json(p, schema_module.Result) for p in sorted((path / "history").glob("*.json")))
    return Stored(path.name, metadata, result, history)


class LocalStore:
    """A folder on disk (default: the project's `submissions/`)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.unreadable: dict[str, str] = {}
        self._fixed = 0
        self.index = index_folder.IndexFolder(self.root, self.record, lambda sid: (self.root / VERIFIED / sid).is_dir())

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

    def get(self, submission_id: str) -> Stored:
        """One entry read whole (row detail); StorageError when it is gone or unreadable."""
        try:
            return _read_submission(self.root / VERIFIED / check_id(submission_id))
        except (OSError, ValueError) as exc:
            raise StorageError(f"submission {submission_id} could not be read ({type(exc).__name__})") from None

    # --- the summary index (space/index.py, space/index_folder.py) ----------------------------------

    def summaries(self) -> list[Stored]:
        """Every submission as indexed, without parsing the entries: damaged or missing shards, and
        entries added or removed behind the index's back (another instance, by hand) are reconciled
        with a listing of `verified/`; an entry with a file written since its shard was (changed by
        hand, damaged) is checked by its bytes (a few stats per entry); `verify_summaries` checks all."""
        shards = {shard: index_folder.stamp(self.index.path(shard)) for shard in index.SHARDS}
        return self._reconcile({sid: self._blobs(sid) if self._written_since(sid, shards[index.shard_of(sid)])
                                else None for sid in self._entry_ids()})

    def _written_since(self, submission_id: str, shard: tuple) -> bool:
        """Whether a file of the entry is as new as its shard (`shard`: its stamp; () when missing). Runs for
        every entry at each reload, so plain `os` calls on strings (~6 µs an entry without history)."""
        if not shard:
            return False  # no shard: every entry of it is read anyway
        folder = f"{self.root}/{VERIFIED}/{submission_id}/"
        try:
            history = [f"{folder}history", *(f"{folder}history/{name}" for name in os.listdir(f"{folder}history")
                                             if name.endswith(".json"))]
        except OSError:  # usually: no history
            history = []
        return any(_mtime_ns(path) >= shard[0] for path in (f"{folder}metadata.json", f"{folder}result.json",
                                                             *history))

    def verify_summaries(self) -> int:
        """Check every record against its entry's bytes (hashed, not parsed) and rebuild what differs;
        the number of records read again or dropped. Slow on a big store: run it in the background."""
        self._reconcile({sid: self._blobs(sid) for sid in self._entry_ids()})
        return self._fixed

    def generation(self) -> tuple:
        """Changes when an index shard is rewritten or an entry folder appears or goes (one stat each)."""
        return (index_folder.stamp(self.root / VERIFIED), *self.index.stamps())

    def _reconcile(self, entries: dict[str, dict | None]) -> list[Stored]:
        shards, self._fixed, self.unreadable = self.index.reconcile(entries)
        return index_entries(shards)

    def _entry_ids(self) -> list[str]:
        folder = self.root / VERIFIED
        return [name for name in os.listdir(folder) if SUBMISSION_ID.fullmatch(name)] if folder.is_dir() else []

    def _blobs(self, submission_id: str) -> dict[str, str]:
        folder = self.root / VERIFIED / submission_id
        try:
            blobs = {part: index.blob_id((folder / f"{part}.json").read_bytes()) for part in ("metadata", "result")}
            return {**blobs, **{f"history/{name}": index.blob_id(content)
                                for name, content in _history_files(folder).items()}}
        except OSError:
            return {}

    def record(self, submission_id: str) -> dict:
        """The index record of an entry on disk; OSError/ValueError when it cannot be shown."""
        folder = self.root / VERIFIED / submission_id
        return entry_record((folder / "metadata.json").read_bytes(), (folder / "result.json").read_bytes(),
                            _history_files(folder))

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
        with contextlib.suppress(OSError, ValueError):
            self.index.put({final.name: self.record(final.name)})

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
        updates = _of_present_entries(updates, self.root)
        for path in sorted(updates, key=lambda p: p.endswith("result.json")):
            target = self.root / path
            target.parent.mkdir(exist_ok=True)  # history/ of an entry that is there
            temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
            temporary.write_bytes(updates[path])
            os.replace(temporary, target)
        records, _ = self.index.read_all(sorted({path.split("/")[1] for path in updates if path.startswith(VERIFIED)}))
        self.index.put(records)

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
        """Bring the mirror's index to the repo's head: one listing of the repo (with each file's blob
        id), the index shards, and only the entries the index lacks or holds stale, which are then
        indexed and the repaired shards committed back. When the Hub does not answer, the mirror stays
        as it was and `health()` says so; nothing is raised."""
        try:
            head = self._head()
            listing = self._call(lambda: {f.path: f.blob_id for f in self.api.list_repo_tree(
                self.repo_id, repo_type="dataset", revision=head, recursive=True) if hasattr(f, "blob_id")},
                "list the submissions repo")
            self._download(head, [f"{index.SUMMARY}/*.json"])
            entries = _listed_entries(listing)
            with self._lock:
                self._prune(set(entries), listing)
                shards = self.mirror.index.shards()
            todo = index.plan(shards, entries)
            if todo.shards:
                self._repair(head, shards, todo)
        except StorageError as exc:
            self._outage = str(exc)
            return
        with self._lock:
            self._revision_file().write_text(head + "\n", encoding="utf-8")
            self._outage = ""

    def _download(self, revision: str, patterns: list[str]) -> None:
        from huggingface_hub import snapshot_download

        self._call(lambda: snapshot_download(
            self.repo_id, repo_type="dataset", revision=revision, local_dir=self.mirror.root,
            endpoint=self.api.endpoint, token=self.api.token, allow_patterns=patterns), "read the submissions repo")

    def _repair(self, head: str, shards: dict, todo: index.Plan) -> None:
        """Index the entries `todo` names from their files, and commit the repaired shards (best
        effort: if another commit won, the next refresh repairs what is still missing)."""
        wanted = todo.read if len(todo.read) <= 20 else ["*"]  # every pattern is matched against every file
        self._download(head, [f"{VERIFIED}/{sid}/{part}.json" for sid in wanted
                              for part in ("metadata", "result", "history/*")])
        with self._lock:
            records, unreadable = self.mirror.index.read_all(todo.read)
            touched = index.apply(shards, records, [*todo.drop, *unreadable], reset=todo.damaged)
            self.mirror.index.replace(touched)
            self.mirror.unreadable = unreadable
        with contextlib.suppress(StorageError):
            self._commit({index.shard_path(s): index.encode_shard(r) for s, r in touched.items()},
                         "Rebuild the summary index", parent=head)

    def _prune(self, held: set[str], listing: dict[str, str]) -> None:
        """Submissions (and index shards) the repo no longer holds (deleted on the Hub) leave the mirror."""
        folder = self.mirror.root / VERIFIED
        for path in folder.iterdir() if folder.is_dir() else ():
            if path.name not in held:
                shutil.rmtree(path, ignore_errors=True)
        for shard in index.SHARDS:
            if index.shard_path(shard) not in listing:
                (self.mirror.root / index.shard_path(shard)).unlink(missing_ok=True)

    def list(self) -> list[Stored]:
        """Every entry whole (re-scoring): the mirror is completed first when the Hub answers."""
        revision = self._mirrored_revision()
        if revision and not self._outage:
            with contextlib.suppress(StorageError):
                self._download(revision, [f"{VERIFIED}/*/metadata.json", f"{VERIFIED}/*/result.json",
                                          f"{VERIFIED}/*/history/*.json"])
        with self._lock:
            return self.mirror.list()

    def summaries(self) -> list[Stored]:
        """The mirrored index; while the Hub is down and the mirror holds no index (made by an older
        version), what the mirror holds, read whole."""
        with self._lock:
            found = index_entries(self.mirror.index.shards())
            return self.mirror.list() if not found and self._outage else found

    def verify_summaries(self) -> int:
        """Nothing more to do: `refresh` checked every record against the repo's blob ids."""
        return 0

    def generation(self) -> tuple:
        return self.mirror.generation()

    def get(self, submission_id: str) -> Stored:
        from huggingface_hub import hf_hub_download

        revision = self._mirrored_revision() or None
        for name in ("metadata.json", "result.json"):
            path = f"{VERIFIED}/{check_id(submission_id)}/{name}"
            self._call(lambda: hf_hub_download(self.repo_id, path, repo_type="dataset", revision=revision,
                                               local_dir=self.mirror.root, token=self.api.token,
                                               endpoint=self.api.endpoint), f"download {path}")
        with self._lock:
            return self.mirror.get(submission_id)

    def _shards_at(self, head: str, names: set[str]) -> dict[str, dict | None]:
        """The index shards `names` as committed at `head` (None when damaged: rebuilt by the next refresh)."""
        from huggingface_hub import hf_hub_download

        shards: dict[str, dict | None] = {}
        for shard in names:
            try:
                local = self._call(lambda: hf_hub_download(self.repo_id, index.shard_path(shard), repo_type="dataset",
                                                           revision=head, token=self.api.token,
                                                           endpoint=self.api.endpoint), "read the summary index")
            except _HubError as exc:
                if exc.status != 404:
                    raise
                shards[shard] = {}
                continue
            shards[shard] = index.decode_shard(Path(local).read_bytes(), shard)
        return shards

    def _commit_on_head(self, contents: dict[str, bytes], records: dict[str, dict], message: str,
                        check=lambda head: None) -> None:
        """Commit `contents` with the index shards updated by `records`, on top of exactly the head the
        shards were read at; retried when another commit landed first. `check(head)` may refuse."""
        for _ in range(COMMIT_ATTEMPTS):
            head = self._head()
            check(head)
            shards = self._shards_at(head, {index.shard_of(sid) for sid in records})
            updated = index.apply(shards, records)
            try:
                self._commit({**contents, **{index.shard_path(s): index.encode_shard(r) for s, r in updated.items()}},
                             message, parent=head)
                return
            except _HubError as exc:
                if exc.status != 412:  # 412: a commit landed since `head`; read the shards again on top of it
                    raise
            time.sleep(secrets.randbelow(100) / 1000)
        raise StorageError(f"the submissions repo kept moving; {COMMIT_ATTEMPTS} commits were overtaken, "
                           "nothing was stored; submit again")

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
        """Check the claims at the head, commit the entry, its claims and its index shard on top of
        exactly that head, retry if another commit won."""
        contents = {**files.contents, **{claim_path(c): r for c, r in files.claims.items()}}
        base = f"{VERIFIED}/{files.submission_id}"
        try:
            records = {files.submission_id: entry_record(files.contents[f"{base}/metadata.json"],
                                                         files.contents[f"{base}/result.json"])}
        except KeyError:
            raise StorageError("a submission needs its metadata.json and result.json; nothing was stored") from None
        except ValueError:  # stored like the local store does, never indexed: skipped and named like a damaged one
            records = {}

        def check(head: str) -> None:
            held = self._held_claim(files.claims, head)
            if held is not None:
                raise held
        self._commit_on_head(contents, records, f"Add submission {files.submission_id}", check)
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
        """One commit of the new results, their history and the index shards they change."""
        updates = _of_present_entries(updates, self.mirror.root)
        if not updates:
            return
        records = {}
        for path, content in updates.items():
            parts = path.split("/")
            if parts[0] == VERIFIED and parts[-1] == "result.json":
                folder = self.mirror.root / VERIFIED / parts[1]
                history = {**_history_files(folder), **{p.rsplit("/", 1)[1]: c for p, c in updates.items()
                                                        if p.startswith(f"{VERIFIED}/{parts[1]}/history/")}}
                records[parts[1]] = entry_record((folder / "metadata.json").read_bytes(), content, history)
        self._commit_on_head(updates, records, f"Re-score {len(records)} submissions")
        with self._lock:
            self.mirror.replace_results(updates)


def index_entries(shards: dict[str, dict | None]) -> list[Stored]:
    """The index's records as summaries, by id."""
    found = {sid: rec for records in shards.values() if records for sid, rec in records.items()}
    return [Stored(sid, found[sid]["metadata"], found[sid]["result"]) for sid in sorted(found)]


def _listed_entries(listing: dict[str, str]) -> dict[str, dict[str, str]]:
    """Submission id → blob ids of its files as an index record lists them (`index.record`: metadata,
    result, history/<n>.json), from a repo listing; an id without metadata.json or result.json is no entry."""
    entries: dict[str, dict[str, str]] = {}
    for path, blob in listing.items():
        parts = path.split("/")
        if parts[0] != VERIFIED or len(parts) < 3 or not SUBMISSION_ID.fullmatch(parts[1]):
            continue
        if len(parts) == 3 and parts[2] in ("metadata.json", "result.json"):
            entries.setdefault(parts[1], {})[parts[2].removesuffix(".json")] = blob
        elif len(parts) == 4 and parts[2] == "history" and parts[3].endswith(".json"):
            entries.setdefault(parts[1], {})[f"history/{parts[3]}"] = blob
    return {sid: blobs for sid, blobs in entries.items() if "metadata" in blobs or "result" in blobs}


class _HubError(StorageError):
    """A Hub call failed; `status` is the HTTP status when there was one (412 = the parent moved)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
