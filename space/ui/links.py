"""Links into the board (made by `render.row_url`): `?row=<id>` opens the board on that row's detail;
`?compare=<id>,<id>` opens the Compare tab on that pair (`space.ui.compare_callbacks`).

The ids are the board's row ids (slugs of reported entries, submission ids), so a link survives
re-scoring and reloads; a link to a row that is gone says so instead of failing silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Longest id read from a link (ids are short slugs; a crafted URL is cut, never echoed whole).
ID_LIMIT = 120
#: Most ids read from a compare link (the Compare tab takes exactly two; more is refused, not cut).
COMPARE_LIMIT = 6


@dataclass(frozen=True)
class PageLink:
    """What a page's query string asks for: one row, and the rows to compare (both may be empty)."""

    row: str = ""
    compare: tuple[str, ...] = ()


def parse(query: Mapping[str, str]) -> PageLink:
    """The link in a request's query parameters (ids trimmed and bounded; unknown parameters ignored)."""
    row = str(query.get("row") or "").strip()[:ID_LIMIT]
    compare = tuple(part.strip()[:ID_LIMIT] for part in str(query.get("compare") or "").split(",") if part.strip())
    return PageLink(row, compare[:COMPARE_LIMIT])

