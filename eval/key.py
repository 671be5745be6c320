"""The answer key: every benchmark question, parsed once and reused for many prediction files."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

from mmad_dataset import LETTERS, SUBTASKS, TYPE_TO_SUBTASK, MMADError, load_rows

from .errors import ScoringError


class Question(NamedTuple):
    """What scoring needs to know about one question (a tuple: 40k of them load fast from the cache)."""

    qid: str
    image: str
    index: int
    source: str
    category: str
    defect: str
    normal: bool
    question_type: str
    subtask: str
    options: dict[str, str]
    answer: str


@dataclass(frozen=True)
class AnswerKey:
    """Questions in benchmark order, indexed by id and by image (each image's in conversation order).

    A key may hold a subset of the benchmark (a filtered answer_key.jsonl); nothing assumes all
    of an image's questions are present.
    """

    questions: tuple[Question, ...]
    sha256: str
    by_id: dict[str, Question]
    by_image: dict[str, list[Question]]

    def __len__(self) -> int:
        return len(self.questions)

    def __repr__(self) -> str:
        return f"AnswerKey({len(self)} questions, sha256={self.sha256[:12]}...)"

    @classmethod
    def from_rows(cls, rows: list[dict]) -> AnswerKey:
        """Build from `mmad_dataset` flat rows; refuses rows that cannot be scored."""
        questions = tuple(_question(row) for row in rows)
        if not questions:
            raise ScoringError("answer key: no questions")
        twice = [qid for qid, n in Counter(q.qid for q in questions).items() if n > 1]
        if twice:
            raise ScoringError(f"answer key: question id {twice[0]!r} appears twice")
        return cls.from_checked(questions, _canonical_sha256(questions))

    @classmethod
    def from_checked(cls, questions: tuple[Question, ...], sha256: str) -> AnswerKey:
        """Index questions; `from_rows` validates them, the cache stores them validated."""
        by_image: dict[str, list[Question]] = {}
        for question in questions:
            listed = by_image.get(question.image)
            if listed is None:  # (not setdefault: that would build a list per question)
                by_image[question.image] = [question]
            else:
                listed.append(question)
        for listed in by_image.values():
            listed.sort(key=attrgetter("index"))
        return cls(questions, sha256, {q.qid: q for q in questions}, by_image)


def _question(row: dict) -> Question:
    qid = row["question_id"]
    image, _, index = qid.rpartition("#")
    options = {letter: row[letter] for letter in LETTERS if row.get(letter) is not None}
    subtask = TYPE_TO_SUBTASK.get(row["question_type"])
    if row["answer"] not in options or subtask not in SUBTASKS or image != row["image_path"]:
        raise ScoringError(f"answer key: row {qid!r} is inconsistent (answer, type or image path)")
    return Question(qid=qid, image=image, index=int(index), source=row["source"], category=row["category"],
                    defect=row["defect"], normal=bool(row["is_normal"]), question_type=row["question_type"],
                    subtask=subtask, options=options, answer=row["answer"])


def _canonical_sha256(questions: tuple[Question, ...]) -> str:
    """Hash of what defines the benchmark's scoring, independent of the key's form and row order."""
    content = sorted([q.qid, q.question_type, q.answer, [q.options.get(letter) for letter in LETTERS]]
                     for q in questions)
    blob = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def parse_key(path: str | Path) -> AnswerKey:
    """Answer key from a raw root, `mmad.json`, an exported folder or `answer_key.jsonl`, parsed
    every time (`key_cache.load_key` is the cached entry point the scorer uses)."""
    try:
        return AnswerKey.from_rows(load_rows(path))
    except ScoringError:
        raise
    except MMADError as exc:
        raise ScoringError(f"answer key: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ScoringError(f"answer key {path}: malformed row ({exc!r})") from None
