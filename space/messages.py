"""User-facing text: bounded, and inert when a browser renders it.

Error pop-ups render HTML, and a message is kept in the status list and re-sent to every visitor,
so anything that reaches the page passes through here: at most a short prefix of any user text,
at most `MESSAGE_LIMIT` characters in all, and HTML special characters escaped (a model name
`<img src=x onerror=…>` shows as text; the scorer's hint `'<image key>#<index>'` shows literally).
"""

from __future__ import annotations

import html

from eval.errors import QUOTE_LIMIT

#: The longest message shown or kept, in characters (before escaping).
MESSAGE_LIMIT = 600


def prefix(text: str, limit: int = QUOTE_LIMIT) -> str:
    """A user's text cut to `limit` characters, marked with "…" when cut."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def bounded(message: str) -> str:
    """A whole message cut to MESSAGE_LIMIT characters (a scorer message already quotes only prefixes)."""
    return prefix(message, MESSAGE_LIMIT)


def for_page(message: str) -> str:
    """Bounded and HTML-escaped: what a gr.Error or a Markdown reply may show."""
    # Text content, never an attribute: quotes stay quotes (API clients read this text too).
    return html.escape(bounded(message), quote=False)
