"""Answer letters from a model's raw reply: the upstream rule (official) and a careful one (strict).

Every step costs time linear in the reply: no pattern here can backtrack over a run of whitespace
more than once (a reply is user input, and one slow reply would stall the board for everyone), and
the slower steps look at most at `MAX_EXAMINED_CHARS` characters of a reply.
"""

from __future__ import annotations

import re
from difflib import get_close_matches

_UPSTREAM = re.compile(r"\b([A-E])\b")
#: The most characters of a reply the strict extraction reads (its last ones, where replies end with
#: their answer) and the official fallback compares with the option texts (its first ones). Real
#: replies are far shorter; the official last-capital-letter search still reads the whole reply.
MAX_EXAMINED_CHARS = 20_000


def upstream_letter(response: str, options: dict[str, str]) -> str:
    """`GPT4Query.parse_answer` + the last match, as most upstream scripts keep it.

    Last standalone capital A-E; if there is none, the option text closest to the reply
    (difflib, cutoff 0.0, so some option always wins). An empty reply gives '' (no answer),
    like the API scripts that store '' after failed retries. The fallback compares the reply's first
    `MAX_EXAMINED_CHARS` characters: difflib's cost grows with the reply times the option's length.
    """
    if not response.strip():
        return ""
    found = _UPSTREAM.findall(response)
    if found:
        return found[-1]
    closest = get_close_matches(response[:MAX_EXAMINED_CHARS], list(options.values()), n=1, cutoff=0.0)
    return next((letter for letter, text in options.items() if closest and text == closest[0]), "")


_MARKUP = re.compile(r"[*_`#]+")
# A reply that is only a letter; whitespace may sit between any two of its parts, so it is removed first.
_BARE = re.compile(r"[(\[]?([A-Ea-e])[)\]]?[.:]?")
# A letter standing alone: not part of a word, an abbreviation ("E.g."), a contraction or a hyphenation.
_LETTER = r"(?<![\w'’-])([A-E])(?![\w'’-])(?!\.\w)"
_ASSERTED = re.compile(
    r"(?i:\b(?:final\s+answer|answer|correct\s+(?:option|choice)|best\s+(?:option|choice)"
    r"|i\s+(?:would\s+|will\s+)?(?:choose|select|pick|go\s+with)))"
    # Each optional part carries the whitespace after it, so a run of spaces is scanned once, not cubed.
    r"\s*(?:(?i:is|would\s+be|should\s+be|will\s+be)\s*)?(?:[:=\-]\s*)?(?:(?i:option|choice)\s+)?[(\[]?"
    + _LETTER)
_STANDALONE = re.compile(_LETTER)
# "A" before a lowercase word is the article, unless that word is what follows a letter ("A or B", "A is").
_ARTICLE = re.compile(r"\s+(?!(?:or|and|nor|but|vs|versus|is|was|seems|looks|appears|would|should|could|"
                      r"might|must|fits|matches|describes|because|since|as|then|for|to|with)\b)[a-z]")
# A negation ending where a letter starts: "not A", "isn't (B", "never option C". Read backwards from
# the letter (see `_negated`), never by searching the text before it, which costs the square of the reply.
_NEGATION_WORD = re.compile(r"(?i:\b(?:not|isn't|never))\Z")
_OPTION_WORD = re.compile(r"(?i:option)\Z")
_WORDS = re.compile(r"[^\w\s]+")


def _letters(pattern: re.Pattern, text: str) -> set[str]:
    """Letters the pattern finds, minus the English article "A" and negated mentions ("not A")."""
    found = set()
    for match in pattern.finditer(text):
        letter, end = match.group(1), match.end(1)
        if letter == "A" and _ARTICLE.match(text, end):
            continue
        if _negated(text, match.start(1)):
            continue
        found.add(letter)
    return found


def _negated(text: str, start: int) -> bool:
    r"""Whether a negation ends where the letter at `start` begins (an end just before a newline counts too:
    the rule this replaces was the pattern `(?i:\b(?:not|isn't|is\s+not|never)\s+(?:option\s+)?[(\[]?)$`).

    Walks back over the bracket, spaces, "option" and spaces: work proportional to the spaces before
    this letter only, so all letters together cost one pass over the reply.
    """
    ends = (start, start - 1) if start and text[start - 1] == "\n" else (start,)
    return any(_negation_ends_at(text, end) for end in ends)


def _negation_ends_at(text: str, end: int) -> bool:
    if end and text[end - 1] in "([":
        end -= 1
    end, spaces = _before_spaces(text, end)
    if not spaces:
        return False
    if _OPTION_WORD.search(text, max(0, end - 6), end):
        end, spaces = _before_spaces(text, end - 6)
        if not spaces:
            return False
    return _NEGATION_WORD.search(text, max(0, end - 5), end) is not None


def _before_spaces(text: str, end: int) -> tuple[int, int]:
    """Where the run of whitespace ending at `end` starts, and its length."""
    start = end
    while start and text[start - 1].isspace():
        start -= 1
    return start, end - start


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
    the caller decides what an out-of-options letter means. Only the last `MAX_EXAMINED_CHARS`
    characters of a longer reply are read.
    """
    text = _MARKUP.sub("", response[-MAX_EXAMINED_CHARS:])
    bare = _BARE.fullmatch("".join(text.split()))
    if bare:
        return bare.group(1).upper()
    for pattern in (_ASSERTED, _STANDALONE):
        found = _letters(pattern, text)
        if found:
            return found.pop() if len(found) == 1 else None
    return _option_by_text(text, options)
