"""The `datasets` builder in `mmad_dataset.py`, used directly on a raw root."""

from __future__ import annotations

import collections

import pytest

import mmad_dataset as mm


def _expected_counts(root) -> dict[str, int]:
    """Questions per config, straight from mmad.json (not through the reader under test)."""
    counts: collections.Counter[str] = collections.Counter()
    for key, entry in mm.load_mmad_json(root).items():
        source = key.split("/")[0]
        for item in entry["conversation"]:
            counts["all"] += 1
            counts[mm.TYPE_TO_SUBTASK[item["type"]]] += 1
            counts[{v: k for k, v in mm.SOURCE_CONFIGS.items()}[source]] += 1
    return counts


@pytest.mark.parametrize("config", mm.CONFIG_NAMES)
def test_builder_each_config(small_root, tmp_path, config):
    builder = mm.MMAD(config_name=config, data_dir=str(small_root), cache_dir=str(tmp_path))
    builder.download_and_prepare()
    ds = builder.as_dataset(split="test")
    assert ds.num_rows == _expected_counts(small_root)[config] > 0
    assert ds.features == mm.features()
    if config in mm.SOURCE_CONFIGS:
        assert set(ds["source"]) == {mm.SOURCE_CONFIGS[config]}
    elif config in mm.SUBTASKS:
        assert set(ds["subtask"]) == {config}
    row = ds[0]
    assert row["image"].size == (32, 32)
    assert row["template_image"].size == (32, 32)
    assert (row["mask"] is None) == row["is_normal"]


def test_builder_without_data_dir_says_what_is_needed(tmp_path):
    builder = mm.MMAD(config_name="all", cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match="data_dir=<raw MMAD root"):
        builder.download_and_prepare()
