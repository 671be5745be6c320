"""`mmad publish` splitting by bytes, and `mmad download` after the Hub's zip changed, on the fake Hub.

- publish: no commit carries more than the byte limit (a single larger file goes alone), and no two
  consecutive commits would have fit in one: the Hub gets as few commits as the limit allows;
- download: a zip replaced on the Hub since the last run is fetched again and checked against its
  new SHA-256, never skipped because a zip of that name was unpacked before.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from authors_repo import AUTHORS, upload_authors_repo, zip_folder
from fake_hub import fake_hub  # noqa: F401  (pytest fixture)
from huggingface_hub import CommitOperationAdd, HfApi

from mmad.cli import main

REPO = "mmad-org/MMAD"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _added_per_commit(hub, repo: str) -> list[dict[str, int]]:
    """Each commit after the repo's creation: path → size of what it added or changed."""
    commits = hub.repos[("dataset", repo)].commits
    return [{path: len(content) for path, content in after.files.items() if before.files.get(path) != content}
            for before, after in zip(commits, commits[1:])]


def test_fake_hub_publish_splits_commits_by_bytes(small_root, fake_hub, tmp_path, monkeypatch, capsys):  # noqa: F811
    import mmad.publish
    from mmad.export import export_root

    export = tmp_path / "export"
    export_root(small_root, export)
    sizes = {p.relative_to(export).as_posix(): p.stat().st_size for p in export.rglob("*") if p.is_file()}
    data = {path: size for path, size in sizes.items() if path != "README.md"}
    limit = max(sum(data.values()) // 5, max(data.values()) // 2)  # a few files are larger than the limit
    monkeypatch.setattr(mmad.publish, "BATCH_BYTES", limit)
    monkeypatch.setattr(mmad.publish, "BATCH_FILES", 10**6)  # only bytes can split
    assert main(["publish", str(export), "--repo", REPO]) == 0
    commits = [{p: n for p, n in added.items() if p not in ("README.md", ".gitattributes")}
               for added in _added_per_commit(fake_hub, REPO)]
    assert sum(len(c) for c in commits) == len(data)
    assert {p: n for c in commits for p, n in c.items()} == data, "every file arrives exactly once, whole"
    for added in commits:
        assert sum(added.values()) <= limit or len(added) == 1, f"a commit of {sum(added.values()):,} bytes"
    for this, following in zip(commits, commits[1:]):
        assert sum(this.values()) + sum(following.values()) > limit, "two commits that fit in one"
    assert len(commits) > 2 and any(len(c) == 1 and sum(c.values()) > limit for c in commits)
    assert f"uploaded in {len(commits)} commit(s)" in capsys.readouterr().out


def _replace_on_hub(files: dict[str, bytes]) -> None:
    HfApi().create_commit(AUTHORS, [CommitOperationAdd(name, content) for name, content in files.items()],
                          repo_type="dataset", commit_message="the authors re-upload")


def _zip_gets(hub) -> list[str]:
    return [path.rsplit("/", 1)[-1] for method, path in hub.requests if method == "GET" and path.endswith(".zip")]


def _changed_root(small_root: Path, tmp_path: Path) -> tuple[Path, str]:
    """A copy of the root whose VisA folder has one image changed; that image's path."""
    changed = tmp_path / "changed"
    shutil.copytree(small_root, changed)
    image = sorted(p for p in (changed / "VisA").rglob("*") if p.is_file() and p.suffix.lower() in (".png", ".jpg"))[0]
    image.write_bytes(image.read_bytes()[:-4] + b"\x00\x01\x02\x03")
    return changed, image.relative_to(changed).as_posix()


def test_fake_hub_download_refetches_a_zip_the_hub_replaced(small_root, fake_hub, tmp_path, capsys):  # noqa: F811
    upload_authors_repo(small_root)
    out = tmp_path / "root"
    assert main(["download", "--sources", "visa", "--out", str(out)]) == 0
    changed, image = _changed_root(small_root, tmp_path)
    _replace_on_hub({"VisA.zip": zip_folder(changed, "VisA")})
    capsys.readouterr()

    assert main(["download", "--sources", "visa", "--out", str(out)]) == 2, "files would be overwritten silently"
    err = capsys.readouterr().err
    assert "VisA.zip" in err and "--force" in err
    assert _zip_gets(fake_hub) == ["VisA.zip", "VisA.zip"], "the new zip is fetched, not skipped by its name"

    assert main(["download", "--sources", "visa", "--out", str(out), "--force"]) == 0
    assert (out / image).read_bytes() == (changed / image).read_bytes()
    assert "skipped: VisA.zip" not in capsys.readouterr().out
    assert main(["download", "--sources", "visa", "--out", str(out)]) == 0
    assert "skipped: VisA.zip" in capsys.readouterr().out, "once unpacked, the new zip is done"


def test_fake_hub_download_verifies_the_replaced_zip_against_its_new_sha256(small_root, fake_hub,  # noqa: F811
                                                                           tmp_path, monkeypatch, capsys):
    """The cached copy of the old zip must not pass for the new one: the new SHA-256 is checked."""
    import mmad.download

    upload_authors_repo(small_root)
    out = tmp_path / "root"
    assert main(["download", "--sources", "visa", "--out", str(out)]) == 0
    changed, _ = _changed_root(small_root, tmp_path)
    _replace_on_hub({"VisA.zip": zip_folder(changed, "VisA")})
    checked: list[str] = []
    real = mmad.download.file_sha256
    monkeypatch.setattr(mmad.download, "file_sha256", lambda path: checked.append(real(path)) or checked[-1])
    capsys.readouterr()
    assert main(["download", "--sources", "visa", "--out", str(out), "--force"]) == 0
    assert hashlib.sha256(zip_folder(changed, "VisA")).hexdigest() in checked
