"""Finer views of one protocol's verdicts: per category, per defect type, and option-position bias.

Category and defect accuracies are plain (micro) accuracies over the counted questions: the
published table has nothing finer than a source to match, and balanced accuracy is meaningless
for a defect folder, which holds abnormal images only. They are sums of the per-image count
vectors, like the main table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from operator import itemgetter

from mmad_dataset import LETTERS

from .aggregate import Outcome, add
from .key import AnswerKey


def _percent(part: int, whole: int) -> float:
    return part / whole * 100 if whole else 0.0


def _row(total: list[int], columns: Sequence[str]) -> dict:
    questions = sum(total[1::2])
    return {"questions": questions, "accuracy": _percent(sum(total[0::2]), questions),
            "subtasks": {column: _percent(total[2 * i], total[2 * i + 1])
                         for i, column in enumerate(columns) if total[2 * i + 1]}}


def by_category_and_defect(vectors: dict[str, dict[str, list[int]]], key: AnswerKey,
                           columns: Sequence[str]) -> tuple[dict, dict]:
    """`<source>/<category>` and `<source>/<category>/<defect folder>` → questions, accuracy, accuracy
    per subtask; `good` collects the normal images.

    One pass over the images: every defect folder lies in one category, so a category's totals are
    the sums of its folders' totals.
    """
    width = 2 * len(columns)
    folders: dict[tuple[str, str, str], list[list[int]]] = {}
    for images in vectors.values():
        for image, vector in images.items():
            question = key.by_image[image][0]
            folders.setdefault((question.source, question.category, question.defect), []).append(vector)
    defects: dict[str, list[list[int]]] = {}
    categories: dict[str, list[list[int]]] = {}
    for (source, category, defect), listed in folders.items():
        total = add(listed, width)
        defects.setdefault(f"{source}/{category}/{defect}", []).append(total)
        categories.setdefault(f"{source}/{category}", []).append(total)
    return ({name: _row(add(totals, width), columns) for name, totals in categories.items()},
            {name: _row(add(totals, width), columns) for name, totals in defects.items()})


def position_bias(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """Per letter: % of valid predictions that chose it vs % of questions whose answer it is."""
    predicted = Counter(map(itemgetter(1), outcomes))
    predicted.pop(None, None)
    gold = Counter(map(itemgetter(2), outcomes))
    answered, total = sum(predicted.values()), len(outcomes)
    return {letter: {"predicted": _percent(predicted[letter], answered), "correct": _percent(gold[letter], total)}
            for letter in LETTERS if predicted[letter] or gold[letter]}
