"""The exported folder, uploaded to a fake of the Hub HTTP API, loads with `load_dataset("<org>/MMAD", config)`."""

from __future__ import annotations

import os

import datasets
import pytest
from fake_hub import fake_hub  # noqa: F401  (pytest fixture)
from huggingface_hub import HfApi
from PIL import Image

import mmad_dataset as mm

REPO = "mmad-org/MMAD"
#: huggingface_hub's own upload code triggers an httpx deprecation warning per file.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_uploaded_export_loads_by_repo_id(exported, fake_hub):  # noqa: F811
    api = HfApi(endpoint=fake_hub.url, token="fake-token")
    api.create_repo(REPO, repo_type="dataset")
    api.upload_folder(folder_path=exported.out, repo_id=REPO, repo_type="dataset")
    assert not any(path.endswith(".py") for path in fake_hub.files(REPO))

    assert datasets.get_dataset_config_names(REPO) == list(mm.CONFIG_NAMES)
    ds = datasets.load_dataset(REPO, "visa", split="test")
    local = datasets.load_dataset(str(exported.out), "visa", split="test")
    assert ds.num_rows == exported.configs["visa"]
    assert ds.features == mm.features()
    assert ds["question_id"] == local["question_id"]
    abnormal = next(row for row in ds if not row["is_normal"])
    assert isinstance(abnormal["image"], Image.Image) and abnormal["image"].size == (32, 32)
    assert isinstance(abnormal["template_image"], Image.Image) and abnormal["mask"] is not None
    stored = ds.cast_column("image", datasets.Image(decode=False))[0]["image"]["path"]
    assert stored.startswith(os.environ["HF_HOME"]), "images must come from the Hub download, not the local folder"
