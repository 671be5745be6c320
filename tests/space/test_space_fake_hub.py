"""The fake Hub honours the contract `huggingface_hub` and `datasets` rely on (tests/fake_hub.py)."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError


def test_folder_upload_with_lfs_then_load_dataset_by_config(fake_hub, tmp_path):
    import datasets
    import pandas as pd

    folder = tmp_path / "export"
    for source, values in (("VisA", [1, 2]), ("GoodsAD", [3])):
        (folder / "data" / source).mkdir(parents=True)
        pd.DataFrame({"v": values, "source": source}).to_parquet(folder / "data" / source / "t-00000-of-00001.parquet")
    (folder / "README.md").write_text(
        "---\nconfigs:\n- config_name: all\n  default: true\n  data_files: [{split: test, path: \"data/*/*.parquet\"}]\n"
        "- config_name: visa\n  data_files: [{split: test, path: \"data/VisA/*.parquet\"}]\n---\n# test\n")
    api = HfApi(endpoint=fake_hub.url, token="t")
    api.create_repo("org/MMAD", repo_type="dataset")
    api.upload_folder(folder_path=folder, repo_id="org/MMAD", repo_type="dataset")
    assert fake_hub.repos[("dataset", "org/MMAD")].head.lfs == {
        "data/VisA/t-00000-of-00001.parquet", "data/GoodsAD/t-00000-of-00001.parquet"}
    assert datasets.get_dataset_config_names("org/MMAD") == ["all", "visa"]
    assert datasets.load_dataset("org/MMAD", "visa", split="test")["v"] == [1, 2]
    assert len(datasets.load_dataset("org/MMAD", split="test")) == 3


def test_missing_things_answer_with_the_hub_error_codes(fake_hub):
    api = HfApi(endpoint=fake_hub.url, token="t")
    with pytest.raises(RepositoryNotFoundError):
        api.list_repo_files("org/none", repo_type="dataset")
    api.create_repo("org/x", repo_type="dataset")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("org/x", "nope.txt", repo_type="dataset")
    with pytest.raises(EntryNotFoundError):
        list(api.list_repo_tree("org/x", path_in_repo="no/dir", repo_type="dataset"))


def test_injected_failure_changes_nothing(fake_hub):
    api = HfApi(endpoint=fake_hub.url, token="t")
    api.create_repo("org/y", repo_type="dataset")
    fake_hub.fail_commits(503)
    with pytest.raises(Exception, match="503"):
        api.upload_file(path_or_fileobj=b"a", path_in_repo="a.txt", repo_id="org/y", repo_type="dataset")
    assert "a.txt" not in fake_hub.files("org/y")
    api.upload_file(path_or_fileobj=b"a", path_in_repo="a.txt", repo_id="org/y", repo_type="dataset")
    assert fake_hub.files("org/y")["a.txt"] == b"a"
