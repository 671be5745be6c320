"""Count arithmetic that mutation testing (docs/mutation.md) found unguarded: hand-made outcomes, hand-counted."""

from __future__ import annotations

import numpy as np

from eval.aggregate import image_vectors, ratio, subtask_scores
from eval.key import Question

COLUMNS = ("anomaly_discrimination", "defect_classification")


def _q(source: str, image: str, subtask: str, normal: bool = False) -> Question:
    return Question(f"{source}/{image}/{subtask}", image, 0, source, "bottle", "scratch", normal, "t", subtask,
                    {"A": "x", "B": "y"}, "A")


def test_two_questions_of_one_subtask_on_one_image_both_count():
    outcomes = [(_q("MVTec-AD", "a.png", "defect_classification"), "A", "A", True),
                (_q("MVTec-AD", "a.png", "defect_classification"), "B", "A", False),
                (_q("MVTec-AD", "a.png", "anomaly_discrimination"), "A", "A", True),
                (_q("MVTec-AD", "a.png", "anomaly_discrimination"), "A", "A", True)]
    vector = image_vectors(outcomes, COLUMNS)["MVTec-AD"]["a.png"]
    # [AD correct, AD total, DC correct, DC total, normal correct, normal total, abnormal correct, abnormal total]
    assert vector == [2, 2, 1, 2, 0, 0, 2, 2]
    assert subtask_scores(vector, COLUMNS) == {"anomaly_discrimination": 50.0, "defect_classification": 50.0}


def test_the_same_image_name_in_two_sources_is_counted_in_each():
    outcomes = [(_q("MVTec-AD", "000.png", "defect_classification"), "A", "A", True),
                (_q("VisA", "000.png", "defect_classification"), "B", "A", False)]
    vectors = image_vectors(outcomes, COLUMNS)
    assert vectors["MVTec-AD"]["000.png"][2:4] == [1, 1]
    assert vectors["VisA"]["000.png"][2:4] == [0, 1]


def test_an_empty_cell_scores_zero_also_in_resampled_arrays():
    total = np.array([0, 4, 0, 1] * 64)
    correct = np.array([0, 1, 0, 1] * 64)
    assert ratio(correct, total).tolist() == [0.0, 0.25, 0.0, 1.0] * 64
    assert ratio(0, 0) == 0
