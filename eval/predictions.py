"""Read a prediction file (JSON Lines, or the upstream answers JSON) and map it onto the answer key.

Reading validates everything a user can get wrong, with line or record numbers, and raises
ScoringError; nothing else escapes. The result holds what each protocol consumes:
`records` for the official protocol (upstream's own record list, in the order it iterates) and
`strict` (question id → extracted letter and gold letter) for the strict one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from mmad_dataset import LETTERS, TYPE_TO_SUBTASK

from .errors import ScoringError, quoted
from .extract import strict_letter, upstream_letter
from .gc_pause import gc_paused
from .key import AnswerKey, Question

DEFAULT_MAX_BYTES = 200_000_000
_SHOWN = 5
_UPSTREAM_FIELDS = ("image", "question_type", "correct_answer", "gpt_answer")
_MAGIC = ((b"PAR1", "a Parquet file"), (b"PK\x03\x04", "a ZIP archive (or an .xlsx workbook)"),
          (b"\x1f\x8b", "a gzip-compressed file; decompress it first"), (b"ARROW1", "an Arrow IPC file"),
          (b"\xff\xfe", "UTF-16 text; save it as UTF-8"), (b"\xfe\xff", "UTF-16 text; save it as UTF-8"))
_UTF8_BOM = b"\xef\xbb\xbf"


class Record(NamedTuple):
    """One upstream-style record; `correct` and `given` are kept raw, as upstream compares them.

    A tuple rather than a frozen dataclass: a file makes 40k of them, and tuples are built faster.
    """

    qid: str
    correct: Any
    given: Any


@dataclass(frozen=True)
class Predictions:
    """A parsed prediction file, already mapped onto one answer key."""

    format: str
    sha256: str
    key_sha256: str
    records: tuple[Record, ...]
    strict: dict[str, tuple[str | None, str]]
    notes: tuple[str, ...] = ()


@gc_paused
def read_predictions(source: str | Path | bytes, key: AnswerKey, *,
                     max_bytes: int = DEFAULT_MAX_BYTES, trust_file_gold: bool = False) -> Predictions:
    """Parse predictions from a path or raw bytes; raises ScoringError on anything unscorable.

    Gold letters always come from the answer key. An upstream answers file carries its own
    `correct_answer`; one that disagrees with the key is refused, because otherwise a file can bring
    its own answer key and score 100. `trust_file_gold=True` restores upstream's behaviour (the
    file's letter is gold) for reproducing numbers computed that way; the Space never sets it.
    """
    data = _read_bytes(source, max_bytes)
    sha256 = hashlib.sha256(data).hexdigest()
    text, notes = _decode(data)
    if text.lstrip().startswith("["):
        records, strict, more = _parse_upstream(text, key, trust_file_gold)
        return Predictions("upstream", sha256, key.sha256, records, strict, (*notes, *more))
    _refuse_one_object(text)
    records, strict = _parse_jsonl(text, key)
    return Predictions("jsonl", sha256, key.sha256, records, strict, notes)


def _read_bytes(source: str | Path | bytes, max_bytes: int) -> bytes:
    """The file's bytes, read with the limit: only a regular file is read, and never past `max_bytes`,
    so a device (/dev/zero), a FIFO or a file growing while it is read is refused instead of filling memory."""
    limit = f"the limit of {max_bytes / 1e6:g} MB (raise it with --max-mb / max_bytes)"
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) > max_bytes:
            raise ScoringError(f"predictions are {len(source) / 1e6:.1f} MB, over {limit}")
        return bytes(source)
    path = Path(source)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
    except OSError as exc:
        raise ScoringError(f"{path}: cannot read ({exc.strerror or exc})") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        what = "is a folder" if stat.S_ISDIR(mode) else "is not a regular file (a device, FIFO or socket)"
        raise ScoringError(f"{path}: {what}; pass the prediction file itself")
    with os.fdopen(descriptor, "rb") as handle:
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise ScoringError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise ScoringError(f"{path}: over {limit}")
    return data


def _decode(data: bytes) -> tuple[str, tuple[str, ...]]:
    """UTF-8 text; a UTF-8 byte-order mark is accepted (and noted), binary formats are named."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise ScoringError(f"this is {what}, not JSON Lines")
    notes: tuple[str, ...] = ()
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM):]
        notes = ("the file starts with a UTF-8 byte-order mark; it was ignored",)
    if b"\x00" in data[:4096]:
        raise ScoringError("this is a binary file (it contains NUL bytes), not JSON Lines")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScoringError(f"line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                           "save the file as UTF-8") from None
    if not text.strip():
        raise ScoringError("the prediction file is empty")
    first = text.lstrip().split("\n", 1)[0]
    if not first.startswith(("{", "[")):
        kind = "looks like CSV/TSV" if ("," in first or "\t" in first) else "is not JSON"
        raise ScoringError(f"line 1 {kind} ({quoted(first, 60)}); expected JSON Lines with one "
                           '{"question_id": ..., "answer": ...} object per line')
    return text, notes


def _loads(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScoringError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ScoringError(f"{where}: JSON nested too deeply") from None
    except ValueError:  # Python refuses to convert integers of more than 4,300 digits
        raise ScoringError(f"{where}: a number has too many digits to be an answer") from None


def _parse_jsonl(text: str, key: AnswerKey) -> tuple[tuple[Record, ...], dict]:
    """Official records follow the answer key's order: the order upstream's scripts write."""
    official: dict[str, str] = {}
    strict: dict[str, tuple[str | None, str]] = {}
    first_line: dict[str, int] = {}
    unknown: list[str] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        obj = _object_or_none(line)
        if obj is None:  # not a bare object: blank, padded with whitespace, or an error to report
            if not line.strip():
                continue
            obj = _loads(line, f"line {lineno}")
            if not isinstance(obj, dict):
                raise ScoringError(f"line {lineno}: expected a JSON object, got {_kind(obj)}")
        qid = obj.get("question_id")
        if type(qid) is not str:
            raise ScoringError(f'line {lineno}: "question_id" must be a string' if "question_id" in obj
                               else f'line {lineno}: missing "question_id"')
        question = key.by_id.get(qid)
        if question is None:
            unknown.append(f"line {lineno}: {quoted(qid)}")
            continue
        if qid in first_line:
            raise ScoringError(f"line {lineno}: duplicate question_id {qid!r} (first on line {first_line[qid]})")
        first_line[qid] = lineno
        answer, response = obj.get("answer"), obj.get("response")
        usual = (type(answer) is str and answer in question.options
                 and (response is None or type(response) is str))
        if not usual:  # the usual line needs no further checks; `_fields` checks and words the rest
            answer, response = _fields(obj, question, f"line {lineno}")
        official[qid] = answer or upstream_letter(response or "", question.options)
        strict[qid] = (answer or (strict_letter(response, question.options) if response else None),
                       question.answer)
    if unknown:
        raise ScoringError(_unknown_message(unknown, key))
    records = tuple(Record(q.qid, q.answer, official[q.qid]) for q in key.questions if q.qid in official)
    return records, strict


_DECODER = json.JSONDecoder()


def _object_or_none(line: str) -> dict | None:
    """The line's object when the line is exactly one JSON object, else None.

    The common line's fast path: `raw_decode` skips the whitespace handling `json.loads` wraps
    around it, which costs a third of the parse time over 40k short lines. Anything else (blank
    lines, surrounding whitespace, errors) goes through `_loads`, which words the error.
    """
    try:
        obj, end = _DECODER.raw_decode(line)
    except (ValueError, RecursionError):
        return None
    return obj if end == len(line) and type(obj) is dict else None


def _refuse_one_object(text: str) -> None:
    """A better message than 'line 1: not valid JSON' for one pretty-printed JSON object."""
    first, _, rest = text.strip().partition("\n")
    if rest and _loads_or_none(first) is None and isinstance(_loads_or_none(text), dict):
        raise ScoringError("line 1: the file is one JSON object spread over several lines, not JSON Lines; "
                           'write one {"question_id": ..., "answer": ...} object per line')


def _loads_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _fields(obj: dict, question: Question, where: str) -> tuple[str, str | None]:
    """The given letter ('' when none) and the raw reply, both checked."""
    answer, response = obj.get("answer"), obj.get("response")
    if "answer" not in obj and "response" not in obj:
        raise ScoringError(f'{where}: needs "answer" (a letter) and/or "response" (the model\'s text)')
    if response is not None and not isinstance(response, str):
        raise ScoringError(f'{where}: "response" must be a string, got {_kind(response)}')
    if answer is None:
        return "", response
    if not isinstance(answer, str):
        raise ScoringError(f'{where}: "answer" must be a letter string or null, got {_kind(answer)}')
    answer = answer.strip()
    if answer and answer not in LETTERS:
        raise ScoringError(f'{where}: "answer" must be one capital letter A-E (or null/"" for no answer), '
                           f"got {quoted(answer, 40)}; put the model's raw text in \"response\"")
    if answer and answer not in question.options:
        raise ScoringError(f"{where}: answer {answer!r} is not an option of {question.qid} "
                           f"(it offers {', '.join(question.options)})")
    return answer, response


def _parse_upstream(text: str, key: AnswerKey,
                    trust_file_gold: bool) -> tuple[tuple[Record, ...], dict, tuple[str, ...]]:
    """Upstream answers JSON: the k-th record of an image is the image's k-th question in the key.

    `text` starts with "[", so it parses as an array or not at all."""
    data = _loads(text, "answers JSON")
    if not data:
        raise ScoringError("the answers JSON holds no records")
    records: list[Record] = []
    strict: dict[str, tuple[str | None, str]] = {}
    seen: dict[str, int] = {}
    unknown: list[str] = []
    disagreeing: list[str] = []
    relabelled = 0
    for number, item in enumerate(data, 1):
        question = _upstream_question(item, number, key, seen, unknown)
        if question is None:
            continue
        correct, given = item["correct_answer"], item["gpt_answer"]
        shown = None if trust_file_gold else _shown_options(item.get("question"), question)
        if shown is not None:  # the options as the model saw them: judge in the key's letters
            to_key, options = shown
            correct = to_key.get(correct, correct) if isinstance(correct, str) else correct
            extracted = to_key.get(strict_letter(given, options)) if isinstance(given, str) else None
            given = to_key.get(given, given) if isinstance(given, str) else given
        else:
            extracted = strict_letter(given, question.options) if isinstance(given, str) else None
        if trust_file_gold:
            gold = correct if isinstance(correct, str) and correct in question.options else question.answer
            relabelled += gold != question.answer
            records.append(Record(question.qid, correct, given))
        else:
            gold = question.answer
            if correct != gold:
                disagreeing.append(f"record {number}: {quoted(correct)}, the key says {gold!r}")
            records.append(Record(question.qid, gold, given))
        strict[question.qid] = (extracted, gold)
    if unknown:
        raise ScoringError(_unknown_message(unknown, key))
    if disagreeing:
        raise ScoringError(
            f"{len(disagreeing)} record(s) carry a correct_answer other than the answer key's, e.g. "
            f"{'; '.join(disagreeing[:_SHOWN])}. Gold letters come from the answer key only. A shuffle of the "
            "options is accepted when each record's question shows them as 'A. text' lines; otherwise write "
            "JSON Lines with the chosen option's letter in the benchmark's order; "
            "`mmad score --trust-file-gold` reproduces upstream's numbers locally, never on the board")
    notes = (f"{relabelled} record(s) carry a gold letter other than the key's (options shuffled at query "
             "time); --trust-file-gold judged them against the file's letter",) if relabelled else ()
    return tuple(records), strict, notes


# One line "X. text"; matched line by line, so a run of blank lines or spaces is scanned once.
_OPTION_LINE = re.compile(r"[^\S\n]*([A-E])\.[^\S\n]*(.*)")


def _shown_options(rendered: Any, question: Question) -> tuple[dict[str, str], dict[str, str]] | None:
    """The option shuffle a record's rendered question proves, as (shown letter → the key's letter,
    shown letter → option text), or None when it proves none.

    Shuffling scripts (LLaVA, Cambrian, AnomalyGPT) store the question as the model saw it, options
    included (`A. text` lines), and the gold letter after the shuffle. When those lines show exactly
    the key's option texts, each shown letter maps to the key's letter for the same text; a
    `correct_answer` is then accepted only if it maps to the key's gold.
    """
    text = rendered.get("text") if isinstance(rendered, dict) else rendered
    if not isinstance(text, str):
        return None
    lines = [(found[1], found[2].rstrip()) for found in map(_OPTION_LINE.match, text.split("\n")) if found]
    shown = {letter: option for letter, option in lines}
    by_text = {option.strip(): letter for letter, option in question.options.items()}
    if len(lines) != len(question.options) or len(shown) != len(lines) or set(shown.values()) != set(by_text):
        return None
    return {letter: by_text[option] for letter, option in shown.items()}, shown


def _upstream_question(item: Any, number: int, key: AnswerKey, seen: dict[str, int],
                       unknown: list[str]) -> Question | None:
    where = f"record {number}"
    if not isinstance(item, dict):
        raise ScoringError(f"{where}: expected an object with {', '.join(_UPSTREAM_FIELDS)}, got {_kind(item)}")
    missing = [name for name in _UPSTREAM_FIELDS if name not in item]
    if missing:
        hint = ("; for question_id predictions write JSON Lines (one object per line)"
                if "question_id" in item else "")
        raise ScoringError(f"{where}: missing {', '.join(missing)}{hint}")
    image, qtype = item["image"], item["question_type"]
    if not isinstance(image, str) or not isinstance(qtype, str):
        raise ScoringError(f'{where}: "image" and "question_type" must be strings')
    questions = key.by_image.get(image)
    if questions is None:
        unknown.append(f"record {number}: {quoted(image)}")
        return None
    index = seen.get(image, 0)
    seen[image] = index + 1
    if index >= len(questions):
        raise ScoringError(f"{where}: {image} has more records than its {len(questions)} question(s) in the key")
    question = questions[index]
    if TYPE_TO_SUBTASK.get(qtype) != question.subtask:
        raise ScoringError(f"{where}: question {index} of {image} is {quoted(qtype)} in the file but "
                           f"{question.question_type!r} in the key; records of an image must follow its "
                           "conversation order")
    return question


def _unknown_message(unknown: list[str], key: AnswerKey) -> str:
    shown = "; ".join(unknown[:_SHOWN])
    return (f"{len(unknown)} prediction(s) name questions not in the answer key ({len(key)} questions), "
            f"e.g. {shown}. Question ids look like '<image key>#<index>', e.g. {key.questions[0].qid!r}")


def _kind(value: Any) -> str:
    """What a JSON value is, in words (json yields only these seven types)."""
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}[type(value)]
