"""The upstream table arithmetic, shared by both protocols and by the bootstrap.

Counts live in one flat vector per source (or per image):
`[correct, total] per column ... + [normal correct, normal total, abnormal correct, abnormal total]`,
the last four from anomaly-discrimination questions only. Vectors add up, so a source's counts are
the sum of its images' — which is what the bootstrap resamples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .key import Question

AD = "anomaly_discrimination"

#: One counted question: (question, predicted letter or None when there is no valid one, gold, right?).
#: A plain tuple: a protocol makes 40k of them per run.
Outcome = tuple[Question, "str | None", str, bool]


def image_vectors(outcomes: Iterable[Outcome], columns: Sequence[str]) -> dict[str, dict[str, list[int]]]:
    """source → image → count vector, in first-seen order."""
    position = {column: 2 * i for i, column in enumerate(columns)}
    detection = 2 * len(columns)
    vectors: dict[str, dict[str, list[int]]] = {}
    source = image = vector = None
    for q, _, _, correct in outcomes:
        if q.image != image or q.source != source:  # an image's questions usually come together
            source, image = q.source, q.image
            images = vectors.get(source)
            if images is None:  # (not setdefault: that would build a dict per question)
                images = vectors[source] = {}
            vector = images.get(image)
            if vector is None:
                vector = images[image] = [0] * (detection + 4)
        at = position[q.subtask]
        vector[at] += correct
        vector[at + 1] += 1
        if q.subtask == AD:
            at = detection + (0 if q.normal else 2)
            vector[at] += correct
            vector[at + 1] += 1
    return vectors


def add(vectors: Iterable[list[int]], width: int) -> list[int]:
    """Element-wise sum of the first `width` entries (all of them, or just the subtask columns)."""
    return [sum(column) for column in zip(*vectors)][:width] or [0] * width


def ratio(correct: Any, total: Any) -> Any:
    """correct/total, 0 where total is 0 (upstream's empty-cell rule); ints or numpy arrays."""
    if hasattr(total, "shape"):
        import numpy as np

        return np.divide(correct, total, out=np.zeros(total.shape), where=total > 0)
    return correct / total if total else 0


def subtask_scores(vector: Sequence[Any], columns: Sequence[str]) -> dict[str, Any]:
    """Accuracy per column in percent; anomaly discrimination is balanced accuracy."""
    scores = {column: ratio(vector[2 * i], vector[2 * i + 1]) * 100 for i, column in enumerate(columns)}
    if AD in scores:
        normal_c, normal_t, abnormal_c, abnormal_t = vector[2 * len(columns):]
        scores[AD] = (ratio(normal_c, normal_t) + ratio(abnormal_c, abnormal_t)) / 2 * 100
    return scores


def mean(values: Sequence[Any]) -> Any:
    return sum(values) / len(values)


def source_table(vector: Sequence[int], columns: Sequence[str]) -> dict[str, Any]:
    """One source's row: subtask columns, their mean, and the detection columns of the authors' CSVs."""
    scores = subtask_scores(vector, columns)
    normal_c, normal_t, abnormal_c, abnormal_t = vector[2 * len(columns):]
    normal_acc, abnormal_acc = ratio(normal_c, normal_t), ratio(abnormal_c, abnormal_t)
    true_pos, false_pos = abnormal_c, normal_t - normal_c
    precision = ratio(true_pos, true_pos + false_pos) * 100
    recall = abnormal_acc * 100
    return {
        "average": mean(list(scores.values())), "subtasks": scores,
        "normal_accuracy": normal_acc * 100, "abnormal_accuracy": abnormal_acc * 100,
        "overkill": (1 - normal_acc) * 100, "miss": (1 - abnormal_acc) * 100,
        "precision": precision, "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0,
    }


DETECTION_FIELDS = ("normal_accuracy", "abnormal_accuracy", "overkill", "miss", "precision", "recall", "f1")


def macro_table(vectors: dict[str, Sequence[int]], columns: Sequence[str]) -> dict[str, Any]:
    """Per-source rows and their unweighted mean over sources (the published 'Average' row)."""
    sources = {source: source_table(vector, columns) for source, vector in vectors.items()}
    rows = list(sources.values())
    return {
        "average": mean([row["average"] for row in rows]),
        "subtasks": {column: mean([row["subtasks"][column] for row in rows]) for column in columns},
        **{name: mean([row[name] for row in rows]) for name in DETECTION_FIELDS},
        "sources": sources,
    }
