"""Which questions count, and how, under each protocol."""

from __future__ import annotations

from dataclasses import dataclass

from mmad_dataset import LETTERS, SOURCES, SUBTASKS

from .aggregate import Outcome
from .key import AnswerKey
from .predictions import Predictions


@dataclass(frozen=True)
class Counted:
    """A protocol's verdicts plus the table layout (rows and columns) it reports."""

    outcomes: list[Outcome]
    sources: list[str]
    columns: list[str]
    invalid: int
    skipped: int
    predicted: int
    answered: int  # questions this protocol read as an offered letter (what coverage counts)


def _ordered(seen: set[str], order: tuple[str, ...]) -> list[str]:
    return [name for name in order if name in seen]


def official(predictions: Predictions, key: AnswerKey) -> Counted:
    """`caculate_accuracy_mmad`, record for record.

    A record whose gold or given letter is not one of A-E is dropped, and because upstream
    removes it from the list it is iterating, the record after it is skipped unseen. Rows and
    columns come from every record, dropped or not, so a cell with nothing left scores 0.
    Only the scored records are answered: a dropped record and the one it hides count against
    coverage, so blanks placed before wrong answers cannot hide them from the ranking.
    """
    outcomes: list[Outcome] = []
    invalid = skipped = 0
    questions = [key.by_id[record.qid] for record in predictions.records]
    records = iter(zip(questions, predictions.records))
    for question, record in records:
        correct, given = record.correct, record.given
        if correct not in LETTERS or given not in LETTERS:
            invalid += 1
            skipped += next(records, None) is not None
            continue
        outcomes.append((question, given, correct, given == correct))
    return Counted(outcomes, _ordered({q.source for q in questions}, SOURCES),
                   _ordered({q.subtask for q in questions}, SUBTASKS), invalid, skipped, len(questions),
                   len(outcomes))


def strict(predictions: Predictions, key: AnswerKey) -> Counted:
    """Every question of the key once; missing, unparseable or out-of-options answers are wrong,
    and only an offered letter counts as answered."""
    outcomes: list[Outcome] = []
    invalid = answered = 0
    given = predictions.strict
    for question in key.questions:
        found = given.get(question.qid)
        if found is None:  # not predicted: wrong, but not invalid
            outcomes.append((question, None, question.answer, False))
            continue
        letter, gold = found
        if letter not in question.options:
            invalid += 1
            letter = None
        answered += letter is not None
        outcomes.append((question, letter, gold, letter == gold))
    return Counted(outcomes, _ordered({q.source for q in key.questions}, SOURCES),
                   _ordered({q.subtask for q in key.questions}, SUBTASKS), invalid, 0, len(predictions.strict),
                   answered)


PROTOCOLS = {"official": official, "strict": strict}
