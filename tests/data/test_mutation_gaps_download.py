"""`mmad download` behaviours the mutation run found unpinned, tested in-process and fast.

`PythonHub` stands in for the two `huggingface_hub` calls the command makes (`HfApi.dataset_info`,
`hf_hub_download`) at the Python level, with a cache laid out as the HF cache is (snapshot links to
blobs); it is NOT the Hub's HTTP API, which `tests/fake_hub.py` fakes for the end-to-end tests in
test_download.py. Zips are built here from the synthetic root or by hand; expectations come from
the raw files, not from the code under test.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from authors_repo import FOLDERS, zip_folder, zip_of

import mmad_dataset as mm
from mmad import download as dl

REPO = "authors/MMAD"
SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
SHA_V1 = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"


class PythonHub:
    """Files of one dataset repo at two commits (`main` → SHA, `v1` → SHA_V1, same files)."""

    def __init__(self, cache: Path, files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch):
        import huggingface_hub

        self.cache, self.files, self.downloads = cache, dict(files), []
        self.sizes: dict[str, int | None] = {}
        monkeypatch.setattr(huggingface_hub.HfApi, "dataset_info", self.dataset_info)
        monkeypatch.setattr(huggingface_hub, "hf_hub_download", self.hf_hub_download)

    def _commit(self, revision: str | None) -> str:
        commits = {None: SHA, "main": SHA, SHA: SHA, "v1": SHA_V1, SHA_V1: SHA_V1}
        if revision not in commits:
            raise OSError(f"no revision {revision}")
        return commits[revision]

    def dataset_info(self, repo_id, *, revision=None, files_metadata=False):
        if repo_id != REPO:
            raise OSError(f"no repo {repo_id}")
        siblings = [SimpleNamespace(rfilename=name, size=self.sizes.get(name, len(content)) if files_metadata else None,
                                    lfs=SimpleNamespace(sha256=hashlib.sha256(content).hexdigest())
                                    if files_metadata and name.endswith(".zip") else None)
                    for name, content in self.files.items()]
        return SimpleNamespace(sha=self._commit(revision), siblings=siblings)

    def hf_hub_download(self, repo_id, filename, *, repo_type=None, revision=None):
        if repo_id != REPO or repo_type != "dataset" or revision not in (SHA, SHA_V1) or filename not in self.files:
            raise OSError(f"404: {repo_type} {repo_id}@{revision}: {filename}")
        self.downloads.append(filename)
        content = self.files[filename]
        blob = self.cache / "blobs" / hashlib.sha256(content).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(content)
        link = self.cache / "snapshots" / revision / filename
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(blob)
        return str(link)


def _authors_files(root: Path) -> dict[str, bytes]:
    files = {name: (root / name).read_bytes() for name in mm.ROOT_TEXT_FILES}
    files.update({f"{folder}.zip": zip_folder(root, folder) for folder in FOLDERS})
    return files


def _tree(folder: Path, *subfolders: str) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for name in subfolders if (folder / name).is_dir()
            for p in (folder / name).rglob("*") if p.is_file()}


def _raw_counts(root: Path, sources: set[str]) -> tuple[int, int]:
    raw = json.loads((root / "mmad.json").read_text(encoding="utf-8"))
    chosen = {key: entry for key, entry in raw.items() if key.split("/")[0] in sources}
    return sum(len(entry["conversation"]) for entry in chosen.values()), len(chosen)


@pytest.fixture
def hub(tiny_root, tmp_path, monkeypatch) -> PythonHub:
    return PythonHub(tmp_path / "cache", _authors_files(tiny_root), monkeypatch)


# --- download(): what is fetched, unpacked, skipped and reported ------------------------------------


def test_download_fetches_unpacks_and_reports_only_what_the_sources_need(tiny_root, hub, tmp_path):
    out = tmp_path / "a" / "b" / "root"
    summary = dl.download(out, sources=["DS-MVTec"], repo=REPO)
    assert hub.downloads == ["mmad.json", "domain_knowledge.json", "DS-MVTec.zip", "MVTec-AD.zip"]
    assert (summary.root, summary.revision) == (out, SHA)
    assert summary.fetched == ["mmad.json", "domain_knowledge.json", "DS-MVTec.zip", "MVTec-AD.zip"]
    assert (summary.extracted, summary.skipped) == (["DS-MVTec", "MVTec-AD"], [])
    assert (summary.rows, summary.images) == _raw_counts(tiny_root, {"DS-MVTec"})
    assert _tree(out, "DS-MVTec", "MVTec-AD") == _tree(tiny_root, "DS-MVTec", "MVTec-AD")
    assert sorted(p.name for p in out.iterdir()) == [".mmad-download.json", "DS-MVTec", "MVTec-AD",
                                                     "domain_knowledge.json", "mmad.json"]
    digest = {name: hashlib.sha256(hub.files[name]).hexdigest() for name in ("DS-MVTec.zip", "MVTec-AD.zip")}
    assert (out / dl.STATE_FILE).read_text(encoding="utf-8") == json.dumps({"extracted": digest}, indent=1) + "\n"

    again = dl.download(out, sources=("VisA", "DS-MVTec"), repo=REPO)  # in any order: root order is used
    assert hub.downloads[4:] == ["mmad.json", "domain_knowledge.json", "VisA.zip"]
    assert (again.fetched, again.extracted) == (["VisA.zip"], ["VisA"])
    assert again.skipped == ["DS-MVTec.zip", "MVTec-AD.zip"]
    assert (again.rows, again.images) == _raw_counts(tiny_root, {"DS-MVTec", "VisA"})


def test_download_pins_the_revision_it_was_given(hub, tmp_path):
    summary = dl.download(tmp_path / "root", sources=["GoodsAD"], repo=REPO, revision="v1")
    assert summary.revision == SHA_V1 and (tmp_path / "cache" / "snapshots" / SHA_V1 / "GoodsAD.zip").exists()
    assert not (tmp_path / "cache" / "snapshots" / SHA).exists()


def test_download_redoes_a_done_zip_whose_folder_is_gone_or_not_its_own(tiny_root, hub, tmp_path):
    out = tmp_path / "root"
    mine = out / "VisA" / "notes.txt"
    mine.parent.mkdir(parents=True)
    mine.write_text("mine")
    first = dl.download(out, sources=["VisA"], repo=REPO)
    assert first.extracted == ["VisA"] and mine.read_text() == "mine"
    import shutil

    shutil.rmtree(out / "VisA")
    again = dl.download(out, sources=["VisA"], repo=REPO)
    assert (again.extracted, again.skipped) == (["VisA"], [])
    assert _tree(out, "VisA") == _tree(tiny_root, "VisA")


def test_download_overwrites_only_with_force(tiny_root, hub, tmp_path):
    out = tmp_path / "root"
    theirs = next(iter(_tree(tiny_root, "VisA")))
    (out / theirs).parent.mkdir(parents=True)
    (out / theirs).write_bytes(b"my own file")
    (out / "mmad.json").write_text("{}")
    with pytest.raises(mm.MMADError, match="mmad.json: already exists with other content; use --force"):
        dl.download(out, sources=["VisA"], repo=REPO)
    (out / "mmad.json").unlink()
    with pytest.raises(mm.MMADError, match=r"1 file\(s\) of VisA.zip already exist"):
        dl.download(out, sources=["VisA"], repo=REPO)
    (out / "mmad.json").write_text("{}")
    summary = dl.download(out, sources=["VisA"], repo=REPO, force=True)
    assert "mmad.json" in summary.fetched and summary.extracted == ["VisA"]
    assert _tree(out, "VisA") == _tree(tiny_root, "VisA")
    assert (out / "mmad.json").read_bytes() == (tiny_root / "mmad.json").read_bytes()


def test_download_names_what_the_repo_lacks(hub, tmp_path):
    del hub.files["VisA.zip"], hub.files["mmad.json"]
    with pytest.raises(mm.MMADError) as caught:
        dl.download(tmp_path / "root", sources=["VisA", "GoodsAD"], repo=REPO)
    assert str(caught.value) == f"{REPO}@{SHA[:12]}: has no mmad.json, VisA.zip; is this the MMAD dataset repo?"
    assert not (tmp_path / "root").exists()


def test_download_progress_bar_names_the_zip(hub, tmp_path, capsys):
    dl.download(tmp_path / "quiet", sources=["VisA"], repo=REPO)
    assert capsys.readouterr().err == ""
    dl.download(tmp_path / "loud", sources=["VisA"], repo=REPO, progress=True)
    err = capsys.readouterr().err
    assert "unpacking VisA.zip: 100%" in err and "file/s" in err


# --- the Hub's metadata and the checks of each download -----------------------------------------------


def test_remote_files_lists_sizes_and_lfs_hashes_at_the_pinned_commit(hub):
    sha, files = dl.remote_files(REPO, "v1")
    assert sha == SHA_V1 and set(files) == set(hub.files)
    content = hub.files["VisA.zip"]
    assert files["VisA.zip"] == dl.RemoteFile("VisA.zip", len(content), hashlib.sha256(content).hexdigest())
    assert files["mmad.json"] == dl.RemoteFile("mmad.json", len(hub.files["mmad.json"]), None)


def test_remote_files_of_a_repo_without_files(hub, monkeypatch):
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub.HfApi, "dataset_info",
                        lambda self, repo_id, **kwargs: SimpleNamespace(sha=SHA, siblings=None))
    assert dl.remote_files(REPO, None) == (SHA, {})


def test_failed_hub_requests_are_one_line_naming_the_repo(hub, tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # the suite runs offline
    with pytest.raises(mm.MMADError) as listing:
        dl.remote_files("someone/else", None)
    assert str(listing.value).startswith(f"someone/else: cannot reach the Hub at {constants.ENDPOINT} "
                                         "(no repo someone/else)")
    with pytest.raises(mm.MMADError) as fetching:
        dl.fetch(REPO, dl.RemoteFile("gone.zip", 1, None), SHA)
    assert str(fetching.value).startswith(f"{REPO}: cannot reach the Hub at {constants.ENDPOINT} (404: ")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(mm.MMADError) as offline:
        dl.fetch(REPO, dl.RemoteFile("gone.zip", 1, None), SHA)
    assert str(offline.value) == (f"{REPO}: offline: HF_HUB_OFFLINE is set, so the Hub cannot be asked; "
                                  "this command needs the Hub; unset it and retry")


def test_fetch_accepts_what_the_hub_lists(hub):
    content = hub.files["mmad.json"]
    for remote in (dl.RemoteFile("mmad.json", len(content), None), dl.RemoteFile("mmad.json", None, None),
                   dl.RemoteFile("mmad.json", None, hashlib.sha256(content).hexdigest())):
        assert dl.fetch(REPO, remote, SHA).read_bytes() == content


@pytest.mark.parametrize("lie", ["size", "sha256"])
def test_fetch_refuses_and_evicts_a_download_that_differs_from_the_hub(hub, lie):
    content = hub.files["VisA.zip"]
    listed = "0" * 64
    remote = (dl.RemoteFile("VisA.zip", len(content) + 1, None) if lie == "size"
              else dl.RemoteFile("VisA.zip", len(content), listed))
    with pytest.raises(mm.MMADError) as caught:
        dl.fetch(REPO, remote, SHA)
    problem = (f"{len(content):,} bytes where the Hub lists {len(content) + 1:,}" if lie == "size"
               else f"SHA-256 differs from the Hub's {listed}")
    assert str(caught.value) == (f"VisA.zip: corrupt download ({problem}); removed from the cache, "
                                 "run again to refetch")
    assert not list((hub.cache / "blobs").iterdir()) and not (hub.cache / "snapshots" / SHA / "VisA.zip").exists()


def test_fetch_evicts_a_cached_file_that_is_not_a_link(hub, monkeypatch):
    import huggingface_hub

    plain = hub.cache / "plain.zip"
    plain.parent.mkdir(parents=True, exist_ok=True)
    plain.write_bytes(b"12345")
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", lambda *args, **kwargs: str(plain))
    with pytest.raises(mm.MMADError, match="corrupt download"):
        dl.fetch(REPO, dl.RemoteFile("plain.zip", 6, None), SHA)
    assert not plain.exists()


# --- unpacking: accepted layouts, refusals, leftovers --------------------------------------------------


def _zip_path(tmp_path: Path, members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> Path:
    path = tmp_path / "archive.zip"
    path.write_bytes(zip_of(members, symlinks))
    return path


def _extract(tmp_path: Path, archive: Path, folder: str = "VisA", *, force: bool = False) -> int:
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    return dl.extract(archive, f"{folder}.zip", folder, root, dl._State(root), force=force, progress=False)


def _written(tmp_path: Path) -> dict[str, bytes]:
    root = tmp_path / "root"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and p.name != dl.STATE_FILE}


def test_extract_accepts_each_layout_and_skips_folders_and_mac_metadata(tmp_path):
    members = {"VisA/": b"", "VisA/candle/": b"", "VisA/candle/a.png": b"1", "VisA/candle/b.png": b"22",
               "ALL_DATA/VisA/top.png": b"3", "candle/c.png": b"4", "VisA\\capsules\\d.png": b"5",
               "__MACOSX/VisA/._a.png": b"mac", "ALL_DATA/__MACOSX/._x": b"mac", "ALL_DATA": b"wrapper"}
    assert _extract(tmp_path, _zip_path(tmp_path, members)) == 5
    assert _written(tmp_path) == {"VisA/candle/a.png": b"1", "VisA/candle/b.png": b"22", "VisA/top.png": b"3",
                                  "VisA/candle/c.png": b"4", "VisA/capsules/d.png": b"5"}
    assert sorted(p.name for p in (tmp_path / "root").iterdir()) == [dl.STATE_FILE, "VisA"]
    assert dl._State(tmp_path / "root").moving("VisA.zip"), "the move is recorded until the zip is marked done"


@pytest.mark.parametrize("folder, member", [("MVTec-AD", "bottle/train/good/000.png"),
                                            ("DS-MVTec", "bottle/test/crack/000.png")])
def test_extract_places_bare_categories_of_the_mvtec_folders(tmp_path, folder, member):
    assert _extract(tmp_path, _zip_path(tmp_path, {member: b"x"}), folder) == 1
    assert _written(tmp_path) == {f"{folder}/{member}": b"x"}


def test_extract_of_a_zip_with_nothing_to_unpack(tmp_path):
    assert _extract(tmp_path, _zip_path(tmp_path, {"VisA/": b"", "__MACOSX/._x": b"mac"})) == 0
    assert _written(tmp_path) == {}


LONG = "VisA/candle/" + "n" * 300 + ".png"


@pytest.mark.parametrize("members, symlinks, why", [
    ({"VisA/ok.png": b"x", "VisA/../../escaped.txt": b"owned"}, {},
     "member 'VisA/../../escaped.txt' would be written outside the target folder"),
    ({"/abs.png": b"owned"}, {}, "member '/abs.png' would be written outside the target folder"),
    ({"C:evil.png": b"owned"}, {}, "member 'C:evil.png' would be written outside the target folder"),
    ({"C:": b"owned"}, {}, "member 'C:' would be written outside the target folder"),
    ({"x": b"owned"}, {}, "member 'x' is not under VisA/"),
    ({"GoodsAD/x.jpg": b"owned"}, {}, "member 'GoodsAD/x.jpg' is not under VisA/"),
    ({}, {"VisA/link.png": "../../escaped.txt"}, "member 'VisA/link.png' is a symbolic link"),
    ({LONG.replace("candle/", "../"): b"x"}, {}, f"member {LONG.replace('candle/', '../')[:200]!r} would be"),
    ({"GoodsAD/" + "n" * 300: b"x"}, {}, f"member {('GoodsAD/' + 'n' * 300)[:200]!r} is not under VisA/"),
    ({}, {LONG: "x"}, f"member {LONG[:200]!r} is a symbolic link"),
])
def test_extract_refuses_unsafe_members_and_writes_nothing(tmp_path, members, symlinks, why):
    with pytest.raises(mm.MMADError) as caught:
        _extract(tmp_path, _zip_path(tmp_path, {"VisA/candle/ok.png": b"x", **members}, symlinks))
    assert str(caught.value).startswith(f"VisA.zip: refused: {why}")
    assert _written(tmp_path) == {} and not (tmp_path / "root" / ".VisA.zip.partial").exists()


def _duplicated(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as bundle:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names it writes
        for number, name in enumerate(names):
            bundle.writestr(name, b"%d" % number)
    return buffer.getvalue()


@pytest.mark.parametrize("names, why", [
    (["VisA/candle/x.png", "VisA/candle/x.png"], "2 members unpack to 'VisA/candle/x.png'"),
    (["VisA/candle/x.png", "ALL_DATA/VisA/candle/x.png", "candle/x.png"], "3 members unpack to 'VisA/candle/x.png'"),
    ([LONG, LONG], f"2 members unpack to {LONG[:200]!r}"),
])
def test_extract_refuses_members_that_unpack_to_one_file(tmp_path, names, why):
    archive = tmp_path / "dup.zip"
    archive.write_bytes(_duplicated(names))
    with pytest.raises(mm.MMADError) as caught:
        _extract(tmp_path, archive)
    assert str(caught.value) == f"VisA.zip: refused: {why}"
    assert _written(tmp_path) == {} and not (tmp_path / "root" / ".VisA.zip.partial").exists()


def test_extract_caps_the_declared_unpacked_bytes(tmp_path, monkeypatch):
    archive = _zip_path(tmp_path, {"VisA/candle/a.png": b"x" * 600, "VisA/candle/b.png": b"y" * 400})
    monkeypatch.setattr(dl, "MAX_UNPACKED_BYTES", 1000)
    assert _extract(tmp_path, archive) == 2  # exactly at the limit: accepted
    monkeypatch.setattr(dl, "MAX_UNPACKED_BYTES", 999)
    with pytest.raises(mm.MMADError) as caught:
        _extract(tmp_path, archive, force=True)
    assert str(caught.value) == "VisA.zip: refused: it declares 1,000 bytes unpacked, over the limit of 999"


def _declared(name: str, file_size: int, compress_size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.file_size, info.compress_size = file_size, compress_size
    return info


@pytest.mark.parametrize("file_size, compress_size, refused", [
    (dl._RATIO_FLOOR + 1, 1, True),
    (dl._RATIO_FLOOR + 1, 0, True),
    (dl._RATIO_FLOOR, 1, False),  # at the floor: exempt
    (50_000, 1, False),  # small members are exempt whatever their ratio
    (3_000_000, 30_000, False),  # exactly 100x: accepted
    (3_000_001, 30_000, True),
    (3_000_000, 1_500_000, False),
])
def test_compression_ratio_of_large_members(file_size, compress_size, refused):
    files = [(_declared("VisA/candle/a.png", file_size, compress_size), Path("VisA/candle/a.png"))]
    if not refused:
        dl._check_members(files, "VisA.zip")
        return
    with pytest.raises(mm.MMADError) as caught:
        dl._check_members(files, "VisA.zip")
    assert str(caught.value) == (f"VisA.zip: refused: member 'VisA/candle/a.png' declares {file_size:,} bytes from "
                                 f"{compress_size:,} compressed (over 100x: a zip bomb, not an image)")


def test_zip_bomb_message_bounds_the_member_name():
    with pytest.raises(mm.MMADError) as caught:
        dl._check_members([(_declared(LONG, 2 * dl._RATIO_FLOOR, 1), Path(LONG))], "VisA.zip")
    assert f"member {LONG[:200]!r} declares" in str(caught.value)


def test_a_member_holding_more_than_it_declares_is_a_corrupt_zip(tmp_path):
    content = b"pixels" * 1000
    raw = bytearray(zip_of({"VisA/candle/a.png": content}))
    declared = len(content).to_bytes(4, "little")
    smaller = (len(content) - 10).to_bytes(4, "little")
    assert raw.count(declared) >= 2
    raw = raw.replace(declared, smaller)  # the local header's and the central directory's sizes
    archive = tmp_path / "lying.zip"
    archive.write_bytes(bytes(raw))
    with pytest.raises(mm.MMADError, match=r"^VisA.zip: corrupt zip \(.*\); delete it from the HF cache and run again"):
        _extract(tmp_path, archive)
    assert _written(tmp_path) == {} and not (tmp_path / "root" / ".VisA.zip.partial").exists()


def test_extract_of_a_broken_zip_is_a_clear_error(tmp_path):
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"PK\x03\x04 this is not a zip" * 10)
    with pytest.raises(mm.MMADError) as caught:
        _extract(tmp_path, archive)
    assert str(caught.value) == "VisA.zip: corrupt zip (File is not a zip file); delete it from the HF cache and run again"


def test_extract_keeps_existing_files_unless_forced_or_resuming_a_move(tmp_path):
    archive = _zip_path(tmp_path, {"VisA/candle/a.png": b"new", "VisA/candle/b.png": b"new"})
    root = tmp_path / "root"
    (root / "VisA" / "candle").mkdir(parents=True)
    (root / "VisA" / "candle" / "a.png").write_bytes(b"mine")
    with pytest.raises(mm.MMADError) as caught:
        _extract(tmp_path, archive)
    assert str(caught.value) == (f"{root}: 1 file(s) of VisA.zip already exist, e.g. VisA/candle/a.png; "
                                 "use --force to overwrite them")
    assert _written(tmp_path) == {"VisA/candle/a.png": b"mine"}
    dl._State(root).begin_move("VisA.zip")  # an earlier run was cut while moving this zip's files
    assert _extract(tmp_path, archive) == 2
    assert _written(tmp_path) == {"VisA/candle/a.png": b"new", "VisA/candle/b.png": b"new"}
    (root / "VisA" / "candle" / "a.png").write_bytes(b"mine")
    dl._State(root).mark(dl.RemoteFile("VisA.zip", 1, None))
    assert _extract(tmp_path, archive, force=True) == 2
    assert _written(tmp_path)["VisA/candle/a.png"] == b"new"


@pytest.mark.parametrize("leftover", ["VisA/candle/old.png", "VisA"])
def test_extract_clears_a_stale_scratch_folder_first(tmp_path, leftover):
    stale = tmp_path / "root" / ".VisA.zip.partial" / leftover  # a file where the zip needs a folder, too
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left by a killed run")
    assert _extract(tmp_path, _zip_path(tmp_path, {"VisA/candle/a.png": b"1"})) == 1
    assert _written(tmp_path) == {"VisA/candle/a.png": b"1"}


def test_a_failure_while_unpacking_leaves_no_scratch_folder(tmp_path, disk_full_on):
    disk_full_on(2)
    with pytest.raises(OSError, match="No space left on device"):
        _extract(tmp_path, _zip_path(tmp_path, {"VisA/candle/a.png": b"1", "VisA/candle/b.png": b"2"}))
    assert _written(tmp_path) == {} and not (tmp_path / "root" / ".VisA.zip.partial").exists()


def test_validation_after_unpacking_says_the_zips_do_not_match(tiny_root, tmp_path):
    import shutil

    root = Path(shutil.copytree(tiny_root, tmp_path / "root"))
    gone = sorted(p for p in (root / "VisA").rglob("*") if p.is_file())[0]
    gone.unlink()
    with pytest.raises(mm.MMADFormatError) as caught:
        dl.validate_sources(root, ["VisA"])
    rel = gone.relative_to(root).as_posix()
    assert str(caught.value) == (f"1 referenced file(s) missing from the root, e.g. {rel} after unpacking; "
                                 "the zips do not match mmad.json")


# --- the state file and the root's text files ---------------------------------------------------------


def test_state_remembers_done_zips_by_hash_or_size_across_runs(tmp_path):
    hashed, sized = dl.RemoteFile("VisA.zip", 10, "ab" * 32), dl.RemoteFile("GoodsAD.zip", 10, None)
    state = dl._State(tmp_path)
    assert not state.done(hashed) and not state.moving("VisA.zip")
    state.begin_move("VisA.zip")
    assert dl._State(tmp_path).moving("VisA.zip") and not dl._State(tmp_path).moving("GoodsAD.zip")
    state.mark(hashed)
    state.mark(sized)
    again = dl._State(tmp_path)
    assert again.done(hashed) and again.done(sized) and not again.moving("VisA.zip")
    assert not again.done(dl.RemoteFile("VisA.zip", 10, "cd" * 32)), "same size, new hash: not done"
    assert not again.done(dl.RemoteFile("GoodsAD.zip", 11, None))
    assert not again.done(dl.RemoteFile("MVTec-AD.zip", 10, "ab" * 32))
    assert json.loads((tmp_path / dl.STATE_FILE).read_text()) == {
        "extracted": {"VisA.zip": "ab" * 32, "GoodsAD.zip": "size:10"}}
    assert sorted(p.name for p in tmp_path.iterdir()) == [dl.STATE_FILE]


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'"text"'])
def test_an_unreadable_state_file_trusts_nothing_and_is_rewritten(tmp_path, content):
    (tmp_path / dl.STATE_FILE).write_bytes(content)
    state = dl._State(tmp_path)
    remote = dl.RemoteFile("VisA.zip", 10, None)
    assert not state.done(remote) and not state.moving("VisA.zip")
    state.mark(remote)
    assert dl._State(tmp_path).done(remote)


def test_text_files_are_placed_unless_another_content_is_there(tmp_path):
    cached, target = tmp_path / "cached.json", tmp_path / "mmad.json"
    cached.write_text('{"a": 1}')
    assert dl._place_text_file(cached, target, force=False) is True and target.read_text() == '{"a": 1}'
    assert dl._place_text_file(cached, target, force=False) is False
    target.write_text("{}")
    with pytest.raises(mm.MMADError) as caught:
        dl._place_text_file(cached, target, force=False)
    assert str(caught.value) == f"{target}: already exists with other content; use --force to overwrite it"
    assert target.read_text() == "{}"
    assert dl._place_text_file(cached, target, force=True) is True and target.read_text() == '{"a": 1}'


def test_folders_for_adds_the_templates_of_ds_mvtec_in_root_order():
    assert dl.folders_for(["GoodsAD", "DS-MVTec"]) == ["DS-MVTec", "MVTec-AD", "GoodsAD"]
    assert dl.folders_for(iter(["VisA"])) == ["VisA"]
    assert dl.folders_for([]) == []
