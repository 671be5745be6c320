"""The extraction rules as they stood before they were made linear: the reference the property test
in test_extract_linear.py compares the linear ones with, on replies short enough for it to finish.

Kept verbatim (its patterns backtrack: `"answer" + " " * 2000 + "x"` takes minutes here).
"""

from __future__ import annotations

import re
from difflib import get_close_matches

_UPSTREAM = re.compile(r"\b([A-E])\b")


def upstream_letter(response: str, options: dict[str, str]) -> str:
    """`GPT4Query.parse_answer` + the last match, as most upstream scripts keep it.

    Last standalone capital A-E; if there is none, the option text closest to the reply
    (difflib, cutoff 0.0, so some option always wins). An empty reply gives '' (no answer),
    like the API scripts that store '' after failed retries.
    """
    if not response.strip():
        return ""
    found = _UPSTREAM.findall(response)
    if found:
        return found[-1]
    closest = get_close_matches(response, list(options.values()), n=1, cutoff=0.0)
    return next((letter for letter, text in options.items() if closest and text == closest[0]), "")


_MARKUP = re.compile(r"[*_`#]+")
_BARE = re.compile(r"^\s*[(\[]?\s*([A-Ea-e])\s*[)\]]?\s*[.:]?\s*$")
# A letter standing alone: not part of a word, an abbreviation ("E.g."), a contraction or a hyphenation.
_LETTER = r"(?<![\w'’-])([A-E])(?![\w'’-])(?!\.\w)"
_ASSERTED = re.compile(
    r"(?i:\b(?:final\s+answer|answer|correct\s+(?:option|choice)|best\s+(?:option|choice)"
    r"|i\s+(?:would\s+|will\s+)?(?:choose|select|pick|go\s+with)))"
    r"\s*(?i:is|would\s+be|should\s+be|will\s+be)?\s*[:=\-]?\s*(?i:option\s+|choice\s+)?[(\[]?" + _LETTER)
_STANDALONE = re.compile(_LETTER)
# "A" before a lowercase word is the article, unless that word is what follows a letter ("A or B", "A is").
_ARTICLE = re.compile(r"\s+(?!(?:or|and|nor|but|vs|versus|is|was|seems|looks|appears|would|should|could|"
                      r"might|must|fits|matches|describes|because|since|as|then|for|to|with)\b)[a-z]")
_NEGATED = re.compile(r"(?i:\b(?:not|isn't|is\s+not|never)\s+(?:option\s+)?[(\[]?)$")
_WORDS = re.compile(r"[^\w\s]+")


def _letters(pattern: re.Pattern, text: str) -> set[str]:
    """Letters the pattern finds, minus the English article "A" and negated mentions ("not A")."""
    found = set()
    for match in pattern.finditer(text):
        letter, end = match.group(1), match.end(1)
        if letter == "A" and _ARTICLE.match(text, end):
            continue
        if _NEGATED.search(text, 0, match.start(1)):
            continue
        found.add(letter)
    return found


def _normalise(text: str) -> str:
    return " ".join(_WORDS.sub(" ", text.lower()).split())


def _option_by_text(text: str, options: dict[str, str]) -> str | None:
    """The one option whose text the reply contains (longer texts hide those they contain)."""
    reply = f" {_normalise(text)} "
    hits = {letter: _normalise(value) for letter, value in options.items()
            if _normalise(value) and f" {_normalise(value)} " in reply}
    kept = [letter for letter, value in hits.items()
            if not any(value != other and value in other for other in hits.values())]
    return kept[0] if len(kept) == 1 and list(hits.values()).count(hits[kept[0]]) == 1 else None


def strict_letter(response: str, options: dict[str, str]) -> str | None:
    """The letter a reply unambiguously commits to, or None.

    In order: a reply that is only a letter ("B", "(b)", "B."); letters asserted by an answer
    phrase ("Answer: B", "the correct option is (C)") — refused if they disagree; otherwise every
    standalone capital letter, refused unless they all agree ("A or B" is refused); otherwise the
    one option whose text the reply quotes. The article "A" ("A scratch is visible") and negated
    letters ("not A") never count. The letter is returned even if the question does not offer it;
    the caller decides what an out-of-options letter means.
    """
    text = _MARKUP.sub("", response)
    bare = _BARE.match(text)
    if bare:
        return bare.group(1).upper()
    for pattern in (_ASSERTED, _STANDALONE):
        found = _letters(pattern, text)
        if found:
            return found.pop() if len(found) == 1 else None
    return _option_by_text(text, options)
