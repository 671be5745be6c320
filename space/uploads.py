"""Bounds on what reaches the server's temp folder through Gradio's upload endpoint.

Gradio stores every POST to /gradio_api/upload in its temp folder before any handler runs, so
the submit handler's checks come too late to protect the disk: an anonymous loop of 150 distinct
1.9 MB files filled 285 MB in 2 s (benchmarks/bench_upload_flood.py). This ASGI middleware runs
inside Gradio's app (after its session middleware, so it sees a Space's OAuth login) and decides
from the request line and headers alone, before a byte of the body is read:

- on a Space, visitors who are not logged in cannot upload (401); they cannot submit either;
- a request must declare its length (411) and carry at most one file of the size limit (413);
- each uploader (the Hub user on a Space, the client address elsewhere) may upload
  UPLOADS_PER_CLIENT files per TEMP_LIFETIME (429), and all uploaders together at most
  TOTAL_FILES_BUDGET size limits' worth (503), so the temp folder holds a bounded amount;
- Gradio deletes uploads older than TEMP_LIFETIME every TEMP_LIFETIME (`delete_cache`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .envs import Settings

UPLOAD_PATH = "/gradio_api/upload"
#: Seconds an upload lives in the temp folder (deleted by Gradio's sweep, which runs this often).
TEMP_LIFETIME = 900
#: Uploads one uploader may make per TEMP_LIFETIME: a few tries at choosing the right file.
UPLOADS_PER_CLIENT = 6
#: All uploads accepted per TEMP_LIFETIME, in size limits: the temp folder's bound is about twice that.
TOTAL_FILES_BUDGET = 8
#: Room for the multipart envelope (boundaries, headers, file name) around one file.
MULTIPART_OVERHEAD = 64 * 1024
#: Uploaders remembered at once (the least recent are forgotten first).
UPLOADERS_KEPT = 10_000


@dataclass
class UploadPolicy:
    """Who may upload how much; `admit` is called once per upload request, from any thread."""

    max_file_bytes: int
    require_login: bool
    per_client: int = UPLOADS_PER_CLIENT
    total_bytes: int | None = None
    window: float = TEMP_LIFETIME
    clock: Callable[[], float] = time.monotonic
    _recent: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _accepted: deque = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.total_bytes is None:
            self.total_bytes = TOTAL_FILES_BUDGET * self.max_file_bytes

    @classmethod
    def for_settings(cls, settings: Settings) -> UploadPolicy:
        return cls(settings.max_upload_bytes, require_login=settings.on_space)

    def admit(self, uploader: str | None, client: str, declared: int | None) -> tuple[int, str] | None:
        """None when the upload may proceed (and it is counted), else (HTTP status, reason)."""
        if self.require_login and not uploader:
            return 401, "log in with your Hugging Face account to upload a prediction file"
        if declared is None:
            return 411, "an upload must declare its length (Content-Length)"
        if declared > self.max_file_bytes + MULTIPART_OVERHEAD:
            return 413, f"the file is over the limit of {self.max_file_bytes / 1e6:g} MB"
        key = f"user:{uploader}" if uploader else f"client:{client}"
        now = self.clock()
        with self._lock:
            times = self._recent.setdefault(key, deque())
            self._recent.move_to_end(key)
            for queue in (times, self._accepted):
                while queue and queue[0][0] <= now - self.window:
                    queue.popleft()
            if len(times) >= self.per_client:
                wait = int(times[0][0] + self.window - now) + 1
                return 429, f"too many uploads ({len(times)} in {self.window / 60:g} minutes); try again in {wait} s"
            if sum(size for _, size in self._accepted) + declared > self.total_bytes:
                return 503, "the board is receiving too many uploads right now; try again in a few minutes"
            times.append((now, declared))
            self._accepted.append((now, declared))
            while len(self._recent) > UPLOADERS_KEPT:
                self._recent.popitem(last=False)
        return None


class UploadGuard:
    """ASGI middleware applying an UploadPolicy to Gradio's upload endpoint; other requests pass untouched."""

    def __init__(self, app, policy: UploadPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or not scope.get("path", "").endswith(
                UPLOAD_PATH):
            await self.app(scope, receive, send)
            return
        refused = self.policy.admit(_uploader(scope), str((scope.get("client") or ("",))[0]), _declared(scope))
        if refused is None:
            await self.app(scope, receive, send)
            return
        status, reason = refused
        body = reason.encode("utf-8")
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _declared(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _uploader(scope) -> str | None:
    """The Hub user of a Space's OAuth session (Gradio keeps it in the signed session cookie)."""
    session = scope.get("session") if "session" in scope else None
    info = (session or {}).get("oauth_info") if isinstance(session, dict) else None
    userinfo = info.get("userinfo") if isinstance(info, dict) else None
    name = userinfo.get("preferred_username") if isinstance(userinfo, dict) else None
    return name if isinstance(name, str) and name else None


def middleware(settings: Settings) -> list:
    """What `launch(app_kwargs={"middleware": ...})` takes: the guard, inside Gradio's own middleware."""
    from starlette.middleware import Middleware

    return [Middleware(UploadGuard, policy=UploadPolicy.for_settings(settings))]
