"""The benchmark's counts as published, written out once for the tests that check the code against them.

Deliberately not imported from `mmad_dataset` (whose PAPER_* tables the generator and the scorer
use): a typo there must make these tests fail, not move their expectations with it.

- Images and questions per source: the paper's Table 1.
- The per-subtask split: recovered from the authors' released result CSVs (every cell there is
  correct/total, and the totals of the files without dropped answers sum to Table 1 exactly).
"""

from __future__ import annotations

#: source → (images, questions), paper Table 1.
TABLE_1: dict[str, tuple[int, int]] = {
    "DS-MVTec": (1691, 8338), "MVTec-LOCO": (1566, 7624), "VisA": (2141, 10622), "GoodsAD": (2968, 13088),
}
#: The columns of `SPLIT`: anomaly questions on normal and on abnormal images, then the six other
#: subtasks as the authors' CSVs title them ("Object Analysis" includes Object Structure and Details).
SPLIT_COLUMNS: tuple[str, ...] = (
    "normal AD", "abnormal AD", "Defect Classification", "Defect Localization", "Defect Description",
    "Defect Analysis", "Object Classification", "Object Analysis",
)
SPLIT: dict[str, tuple[int, ...]] = {
    "DS-MVTec": (465, 1226, 1205, 1193, 1213, 1205, 464, 1367),
    "MVTec-LOCO": (573, 992, 982, 982, 974, 954, 544, 1623),
    "VisA": (943, 1198, 1190, 1197, 1190, 1163, 935, 2806),
    "GoodsAD": (1269, 1631, 1311, 1506, 1333, 1460, 1211, 3367),
}
#: Raw `type` strings of mmad.json → the CSV column they are counted in.
TYPE_COLUMN: dict[str, str] = {
    "Anomaly Detection": "Anomaly Detection", "Defect Classification": "Defect Classification",
    "Defect Localization": "Defect Localization", "Defect Description": "Defect Description",
    "Defect Analysis": "Defect Analysis", "Object Classification": "Object Classification",
    "Object Analysis": "Object Analysis", "Object Structure": "Object Analysis", "Object Details": "Object Analysis",
}


def split_cell(image_key: str, question_type: str) -> str:
    """The `SPLIT_COLUMNS` entry a question falls in (normal = a `good` folder, as the paper's rule)."""
    column = TYPE_COLUMN[question_type]
    if column != "Anomaly Detection":
        return column
    return "normal AD" if "/good/" in image_key else "abnormal AD"
