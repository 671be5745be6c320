"""`mmad publish` against the fake Hub: exports, uploads in batched commits, resumes, refuses bad roots."""

from __future__ import annotations

import shutil

import pytest
from fake_hub import fake_hub  # noqa: F401  (pytest fixture)

from mmad.cli import main

REPO = "mmad-org/MMAD"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _tree(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_fake_hub_publish_uploads_the_export_with_its_card(small_root, fake_hub, tmp_path, capsys):  # noqa: F811
    root = tmp_path / "ALL_DATA"
    shutil.copytree(small_root, root)
    assert main(["publish", str(root), "--repo", REPO]) == 0
    export = tmp_path / "ALL_DATA-hub"
    local = _tree(export)
    remote = fake_hub.files(REPO)
    card = remote.pop("README.md").decode()
    remote.pop(".gitattributes")
    assert remote == {k: v for k, v in local.items() if k != "README.md"}
    assert f'load_dataset("{REPO}", "all", split="test")' in card and "<org>/MMAD" not in card
    assert (export / "mmad.json").read_bytes() == (small_root / "mmad.json").read_bytes()
    assert "uploaded in 1 commit(s)" in capsys.readouterr().out

    commits = fake_hub.commit_count(REPO)
    assert main(["publish", str(root), "--repo", REPO]) == 0
    assert fake_hub.commit_count(REPO) == commits, "an unchanged export must not make a commit"
    assert "0 file(s) uploaded in 0 commit(s)" in capsys.readouterr().out


def test_fake_hub_interrupted_publish_resumes(small_root, fake_hub, tmp_path, monkeypatch, capsys):  # noqa: F811
    import mmad.publish

    monkeypatch.setattr(mmad.publish, "BATCH_FILES", 200)
    export = tmp_path / "export"
    from mmad.export import export_root

    export_root(small_root, export)
    files = len(_tree(export))
    batches = -(-(files - 1) // 200)
    fake_hub.stall_commits(0, count=2)  # two commits go through ...
    fake_hub.fail_commits(500, count=1)  # ... then the Hub fails one
    assert main(["publish", str(export), "--repo", REPO]) == 2
    assert "answered HTTP 500" in capsys.readouterr().err
    assert fake_hub.commit_count(REPO) == 1 + 2
    assert "README.md" not in fake_hub.files(REPO), "the card (the configs) comes with the last batch only"

    assert main(["publish", str(export), "--repo", REPO]) == 0
    out = capsys.readouterr().out
    assert f"{files - 2 * 200:,} file(s) uploaded in {batches - 2} commit(s), {2 * 200:,} already there" in out
    remote = fake_hub.files(REPO)
    assert set(remote) - {".gitattributes"} == set(_tree(export))


def test_publish_refuses_a_root_that_fails_validation(small_root, fake_hub, tmp_path, capsys):  # noqa: F811
    root = tmp_path / "root"
    shutil.copytree(small_root, root)
    next((root / "VisA").rglob("*.JPG")).unlink()
    assert main(["publish", str(root), "--repo", REPO]) == 2
    err = capsys.readouterr().err
    assert "1 referenced file(s) missing" in err and "Traceback" not in err
    assert ("dataset", REPO) not in fake_hub.repos
    assert not (tmp_path / "root-hub").exists()
