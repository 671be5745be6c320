"""The Hub round trip against the fake Hub: the authors' zips → `mmad download` → `mmad publish` →
`load_dataset("<org>/MMAD", config)` for every config → `mmad predict --dataset` with the tiny model
in every setting → `mmad score`, as a user would run it (`HF_ENDPOINT` set, download and publish in
fresh processes). Expectations come from the synthetic root the zips were made from, read with plain
`json` and Pillow, not from the code under test."""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path

import datasets
import numpy as np
import pytest
from authors_repo import upload_authors_repo
from fake_hub import fake_hub  # noqa: F401  (pytest fixture)
from PIL import Image

import mmad_dataset as mm
from mmad.cli import main

REPO = "mmad-org/MMAD"
LIMIT = 8
#: `mmad predict` settings (flags) the published dataset must serve; k-shot needs templates 2 to 4.
SETTINGS = {"0-shot": ["--setting", "0-shot"], "1-shot": [], "1-shot+": ["--setting", "1-shot+"],
            "4-shot": ["--setting", "k-shot", "--shots", "4"]}
SOURCE_CONFIG = {"DS-MVTec": "ds_mvtec", "MVTec-LOCO": "mvtec_loco", "VisA": "visa", "GoodsAD": "goodsad"}
#: huggingface_hub's own upload code triggers an httpx deprecation warning per file.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _expected_ids(root: Path) -> dict[str, list[str]]:
    """Question ids per config, in mmad.json order, from the raw file and the upstream type names."""
    subtask = {"Anomaly Detection": "anomaly_discrimination", "Defect Classification": "defect_classification",
               "Defect Localization": "defect_localization", "Defect Description": "defect_description",
               "Defect Analysis": "defect_analysis", "Object Classification": "object_classification",
               "Object Analysis": "object_analysis", "Object Structure": "object_analysis",
               "Object Details": "object_analysis"}
    ids: dict[str, list[str]] = collections.defaultdict(list)
    for key, entry in json.loads((root / "mmad.json").read_text()).items():
        for index, item in enumerate(entry["conversation"]):
            for config in ("all", subtask[item["type"]], SOURCE_CONFIG[key.split("/")[0]]):
                ids[config].append(f"{key}#{index}")
    return ids


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image)


def _mmad(*args: str | Path) -> subprocess.CompletedProcess:
    """The `mmad` command in a fresh process; it inherits HF_ENDPOINT, HF_HOME and HF_TOKEN from the fixtures."""
    return subprocess.run([sys.executable, "-m", "mmad.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def test_fake_hub_round_trip_authors_zips_to_load_dataset_to_predict(small_root, fake_hub, tmp_path,  # noqa: F811
                                                                     capsys):
    upload_authors_repo(small_root)
    root = tmp_path / "ALL_DATA"
    download = _mmad("download", "--out", root)
    assert download.returncode == 0, download.stderr
    publish = _mmad("publish", root, "--repo", REPO)
    assert publish.returncode == 0, publish.stderr

    raw = json.loads((small_root / "mmad.json").read_text())
    hub_files = fake_hub.files(REPO)
    assert not any(path.endswith(".py") for path in hub_files)
    for key, entry in raw.items():  # every image any setting can show is on the Hub, byte for byte
        for rel in (key, *entry["random_templates"], *entry["similar_templates"]):
            assert hub_files[rel] == (small_root / rel).read_bytes()
    assert hub_files["mmad.json"] == (small_root / "mmad.json").read_bytes()

    expected = _expected_ids(small_root)
    assert datasets.get_dataset_config_names(REPO) == list(mm.CONFIG_NAMES)
    for config in mm.CONFIG_NAMES:
        ds = datasets.load_dataset(REPO, config, split="test")
        assert ds["question_id"] == expected[config], config
        assert ds.features == mm.features()
        stored = ds.cast_column("image", datasets.Image(decode=False))[0]["image"]["path"]
        assert stored.startswith(os.environ["HF_HOME"]), "images must come from the Hub download"

    ds = datasets.load_dataset(REPO, "all", split="test")
    for row in ds:
        entry = raw[row["image_path"]]
        with Image.open(small_root / row["image_path"]) as original:
            assert np.array_equal(_pixels(row["image"]), _pixels(original))
        with Image.open(small_root / entry["random_templates"][0]) as template:
            assert np.array_equal(_pixels(row["template_image"]), _pixels(template))
        with Image.open(small_root / entry["similar_templates"][0]) as similar:
            assert np.array_equal(_pixels(row["similar_template_image"]), _pixels(similar))
        if entry["mask_path"]:
            source, category = row["image_path"].split("/")[:2]
            with Image.open(small_root / source / category / entry["mask_path"]) as mask:
                assert np.array_equal(_pixels(row["mask"]), _pixels(mask))
        else:
            assert row["mask"] is None

    first = expected["all"][:LIMIT]
    for name, flags in SETTINGS.items():
        out = tmp_path / f"tiny {name}.jsonl"
        assert main(["predict", "--dataset", REPO, "--model", "tiny", "--out", str(out), "--limit", str(LIMIT),
                     "--max-new-tokens", "3", *flags]) == 0, name
        printed = capsys.readouterr().out
        assert [json.loads(line)["question_id"] for line in out.read_text().splitlines()] == first, name
        assert main(["score", str(out), "--key", str(root)]) == 0, name
        table = capsys.readouterr().out
        assert "Anomaly Discrimination" in table and table in printed, name
