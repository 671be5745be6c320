"""Faults for the FAKE Hub (tests/fake_hub.py), driven by events rather than timings.

- `stall_next_commit()`: the next commit request waits until the test releases it (`Stall.reached`
  is set when it arrives), then goes through; other requests are served meanwhile.
- `land_then_fail()`: the next commit lands, but its reply is a 500 (a lost reply).
- `outage()`: every request answers 503 while the block runs (the Hub is down).

The fake dispatches each route to `hub._<handler>` by name, so the faults wrap those attributes on
the one instance; the fake itself is unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from fake_hub import ROUTES, FakeHub, _error

#: A stalled commit is let go after this long even if the test never releases it (a failed test must not hang).
RELEASE_AT_THE_LATEST = 60.0


@dataclass
class Stall:
    """One held commit: `reached` is set when it arrives at the fake, `release()` lets it proceed."""

    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()


class HubFaults:
    """Fault injection around one running FakeHub."""

    def __init__(self, hub: FakeHub) -> None:
        self.hub = hub
        self._plan: list[Stall | str] = []
        self._lock = threading.Lock()
        original = hub._commit

        async def commit(request, **params):
            with self._lock:
                action = self._plan.pop(0) if self._plan else None
            if isinstance(action, Stall):
                action.reached.set()
                await asyncio.to_thread(action.released.wait, RELEASE_AT_THE_LATEST)
            response = await original(request, **params)
            if action == "land-then-fail" and response.status_code == 200:
                return _error(500, "fake hub: injected failure after the commit landed")
            return response

        hub._commit = commit

    @contextlib.contextmanager
    def stall_next_commit(self) -> Iterator[Stall]:
        """Hold the next commit until `release()` or the end of the block."""
        stall = Stall()
        with self._lock:
            self._plan.append(stall)
        try:
            yield stall
        finally:
            stall.release()

    def land_then_fail(self) -> None:
        """The next commit is applied, and answered with a 500 as if it had failed."""
        with self._lock:
            self._plan.append("land-then-fail")

    @contextlib.contextmanager
    def outage(self, status: int = 503) -> Iterator[None]:
        """Every route answers `status` until the block ends."""
        handlers = {name for _, _, name in ROUTES}
        saved = {name: getattr(self.hub, f"_{name}") for name in handlers}

        async def down(request, **params):
            return _error(status, f"fake hub: injected outage {status}")

        for name in handlers:
            setattr(self.hub, f"_{name}", down)
        try:
            yield
        finally:
            for name, handler in saved.items():
                setattr(self.hub, f"_{name}", handler)
