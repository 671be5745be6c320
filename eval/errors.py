"""The scorer's one error type, and the one way any of its messages quotes a user's text."""

from __future__ import annotations

from typing import Any

from mmad_dataset import MMADError

#: At most this many characters of a user's text appear in any message (a 9 MB id becomes 80 + "…").
QUOTE_LIMIT = 80


class ScoringError(MMADError):
    """A prediction file or answer key cannot be scored; the CLI prints it and exits 2."""


def quoted(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """`repr` of a short prefix of `value`: messages are kept, logged and shown, so they stay small."""
    text = value if isinstance(value, str) else repr(value)
    short = text if len(text) <= limit else text[:limit] + "…"
    return repr(short) if isinstance(value, str) else short
