"""Finer views of one protocol's verdicts: per category, per defect type, and option-position bias.

Category and defect accuracies are plain (micro) accuracies over the counted questions: the
published table has nothing finer than a source to match, and balanced accuracy is meaningless
for a defect folder, which holds abnormal images only. They are sums of the per-image count
vectors, like the main table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from mmad_dataset import LETTERS

from .aggregate import Outcome, add
from .key import AnswerKey, Question


def _percent(part: int, whole: int) -> float:
    return part / whole * 100 if whole else 0.0


def _grouped(vectors: dict[str, dict[str, list[int]]], key: AnswerKey, columns: Sequence[str],
             group: Callable[[Question], str]) -> dict[str, dict]:
    members: dict[str, list[list[int]]] = {}
    for images in vectors.values():
        for image, vector in images.items():
            members.setdefault(group(key.by_image[image][0]), []).append(vector)
    table = {}
    for name, listed in members.items():
        total = add(listed, 2 * len(columns))
        questions = sum(total[1::2])
        table[name] = {"questions": questions, "accuracy": _percent(sum(total[0::2]), questions),
                       "subtasks": {column: _percent(total[2 * i], total[2 * i + 1])
                                    for i, column in enumerate(columns) if total[2 * i + 1]}}
    return table


def by_category(vectors: dict[str, dict[str, list[int]]], key: AnswerKey, columns: Sequence[str]) -> dict:
    """`<source>/<category>` → questions, accuracy, accuracy per subtask."""
    return _grouped(vectors, key, columns, lambda q: f"{q.source}/{q.category}")


def by_defect(vectors: dict[str, dict[str, list[int]]], key: AnswerKey, columns: Sequence[str]) -> dict:
    """`<source>/<category>/<defect folder>` → the same; `good` collects the normal images."""
    return _grouped(vectors, key, columns, lambda q: f"{q.source}/{q.category}/{q.defect}")


def position_bias(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """Per letter: % of valid predictions that chose it vs % of questions whose answer it is."""
    predicted = Counter(letter for _, letter, _, _ in outcomes if letter is not None)
    gold = Counter(gold for _, _, gold, _ in outcomes)
    answered, total = sum(predicted.values()), len(outcomes)
    return {letter: {"predicted": _percent(predicted[letter], answered), "correct": _percent(gold[letter], total)}
            for letter in LETTERS if predicted[letter] or gold[letter]}
