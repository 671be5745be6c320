"""`load_key`: answer keys parsed once and cached on disk, so that each `mmad score` does not re-parse
40k questions.

Like Python's own .pyc files it trusts file metadata: an entry is named after the key's absolute
path and the size, mtime and inode of the file(s) that `mmad_dataset.load_rows` may read, so an
edited key is a miss. Entries are marshal dumps of the validated questions (more than ten times
faster to load than re-parsing `mmad.json`). The folder is `$MMAD_CACHE`, else
`$XDG_CACHE_HOME/mmad/keys`, else `~/.cache/mmad/keys`; MMAD_CACHE=off disables it. A cache that
cannot be read or written is ignored: it only ever costs the parse it was meant to save.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from pathlib import Path

from mmad_dataset import ANSWER_KEY_FILE

from .gc_pause import gc_paused
from .key import AnswerKey, Question, parse_key

_FORMAT = 2  # 2: equal strings shared (see _sharing_strings)


def folder() -> Path | None:
    configured = os.environ.get("MMAD_CACHE")
    if configured:
        return None if configured.lower() in ("0", "off", "no", "false") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mmad" / "keys"


def _entry(path: Path) -> str | None:
    """Cache file name for a key path, or None if the path does not exist."""
    path = path.resolve()
    candidates = [path, path / "mmad.json", path / ANSWER_KEY_FILE] if path.is_dir() else [path]
    signature = [str(path), str(_FORMAT)]
    for candidate in candidates:
        try:
            stat = candidate.stat()
        except OSError:
            signature.append("-")
            continue
        signature.append(f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}")
    if signature[2] == "-":
        return None
    return hashlib.sha256("|".join(signature).encode()).hexdigest() + ".marshal"


@gc_paused
def load_key(path: str | Path, *, cache: bool = True) -> AnswerKey:
    """Answer key from a raw root, `mmad.json`, an exported folder or `answer_key.jsonl`.

    Parsing a full key takes most of a `mmad score` run, so the parsed form is cached on disk;
    `cache=False` always parses.
    """
    return _load(path) if cache else parse_key(path)


def _load(path: str | Path) -> AnswerKey:
    """The cached key for `path`, or the parsed key stored for next time."""
    where = folder()
    name = _entry(Path(path)) if where else None
    if where is None or name is None:
        return parse_key(path)
    try:
        fmt, sha256, rows = marshal.loads((where / name).read_bytes())
        if fmt == _FORMAT:
            return AnswerKey.from_checked(tuple(map(Question._make, rows)), sha256)
    except (OSError, EOFError, ValueError, TypeError):
        pass
    key = parse_key(path)
    try:
        where.mkdir(parents=True, exist_ok=True)
        temporary = where / f".{name}.{os.getpid()}"
        temporary.write_bytes(marshal.dumps((_FORMAT, key.sha256, _sharing_strings(key.questions))))
        os.replace(temporary, where / name)
    except OSError:
        pass
    return key


def _sharing_strings(questions: tuple[Question, ...]) -> list[tuple]:
    """The questions as plain tuples in which equal strings are one object.

    marshal writes an object it meets again as a back-reference, and reads it back once: a key
    repeats its sources, categories, question types and option texts, so the entry is half the
    size and loads twice as fast.
    """
    seen: dict[str, str] = {}

    def shared(value):
        if isinstance(value, str):
            return seen.setdefault(value, value)
        if isinstance(value, dict):
            return {shared(name): shared(text) for name, text in value.items()}
        return value

    return [tuple(map(shared, question)) for question in questions]
