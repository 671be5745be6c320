"""`mmad publish` behaviours the mutation run found unpinned, tested in-process and fast.

`PythonHub` stands in for the five `HfApi` methods publish calls (`create_repo`, `list_repo_tree`,
`create_commit`, `dataset_info`), at the Python level, with branches, LFS entries (SHA-256) and regular
ones (git blob id) as the Hub lists them; it is NOT the Hub's HTTP API, which `tests/fake_hub.py` fakes
for the end-to-end tests in test_publish.py. Expectations come from the export's files on disk.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

import mmad_dataset as mm
from mmad import publish as pub
from mmad.card import with_repo_id

REPO = "org/MMAD"
LFS_SUFFIXES = (".parquet", ".png", ".jpg", ".jpeg", ".zip")


def _blob_id(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


class PythonHub:
    """Dataset repos: branch → {path: bytes}; every commit recorded as (branch, message, paths)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        import huggingface_hub

        self.repos: dict[str, dict[str, dict[str, bytes]]] = {}
        self.private: dict[str, bool] = {}
        self.commits: list[tuple[str, str, list[str]]] = []
        self.heads: dict[tuple[str, str], str] = {}
        self.fail_next_commit = False
        for name in ("create_repo", "list_repo_tree", "create_commit", "dataset_info"):
            monkeypatch.setattr(huggingface_hub.HfApi, name, getattr(self, name))

    def _branch(self, repo_id, repo_type, revision) -> dict[str, bytes]:
        if repo_type != "dataset" or repo_id not in self.repos:
            raise OSError(f"404: no {repo_type} repo {repo_id}")
        branches = self.repos[repo_id]
        if (revision or "main") not in branches:
            raise OSError(f"404: no revision {revision}")
        return branches[revision or "main"]

    def create_repo(self, repo_id, *, repo_type=None, private=False, exist_ok=False):
        if repo_id in self.repos:
            if not exist_ok:
                raise OSError(f"409: {repo_id} already exists")
            return
        if repo_type == "dataset":
            self.repos[repo_id] = {"main": {".gitattributes": b"*.png filter=lfs\n"}}
            self.private[repo_id] = private

    def list_repo_tree(self, repo_id, *, repo_type=None, revision=None, recursive=False):
        files = self._branch(repo_id, repo_type, revision)
        folders = {"/".join(path.split("/")[:depth]) for path in files for depth in range(1, path.count("/") + 1)}
        for folder in sorted(folders):
            if recursive or "/" not in folder:
                yield SimpleNamespace(path=folder, tree_id="0" * 40)  # a folder has no size
        for path, content in files.items():
            if recursive or "/" not in path:
                lfs = SimpleNamespace(sha256=hashlib.sha256(content).hexdigest(), size=len(content)) \
                    if path.endswith(LFS_SUFFIXES) else None
                yield SimpleNamespace(path=path, size=len(content), blob_id=_blob_id(content), lfs=lfs)

    def create_commit(self, repo_id, operations, *, repo_type=None, revision=None, commit_message=None):
        files = self._branch(repo_id, repo_type, revision)
        if not commit_message:
            raise ValueError("`commit_message` can't be empty, please pass a value.")
        if self.fail_next_commit:
            self.fail_next_commit = False
            raise OSError("Connection reset by peer")
        for op in operations:
            source = op.path_or_fileobj
            files[op.path_in_repo] = source if isinstance(source, bytes) else Path(source).read_bytes()
        self.commits.append((revision or "main", commit_message, [op.path_in_repo for op in operations]))
        self.heads[(repo_id, revision or "main")] = hashlib.sha1(str(len(self.commits)).encode()).hexdigest()

    def dataset_info(self, repo_id, *, revision=None):
        self._branch(repo_id, "dataset", revision)
        return SimpleNamespace(sha=self.heads.get((repo_id, revision or "main"), "0" * 40))


@pytest.fixture
def hub(monkeypatch) -> PythonHub:
    return PythonHub(monkeypatch)


@pytest.fixture(scope="module")
def tiny_export(tiny_root, tmp_path_factory) -> Path:
    from mmad.export import export_root

    return export_root(tiny_root, tmp_path_factory.mktemp("tiny-export") / "MMAD").out


@pytest.fixture
def export(tiny_export, tmp_path) -> Path:
    """A copy of the export of the tiny root, free to change."""
    return Path(shutil.copytree(tiny_export, tmp_path / "export"))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _same_size_change(path: Path) -> None:
    content = bytearray(path.read_bytes())
    content[-2] ^= 0x01
    path.write_bytes(bytes(content))


def test_publish_sends_batches_with_the_card_last_and_reports_them(export, hub, monkeypatch, capsys):
    monkeypatch.setattr(pub, "BATCH_FILES", 7)
    (export / ".cache").mkdir()
    (export / ".cache" / "lock").write_text("local only")
    (export / ".DS_Store").write_bytes(b"local only")
    (export / "VisA" / ".ipynb_checkpoints").mkdir()
    (export / "VisA" / ".ipynb_checkpoints" / "x.png").write_bytes(b"local only")
    local = _files(export)
    data = sorted(path for path in local if "/." not in "/" + path and path != "README.md")
    batches = -(-len(data) // 7)
    summary = pub.publish(export, REPO, private=True, progress=True)

    assert [message for _, message, _ in hub.commits] == [f"MMAD export ({n}/{batches})" for n in range(1, batches + 1)]
    sent = [paths for _, _, paths in hub.commits]
    assert [len(paths) for paths in sent] == [7] * (batches - 1) + [len(data) - 7 * (batches - 1) + 1]
    assert [p for paths in sent for p in paths] == [*data, "README.md"], "sorted, each once, the card last"
    remote = hub.repos[REPO]["main"]
    assert {p: c for p, c in remote.items() if p not in (".gitattributes", "README.md")} == {p: local[p] for p in data}
    assert remote["README.md"] == with_repo_id(local["README.md"].decode("utf-8"), REPO).encode("utf-8")
    assert hub.private[REPO] is True
    assert summary == pub.PublishSummary(REPO, hub.heads[(REPO, "main")], export, len(data) + 1, 0, batches)
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"committed {n}/{batches}: {len(paths):,} file(s)" for n, paths in enumerate(sent, 1)]


def test_a_rerun_sends_only_what_changed(export, hub, capsys):
    first = pub.publish(export, REPO)
    assert hub.private[REPO] is False and first.commits == 1
    again = pub.publish(export, REPO)
    assert (again.uploaded, again.unchanged, again.commits) == (0, first.uploaded, 0)
    assert len(hub.commits) == 1 and capsys.readouterr().out == ""

    png = next(p for p in sorted(export.rglob("*.png")))
    _same_size_change(png)  # an LFS file: told apart by its SHA-256
    _same_size_change(export / "domain_knowledge.json")  # a regular file: told apart by its git blob id
    third = pub.publish(export, REPO)
    assert hub.commits[-1][2] == sorted([png.relative_to(export).as_posix(), "domain_knowledge.json"])
    assert (third.uploaded, third.unchanged, third.commits) == (2, first.uploaded - 2, 1)
    assert hub.repos[REPO]["main"]["domain_knowledge.json"] == (export / "domain_knowledge.json").read_bytes()


@pytest.mark.parametrize("edit", ["same size", "longer"])
def test_a_changed_card_alone_is_sent_alone(export, hub, edit, monkeypatch):
    import io

    # A machine whose locale is not UTF-8 (Windows' cp1252, a POSIX locale): the card is still read as UTF-8.
    monkeypatch.setattr(io, "text_encoding", lambda encoding, stacklevel=2: encoding or "ascii")
    pub.publish(export, REPO)
    card = export / "README.md"
    assert not card.read_bytes().isascii(), "the card must hold non-ASCII text for this test to mean much"
    if edit == "same size":
        _same_size_change(card)
    else:
        card.write_text(card.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    summary = pub.publish(export, REPO)
    assert hub.commits[-1][1:] == ("MMAD export (1/1)", ["README.md"])
    assert (summary.uploaded, summary.commits) == (1, 1)
    assert hub.repos[REPO]["main"]["README.md"] == with_repo_id(card.read_text(encoding="utf-8"), REPO).encode()


def test_publish_to_a_branch_leaves_main_alone(export, hub):
    hub.create_repo(REPO, repo_type="dataset")
    hub.repos[REPO]["v1"] = {}
    summary = pub.publish(export, REPO, revision="v1")
    assert {branch for branch, _, _ in hub.commits} == {"v1"}
    assert "README.md" in hub.repos[REPO]["v1"] and "README.md" not in hub.repos[REPO]["main"]
    assert summary.revision == hub.heads[(REPO, "v1")]
    assert pub.publish(export, REPO, revision="v1").uploaded == 0


def test_a_failed_commit_is_one_line_naming_the_repo(export, hub, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # the suite runs offline
    hub.fail_next_commit = True
    with pytest.raises(mm.MMADError) as caught:
        pub.publish(export, REPO)
    assert str(caught.value).startswith(f"{REPO}: cannot reach the Hub at {constants.ENDPOINT} "
                                        "(Connection reset by peer)")


# --- the export publish makes of a raw root -----------------------------------------------------------


@pytest.fixture
def raw_root(tiny_root, tmp_path) -> Path:
    return Path(shutil.copytree(tiny_root, tmp_path / "ALL_DATA"))


def test_a_raw_root_is_exported_beside_it_with_hard_links(raw_root, hub, capsys):
    summary = pub.publish(raw_root, REPO, progress=True)
    export = raw_root.with_name("ALL_DATA-hub")
    assert summary.export == export and pub.is_export(export)
    some = next(p for p in sorted((raw_root / "VisA").rglob("*")) if p.is_file())
    assert (export / some.relative_to(raw_root)).stat().st_ino == some.stat().st_ino
    assert "copying images: 100%" in capsys.readouterr().err
    assert pub.publish(raw_root, REPO).export == export  # reused, not exported again


def test_a_raw_root_is_exported_where_asked_and_copied_across_file_systems(raw_root, hub, tmp_path, monkeypatch,
                                                                               capsys):
    def no_links(source, target):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    work = tmp_path / "elsewhere" / "export"
    summary = pub.publish(raw_root, REPO, work=str(work), progress=True)
    assert "copying images: 100%" in capsys.readouterr().err
    assert summary.export == work and not raw_root.with_name("ALL_DATA-hub").exists()
    some = next(p for p in sorted((raw_root / "VisA").rglob("*")) if p.is_file())
    copied = work / some.relative_to(raw_root)
    assert copied.read_bytes() == some.read_bytes() and copied.stat().st_ino != some.stat().st_ino


def test_an_export_of_another_mmad_json_is_refused(raw_root, hub, tmp_path):
    work = tmp_path / "export"
    pub.prepare_export(raw_root, work, progress=False)
    assert pub.prepare_export(raw_root, work, progress=False) == work
    (raw_root / "mmad.json").write_text((raw_root / "mmad.json").read_text() + "\n")
    message = f"{work}: holds an export of another mmad.json; remove it or pass --export-dir"
    with pytest.raises(mm.MMADError) as caught:
        pub.prepare_export(raw_root, work, progress=False)
    assert str(caught.value) == message
    (work / "mmad.json").unlink()  # an export without its mmad.json is not this root's either
    with pytest.raises(mm.MMADError) as caught:
        pub.prepare_export(raw_root, work, progress=False)
    assert str(caught.value) == message


@pytest.mark.parametrize("lacking", ["README.md", "metadata-all.parquet", "answer_key.jsonl"])
def test_a_folder_lacking_an_export_file_is_not_an_export(export, lacking):
    assert pub.is_export(export)
    (export / lacking).unlink()
    assert not pub.is_export(export)


@pytest.mark.parametrize("sizes, files, limit, expected", [
    ([4, 6, 1], 100, 10, [[4, 6], [1]]),  # exactly at the byte limit: one commit
    ([3, 3, 3], 100, 8, [[3, 3], [3]]),
    ([5, 6, 4], 100, 10, [[5], [6, 4]]),  # a new commit starts from 0 bytes
    ([20, 1, 2], 100, 10, [[20], [1, 2]]),  # a file over the limit goes alone
    ([1, 1, 1, 1, 1], 2, 100, [[1, 1], [1, 1], [1]]),
    ([], 2, 100, []),
])
def test_batches_hold_at_most_the_file_and_byte_limits(tmp_path, monkeypatch, sizes, files, limit, expected):
    monkeypatch.setattr(pub, "BATCH_FILES", files)
    monkeypatch.setattr(pub, "BATCH_BYTES", limit)
    listed = []
    for number, size in enumerate(sizes):
        path = tmp_path / f"f{number}"
        path.write_bytes(b"x" * size)
        listed.append((path.name, path))
    assert [[path.stat().st_size for _, path in batch] for batch in pub._batches(listed)] == expected


def test_an_export_folder_that_cannot_be_made_is_reported_as_such(raw_root, hub, tmp_path, monkeypatch):
    import mmad.export

    def refused(out):
        raise PermissionError(13, "Permission denied", str(out))

    monkeypatch.setattr(mmad.export, "_prepare_out", refused)
    with pytest.raises(PermissionError, match="Permission denied"):
        pub.prepare_export(raw_root, tmp_path / "locked" / "export", progress=False)
