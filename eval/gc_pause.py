"""Pause Python's cyclic garbage collector while the scorer builds its objects.

Reading a key and a prediction file and scoring them creates about a million small tuples, dicts
and lists, none of them in reference cycles. The collector is triggered by allocations, so it
runs hundreds of times meanwhile and re-scans the growing heap each time for nothing: that was
about a sixth of a `mmad score` run. Reference counting still frees everything as usual.

The collector is process-wide: a call that finds it already off leaves it off, and one that
turned it off turns it back on when it returns, so threads scoring at once end with it on.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)


def gc_paused(function: F) -> F:
    """Run `function` with the cyclic collector off, restoring its previous state afterwards."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper  # type: ignore[return-value]
