"""The `datasets` builder in `mmad_dataset.py`, used directly on a raw root."""

from __future__ import annotations

import collections
import json

import pytest

import mmad_dataset as mm


#: The config names users pass to `load_dataset`, written out (not taken from `mmad_dataset`).
SOURCE_CONFIG_NAMES = {"ds_mvtec": "DS-MVTec", "mvtec_loco": "MVTec-LOCO", "visa": "VisA", "goodsad": "GoodsAD"}
SUBTASK_CONFIG_NAMES = {"anomaly_discrimination": ("Anomaly Detection",),
                        "defect_classification": ("Defect Classification",),
                        "defect_localization": ("Defect Localization",),
                        "defect_description": ("Defect Description",), "defect_analysis": ("Defect Analysis",),
                        "object_classification": ("Object Classification",),
                        "object_analysis": ("Object Analysis", "Object Structure", "Object Details")}


def _expected_counts(root) -> dict[str, int]:
    """Questions per config, straight from mmad.json (not through the reader under test)."""
    counts: collections.Counter[str] = collections.Counter()
    for key, entry in json.loads((root / "mmad.json").read_text(encoding="utf-8")).items():
        source = key.split("/")[0]
        for item in entry["conversation"]:
            counts["all"] += 1
            counts[next(c for c, types in SUBTASK_CONFIG_NAMES.items() if item["type"] in types)] += 1
            counts[next(c for c, s in SOURCE_CONFIG_NAMES.items() if s == source)] += 1
    return counts


def test_config_names():
    assert sorted(mm.CONFIG_NAMES) == sorted(["all", *SUBTASK_CONFIG_NAMES, *SOURCE_CONFIG_NAMES])


@pytest.mark.parametrize("config", mm.CONFIG_NAMES)
def test_builder_each_config(small_root, tmp_path, config):
    builder = mm.MMAD(config_name=config, data_dir=str(small_root), cache_dir=str(tmp_path))
    builder.download_and_prepare()
    ds = builder.as_dataset(split="test")
    assert ds.num_rows == _expected_counts(small_root)[config] > 0
    assert ds.features == mm.features()
    if config in SOURCE_CONFIG_NAMES:
        assert set(ds["source"]) == {SOURCE_CONFIG_NAMES[config]}
        assert {path.split("/")[0] for path in ds["image_path"]} == {SOURCE_CONFIG_NAMES[config]}
    elif config in SUBTASK_CONFIG_NAMES:
        assert set(ds["question_type"]) <= set(SUBTASK_CONFIG_NAMES[config])
    row = ds[0]
    assert row["image"].size == (32, 32)
    assert row["template_image"].size == (32, 32)
    assert (row["mask"] is None) == row["is_normal"]


def test_builder_without_data_dir_says_what_is_needed(tmp_path):
    builder = mm.MMAD(config_name="all", cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match="data_dir=<raw MMAD root"):
        builder.download_and_prepare()


#: Known questions of the small synthetic root (scale 0.02, seed 0), written out by hand from its
#: mmad.json: the id is `<image key>#<index in the conversation>`, counted from 0; `is_normal` is
#: the case-sensitive 'good' rule (a GoodsAD defect image is not normal); mask paths are prefixed
#: with `<source>/<category>/` only.
KNOWN_ROWS = {
    "GoodsAD/drink_can/test/surface_damage/000_000.jpg#0": {
        "image_path": "GoodsAD/drink_can/test/surface_damage/000_000.jpg", "source": "GoodsAD",
        "category": "drink_can", "defect": "surface_damage", "is_normal": False,
        "subtask": "anomaly_discrimination", "question_type": "Anomaly Detection",
        "question": "Is there any defect in the object?", "A": "Yes.", "B": "No.", "C": None, "D": None, "E": None,
        "answer": "A", "template_path": "GoodsAD/drink_can/train/good/000_008.jpg",
        "similar_template_path": "GoodsAD/drink_can/train/good/000_009.jpg",
        "mask_path": "GoodsAD/drink_can/ground_truth/surface_damage/000_000.png", "known_issue": None},
    "MVTec-LOCO/juice_bottle/test/structural_anomalies/001.png#0": {  # an image without an anomaly question
        "source": "MVTec-LOCO", "defect": "structural_anomalies", "is_normal": False,
        "subtask": "defect_classification", "question_type": "Defect Classification", "answer": "D",
        "D": "Structural anomalies.",
        "mask_path": "MVTec-LOCO/juice_bottle/ground_truth/structural_anomalies/001/000.png"},
    "DS-MVTec/bottle/image/good/000.png#2": {
        "source": "DS-MVTec", "category": "bottle", "defect": "good", "is_normal": True,
        "subtask": "object_analysis", "question_type": "Object Structure", "answer": "D", "mask_path": None,
        "template_path": "MVTec-AD/bottle/train/good/012.png"},
    "DS-MVTec/pill/image/good/000.png#0": {
        "is_normal": True, "subtask": "anomaly_discrimination", "A": "No.", "B": "Yes.", "answer": "A",
        "known_issue": "metal_nut image filed under pill (jam-cc/MMAD issues #15, #19, #21)"},
}
KNOWN_IDS = {
    "DS-MVTec/bottle/image/good/000.png": ["Anomaly Detection", "Object Classification", "Object Structure",
                                           "Object Details", "Object Analysis"],
    "GoodsAD/food_package/test/broken/000_002.jpg": ["Anomaly Detection", "Defect Localization"],
}


def _check_known(rows_by_id: dict) -> None:
    for qid, expected in KNOWN_ROWS.items():
        assert {column: rows_by_id[qid][column] for column in expected} == expected, qid
    for image, types in KNOWN_IDS.items():
        found = [(qid, row["question_type"]) for qid, row in rows_by_id.items() if row["image_path"] == image]
        assert found == [(f"{image}#{i}", qtype) for i, qtype in enumerate(types)]


def test_known_questions_of_the_reader(small_root):
    _check_known({row["question_id"]: row for row in mm.read_rows(small_root)})


def test_known_questions_of_the_builder(small_root, tmp_path):
    builder = mm.MMAD(config_name="all", data_dir=str(small_root), cache_dir=str(tmp_path))
    builder.download_and_prepare()
    ds = builder.as_dataset(split="test").remove_columns(list(mm.IMAGE_COLUMNS))
    _check_known({row["question_id"]: row for row in ds})


def test_known_questions_of_the_exported_answer_key(exported):
    lines = (exported.out / "answer_key.jsonl").read_text(encoding="utf-8").splitlines()
    _check_known({row["question_id"]: row for row in map(json.loads, lines)})
