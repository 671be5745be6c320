"""A FAKE of the Hugging Face Hub HTTP API, in memory, for offline tests. It is not the Hub.

It answers the endpoints `huggingface_hub` 2.4 and `datasets` 5.2 use to create a repo, commit
(regular and LFS files, deletions), list and read files (`tree`, `paths-info`, `resolve` with
ranges), and load a dataset with `load_dataset("org/name", config)`. Anything else gets a 404 that
names the fake, so a test that wanders off the contract fails loudly instead of hanging.

Use it through `running_fake_hub()` (a context manager) or the `fake_hub` pytest fixture, which
also points `HF_ENDPOINT`, `huggingface_hub.constants` and `datasets.config` at it. Faults can be
injected into the next commits (`fail_commits`, `stall_commits`) to test what a client does when
the Hub breaks, and the next downloads of a file can be cut short (`cut_downloads`) to test resuming;
`ranges` records every ranged read.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import unquote

import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

REPO_TYPES = ("model", "dataset", "space")
#: Extensions the Hub's default `.gitattributes` routes to LFS.
LFS_SUFFIXES = (".parquet", ".arrow", ".bin", ".safetensors", ".png", ".jpg", ".jpeg", ".zip", ".gz",
                ".tar", ".npy", ".pt")
LFS_SIZE = 10 * 1024 * 1024


def git_blob_sha(content: bytes) -> str:
    """The object id git gives a blob; what the Hub reports as a regular file's `oid`."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class Commit:
    oid: str
    title: str
    files: dict[str, bytes]
    lfs: frozenset[str]
    date: str = field(default_factory=_now)


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool = False
    commits: list[Commit] = field(default_factory=list)

    @property
    def head(self) -> Commit:
        return self.commits[-1]

    def at(self, revision: str) -> Commit | None:
        if revision in ("main", "refs/heads/main"):
            return self.head
        return next((c for c in self.commits if c.oid == revision), None)


@dataclass
class Fault:
    status: int | None = None
    delay: float = 0.0


def _error(status: int, message: str, code: str | None = None) -> JSONResponse:
    headers = {"X-Error-Message": message}
    if code:
        headers["X-Error-Code"] = code
    return JSONResponse({"error": message}, status_code=status, headers=headers)


_REPO = r"(?P<rtype>models|datasets|spaces)/(?P<ns>[^/]+)/(?P<name>[^/]+)"
_PREFIX = r"(?P<prefix>datasets/|spaces/)?(?P<ns>[^/]+)/(?P<name>[^/]+?)"
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"/api/repos/create"), "create_repo"),
    ("DELETE", re.compile(r"/api/repos/delete"), "delete_repo"),
    ("POST", re.compile(r"/api/validate-yaml"), "validate_yaml"),
    ("GET", re.compile(r"/api/whoami-v2"), "whoami"),
    ("POST", re.compile(rf"/api/{_REPO}/preupload/(?P<rev>[^/]+)"), "preupload"),
    ("POST", re.compile(rf"/api/{_REPO}/commit/(?P<rev>[^/]+)"), "commit"),
    ("POST", re.compile(rf"/api/{_REPO}/paths-info/(?P<rev>[^/]+)"), "paths_info"),
    ("GET", re.compile(rf"/api/{_REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?"), "tree"),
    ("GET", re.compile(rf"/api/{_REPO}/refs"), "refs"),
    ("GET", re.compile(rf"/api/{_REPO}(?:/revision/(?P<rev>[^/]+))?"), "repo_info"),
    ("GET", re.compile(rf"/{_PREFIX}/resolve/(?P<rev>[^/]+)/(?P<path>.+)"), "resolve"),
    ("HEAD", re.compile(rf"/{_PREFIX}/resolve/(?P<rev>[^/]+)/(?P<path>.+)"), "resolve"),
    ("POST", re.compile(rf"/{_PREFIX}\.git/info/lfs/objects/batch"), "lfs_batch"),
    ("PUT", re.compile(r"/_fake_lfs/(?P<oid>[0-9a-f]{64})"), "lfs_put"),
]


class FakeHub:
    """In-memory repos behind the Hub's HTTP contract. Thread-safe; one lock guards all state."""

    def __init__(self) -> None:
        self.url = ""
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self.authorizations: list[str | None] = []  # each request's Authorization header, in order
        self._faults: list[Fault] = []
        self._cuts: dict[str, list[int]] = {}
        self.ranges: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self.app = FastAPI()
        self.app.add_api_route("/{anything:path}", self._dispatch,
                               methods=["GET", "HEAD", "POST", "PUT", "DELETE"])

    # --- what tests call -----------------------------------------------------------------

    def fail_commits(self, status: int = 500, count: int = 1) -> None:
        """The next `count` commit requests answer `status` and change nothing."""
        with self._lock:
            self._faults.extend(Fault(status=status) for _ in range(count))

    def stall_commits(self, seconds: float, count: int = 1) -> None:
        """The next `count` commit requests wait `seconds` before answering (to trip client timeouts)."""
        with self._lock:
            self._faults.extend(Fault(delay=seconds) for _ in range(count))

    def cut_downloads(self, path: str, after: int, count: int = 1) -> None:
        """The next `count` GETs of `path` (any repo) send `after` bytes of the body, then drop the connection."""
        with self._lock:
            self._cuts.setdefault(path, []).extend([after] * count)

    def files(self, repo_id: str, repo_type: str = "dataset", revision: str = "main") -> dict[str, bytes]:
        """A copy of the repo's files at a revision (LFS files resolved to their content)."""
        with self._lock:
            commit = self.repos[(repo_type, repo_id)].at(revision)
            return dict(commit.files) if commit else {}

    def commit_count(self, repo_id: str, repo_type: str = "dataset") -> int:
        """Commits on the branch, the initial one included."""
        with self._lock:
            return len(self.repos[(repo_type, repo_id)].commits)

    # --- dispatch --------------------------------------------------------------------------

    async def _dispatch(self, request: Request, anything: str) -> Response:
        raw = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1").split("?")[0]
        self.requests.append((request.method, raw))
        self.authorizations.append(request.headers.get("authorization"))
        for method, pattern, handler in ROUTES:
            match = pattern.fullmatch(raw)
            if match and method == request.method:
                params = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
                return await getattr(self, "_" + handler)(request, **params)
        return _error(404, f"fake hub: no route for {request.method} {raw}")

    def _repo(self, rtype: str | None = None, ns: str = "", name: str = "", prefix: str | None = None,
              **_: str) -> Repo | None:
        repo_type = rtype[:-1] if rtype else {"datasets/": "dataset", "spaces/": "space"}.get(prefix or "", "model")
        return self.repos.get((repo_type, f"{ns}/{name}"))

    def _lookup(self, params: dict[str, str]) -> tuple[Repo, Commit] | JSONResponse:
        repo = self._repo(**params)
        if repo is None:
            return _error(404, "Repository not found", "RepoNotFound")
        commit = repo.at(params.get("rev", "main"))
        if commit is None:
            return _error(404, f"Invalid rev id: {params.get('rev')}", "RevisionNotFound")
        return repo, commit

    # --- repos -----------------------------------------------------------------------------

    async def _create_repo(self, request: Request) -> Response:
        body = await request.json()
        repo_type = body.get("type") or "model"
        repo_id = f"{body.get('organization') or 'fake-user'}/{body['name']}"
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        url = f"{self.url}/{prefix}{repo_id}"
        with self._lock:
            if (repo_type, repo_id) in self.repos:
                return JSONResponse({"error": "You already created this repo", "url": url}, status_code=409)
            initial = Commit(oid=hashlib.sha1(f"init {repo_type} {repo_id}".encode()).hexdigest(),
                             title="initial commit", files={".gitattributes": b"*.parquet filter=lfs\n"},
                             lfs=frozenset())
            private = bool(body.get("private")) or body.get("visibility") == "private"  # older / newer clients
            self.repos[(repo_type, repo_id)] = Repo(repo_type, repo_id, private, [initial])
        return JSONResponse({"url": url, "name": repo_id})

    async def _delete_repo(self, request: Request) -> Response:
        body = await request.json()
        key = (body.get("type") or "model", f"{body.get('organization') or 'fake-user'}/{body['name']}")
        with self._lock:
            if self.repos.pop(key, None) is None:
                return _error(404, "Repository not found", "RepoNotFound")
        return JSONResponse({})

    async def _validate_yaml(self, request: Request) -> Response:
        return JSONResponse({})

    async def _whoami(self, request: Request) -> Response:
        return JSONResponse({"type": "user", "name": "fake-user", "fullname": "Fake User", "orgs": [],
                             "auth": {"type": "access_token", "accessToken": {"role": "write"}}})

    async def _refs(self, request: Request, **params: str) -> Response:
        found = self._lookup(params)
        if isinstance(found, Response):
            return found
        return JSONResponse({"branches": [{"name": "main", "ref": "refs/heads/main",
                                           "targetCommit": found[1].oid}], "converts": [], "tags": []})

    async def _repo_info(self, request: Request, **params: str) -> Response:
        found = self._lookup(params)
        if isinstance(found, Response):
            return found
        repo, commit = found
        siblings = []
        for path in sorted(commit.files):
            entry = self._entry(commit, path)
            sibling = {"rfilename": path, "size": entry["size"], "blobId": entry["oid"]}
            if "lfs" in entry:
                sibling["lfs"] = {"sha256": entry["lfs"]["oid"], "size": entry["size"], "pointerSize": 134}
            siblings.append(sibling)
        return JSONResponse({
            "id": repo.repo_id, "_id": repo.repo_id, "author": repo.repo_id.split("/")[0],
            "sha": commit.oid, "private": repo.private, "disabled": False, "gated": False,
            "downloads": 0, "likes": 0, "tags": [], "cardData": {}, "siblings": siblings,
            "createdAt": repo.commits[0].date, "lastModified": commit.date,
        })

    # --- reading files ---------------------------------------------------------------------

    def _entry(self, commit: Commit, path: str) -> dict:
        content = commit.files[path]
        entry = {"type": "file", "path": path, "size": len(content), "oid": git_blob_sha(content)}
        if path in commit.lfs:
            entry["lfs"] = {"oid": hashlib.sha256(content).hexdigest(), "size": len(content), "pointerSize": 134}
        return entry

    @staticmethod
    def _folders(commit: Commit) -> set[str]:
        return {"/".join(p.split("/")[:i]) for p in commit.files for i in range(1, p.count("/") + 1)}

    def _describe(self, commit: Commit, path: str, expand: bool) -> dict | None:
        if path in commit.files:
            entry = self._entry(commit, path)
        elif path in self._folders(commit):
            entry = {"type": "directory", "path": path, "oid": hashlib.sha1(path.encode()).hexdigest()}
        else:
            return None
        if expand:
            entry["lastCommit"] = {"id": commit.oid, "title": commit.title, "date": commit.date}
        return entry

    async def _tree(self, request: Request, path: str = "", **params: str) -> Response:
        found = self._lookup(params)
        if isinstance(found, Response):
            return found
        commit = found[1]
        path = path.strip("/")
        recursive = request.query_params.get("recursive", "").lower() in ("1", "true")
        expand = request.query_params.get("expand", "").lower() in ("1", "true")
        if path and path not in self._folders(commit):
            return _error(404, f"fake hub: {path} is not a folder at {commit.oid}", "EntryNotFound")
        base = f"{path}/" if path else ""
        names = sorted(set(commit.files) | self._folders(commit))
        inside = [n for n in names if n.startswith(base) and (recursive or "/" not in n[len(base):])]
        return JSONResponse([self._describe(commit, n, expand) for n in inside])

    async def _paths_info(self, request: Request, **params: str) -> Response:
        found = self._lookup(params)
        if isinstance(found, Response):
            return found
        form = await request.form()
        expand = str(form.get("expand", "")).lower() in ("1", "true")
        entries = [self._describe(found[1], str(p).strip("/"), expand) for p in form.getlist("paths")]
        return JSONResponse([e for e in entries if e is not None])

    async def _resolve(self, request: Request, path: str, **params: str) -> Response:
        found = self._lookup(params)
        if isinstance(found, Response):
            return found
        commit = found[1]
        if path not in commit.files:
            return _error(404, f"Entry not found: {path}", "EntryNotFound")
        content = commit.files[path]
        entry = self._entry(commit, path)
        etag = entry["lfs"]["oid"] if "lfs" in entry else entry["oid"]
        headers = {"X-Repo-Commit": commit.oid, "ETag": f'"{etag}"', "Accept-Ranges": "bytes"}
        if "lfs" in entry:
            headers.update({"X-Linked-Etag": f'"{etag}"', "X-Linked-Size": str(len(content))})
        status, body = 200, content
        ranged = re.fullmatch(r"bytes=(\d*)-(\d*)", request.headers.get("range", ""))
        if ranged and content:
            start, end = ranged.groups()
            first = int(start) if start else max(len(content) - int(end), 0)
            last = min(int(end), len(content) - 1) if start and end else len(content) - 1
            status, body = 206, content[first:last + 1]
            headers["Content-Range"] = f"bytes {first}-{last}/{len(content)}"
        headers["Content-Length"] = str(len(body))
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers)
        if ranged:
            self.ranges.append((path, request.headers["range"]))
        with self._lock:
            cut = self._cuts[path].pop(0) if self._cuts.get(path) else None
        if cut is not None:
            return StreamingResponse(_cut_short(body, cut), status_code=status, headers=headers,
                                     media_type="application/octet-stream")
        return Response(body, status_code=status, headers=headers, media_type="application/octet-stream")

    # --- writing ---------------------------------------------------------------------------

    async def _preupload(self, request: Request, **params: str) -> Response:
        found = self._lookup(params)
        if isinstance(found, Response):
            return found
        commit = found[1]
        body = await request.json()
        files = []
        for item in body.get("files", []):
            path = item["path"]
            lfs = item.get("size", 0) > LFS_SIZE or path.lower().endswith(LFS_SUFFIXES)
            oid = git_blob_sha(commit.files[path]) if path in commit.files else None
            files.append({"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False,
                          "oid": oid})
        return JSONResponse({"files": files, "commitOid": commit.oid})

    async def _lfs_batch(self, request: Request, **params: str) -> Response:
        if self._repo(**params) is None:
            return _error(404, "Repository not found", "RepoNotFound")
        body = await request.json()
        objects = []
        for obj in body.get("objects", []):
            entry = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
            if obj["oid"] not in self.lfs_objects:
                entry["actions"] = {"upload": {"href": f"{self.url}/_fake_lfs/{obj['oid']}", "header": {}}}
            objects.append(entry)
        return JSONResponse({"transfer": "basic", "objects": objects, "hash_algo": "sha256"})

    async def _lfs_put(self, request: Request, oid: str) -> Response:
        content = await request.body()
        if hashlib.sha256(content).hexdigest() != oid:
            return _error(400, "fake hub: LFS content does not match its oid")
        with self._lock:
            self.lfs_objects[oid] = content
        return Response(status_code=200)

    async def _commit(self, request: Request, **params: str) -> Response:
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
        if fault and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault and fault.status:
            return _error(fault.status, f"fake hub: injected failure {fault.status}")
        lines = [json.loads(line) for line in (await request.body()).splitlines() if line.strip()]
        with self._lock:
            found = self._lookup(params)
            if isinstance(found, Response):
                return found
            repo, parent = found
            header = next((line["value"] for line in lines if line["key"] == "header"), {})
            if header.get("parentCommit") and header["parentCommit"] != repo.head.oid:
                return _error(412, "A commit has happened since. Please refresh and try again.")
            files, lfs = dict(repo.head.files), set(repo.head.lfs)
            for line in lines:
                key, value = line["key"], line["value"]
                if key == "file":
                    files[value["path"]] = base64.b64decode(value["content"])
                    lfs.discard(value["path"])
                elif key == "lfsFile":
                    if value["oid"] not in self.lfs_objects:
                        return _error(422, f"fake hub: LFS object {value['oid']} was never uploaded")
                    files[value["path"]] = self.lfs_objects[value["oid"]]
                    lfs.add(value["path"])
                elif key == "deletedFile":
                    files.pop(value["path"], None)
                    lfs.discard(value["path"])
                elif key == "deletedFolder":
                    folder = value["path"].rstrip("/") + "/"
                    files = {p: c for p, c in files.items() if not p.startswith(folder)}
                    lfs = {p for p in lfs if not p.startswith(folder)}
            seed = f"{parent.oid}{time.time_ns()}{len(repo.commits)}".encode()
            commit = Commit(oid=hashlib.sha1(seed).hexdigest(), title=header.get("summary", ""),
                            files=files, lfs=frozenset(lfs))
            repo.commits.append(commit)
        prefix = "" if repo.repo_type == "model" else f"{repo.repo_type}s/"
        return JSONResponse({"commitUrl": f"{self.url}/{prefix}{repo.repo_id}/commit/{commit.oid}",
                             "commitOid": commit.oid, "success": True})


async def _cut_short(body: bytes, after: int):
    """Yield the first `after` bytes, then fail: the server drops the connection mid-body."""
    yield body[:after]
    await asyncio.sleep(0.2)  # let the client read what was sent, as with a real outage mid-transfer
    raise ConnectionResetError("fake hub: connection cut on purpose")


@contextlib.contextmanager
def running_fake_hub() -> Iterator[FakeHub]:
    """Serve a fresh FakeHub on 127.0.0.1 (a free port) in a thread until the block ends."""
    hub = FakeHub()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    hub.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(hub.app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("fake hub did not start")
        time.sleep(0.01)
    try:
        yield hub
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def point_clients_at(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `huggingface_hub` and `datasets` (already imported or not) talk to `url`, online, without Xet."""
    import huggingface_hub.constants as hub_constants

    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setenv("HF_TOKEN", "fake-token")
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(hub_constants, "ENDPOINT", url)
    monkeypatch.setattr(hub_constants, "HUGGINGFACE_CO_URL_TEMPLATE", url + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(hub_constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", False)
    if "datasets" in sys.modules:
        import datasets.config as ds_config

        monkeypatch.setattr(ds_config, "HF_ENDPOINT", url)
        monkeypatch.setattr(ds_config, "HUB_DATASETS_URL", url + "/datasets/{repo_id}/resolve/{revision}/{path}")
        monkeypatch.setattr(ds_config, "HF_HUB_OFFLINE", False)


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A running FakeHub with every Hub client in this process pointed at it."""
    with running_fake_hub() as hub:
        point_clients_at(hub.url, monkeypatch)
        yield hub
