"""`mmad download` against the fake Hub: only the zips the sources need, verified, unpacked safely,
validated; resumed after a cut connection; refused when unsafe, corrupt, offline or unreachable.

Expectations come from the synthetic root the fake authors' repo was built from, read with plain
`json` and file walks, not from the code under test."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
from authors_repo import AUTHORS, upload_authors_repo, zip_of
from fake_hub import fake_hub  # noqa: F401  (pytest fixture)

from mmad.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _files(folder: Path, *subfolders: str) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for name in subfolders if (folder / name).is_dir()
            for p in (folder / name).rglob("*") if p.is_file()}


def _zip_gets(hub) -> list[str]:
    return [path.rsplit("/", 1)[-1] for method, path in hub.requests if method == "GET" and path.endswith(".zip")]


def _source_files(root: Path, source: str) -> set[str]:
    """Every file the questions of `source` show, from the raw mmad.json."""
    files = set()
    for key, entry in json.loads((root / "mmad.json").read_text()).items():
        if key.startswith(source + "/"):
            files.update([key, *entry["random_templates"], *entry["similar_templates"]])
            if entry["mask_path"]:
                files.add("/".join(key.split("/")[:2]) + "/" + entry["mask_path"])
    return files


def test_fake_hub_download_fetches_only_the_zips_a_source_needs(small_root, fake_hub, tmp_path, capsys):  # noqa: F811
    upload_authors_repo(small_root)
    out = tmp_path / "ALL_DATA"
    assert main(["download", "--sources", "visa", "--out", str(out)]) == 0
    assert _zip_gets(fake_hub) == ["VisA.zip"]
    assert _files(out, "VisA") == _files(small_root, "VisA")
    assert _source_files(small_root, "VisA") <= set(_files(out, "VisA"))
    assert (out / "mmad.json").read_bytes() == (small_root / "mmad.json").read_bytes()
    assert "valid for VisA" in capsys.readouterr().out

    assert main(["download", "--sources", "DS-MVTec", "--out", str(out)]) == 0
    assert _zip_gets(fake_hub) == ["VisA.zip", "DS-MVTec.zip", "MVTec-AD.zip"]
    assert _files(out, "DS-MVTec", "MVTec-AD") == _files(small_root, "DS-MVTec", "MVTec-AD")


def test_fake_hub_rerun_skips_what_is_done(small_root, fake_hub, tmp_path, capsys):  # noqa: F811
    upload_authors_repo(small_root)
    out = tmp_path / "root"
    assert main(["download", "--out", str(out)]) == 0
    assert sorted(_zip_gets(fake_hub)) == ["DS-MVTec.zip", "GoodsAD.zip", "MVTec-AD.zip", "MVTec-LOCO.zip", "VisA.zip"]
    before = {p: p.stat().st_mtime_ns for p in (out / "VisA").rglob("*") if p.is_file()}
    capsys.readouterr()
    assert main(["download", "--out", str(out)]) == 0
    assert len(_zip_gets(fake_hub)) == 5, "a re-run must not fetch a verified zip again"
    assert {p: p.stat().st_mtime_ns for p in (out / "VisA").rglob("*") if p.is_file()} == before
    assert "skipped: DS-MVTec.zip, MVTec-AD.zip, MVTec-LOCO.zip, VisA.zip, GoodsAD.zip" in capsys.readouterr().out
    validate = subprocess.run([sys.executable, "-m", "mmad.cli", "validate", "--data-dir", str(out)],
                              capture_output=True, text=True)
    assert validate.returncode == 0, validate.stderr


def test_fake_hub_cut_download_resumes_where_it_stopped(small_root, fake_hub, tmp_path, monkeypatch):  # noqa: F811
    import huggingface_hub.constants

    # The client writes the body in chunks of 10 MB; with 4 kB chunks this small zip behaves like a large one.
    monkeypatch.setattr(huggingface_hub.constants, "DOWNLOAD_CHUNK_SIZE", 4096)
    uploaded = upload_authors_repo(small_root)
    fake_hub.cut_downloads("GoodsAD.zip", after=3 * 4096)
    out = tmp_path / "root"
    assert main(["download", "--sources", "goodsad", "--out", str(out)]) == 0
    assert ("GoodsAD.zip", f"bytes={3 * 4096}-") in [(p.rsplit("/", 1)[-1], r) for p, r in fake_hub.ranges]
    assert _zip_gets(fake_hub).count("GoodsAD.zip") == 2
    assert len(uploaded["GoodsAD.zip"]) > 3 * 4096
    assert _files(out, "GoodsAD") == _files(small_root, "GoodsAD")


def test_fake_hub_corrupt_cached_zip_is_caught_evicted_and_refetched(small_root, fake_hub, tmp_path, capsys):  # noqa: F811
    upload_authors_repo(small_root)
    out = tmp_path / "root"
    assert main(["download", "--sources", "visa", "--out", str(out)]) == 0
    cached = next(Path(__import__("os").environ["HF_HOME"]).rglob("VisA.zip"))
    blob = cached.resolve()
    blob.write_bytes(bytes(len(blob.read_bytes())))  # same size, other content: only the hash can tell
    (out / ".mmad-download.json").unlink()
    capsys.readouterr()
    assert main(["download", "--sources", "visa", "--out", str(out), "--force"]) == 2
    err = capsys.readouterr().err
    assert "VisA.zip: corrupt download (SHA-256 differs" in err and "run again" in err
    assert not blob.exists()
    assert main(["download", "--sources", "visa", "--out", str(out), "--force"]) == 0
    assert _files(out, "VisA") == _files(small_root, "VisA")


def test_fake_hub_broken_zip_is_a_clear_error(small_root, fake_hub, tmp_path, capsys):  # noqa: F811
    upload_authors_repo(small_root, replace={"VisA.zip": b"PK\x03\x04 this is not a zip" * 100})
    assert main(["download", "--sources", "visa", "--out", str(tmp_path / "root")]) == 2
    err = capsys.readouterr().err
    assert "VisA.zip: corrupt zip" in err and "Traceback" not in err
    assert not (tmp_path / "root" / "VisA").exists()


@pytest.mark.parametrize("members, symlinks, why", [
    ({"VisA/ok.png": b"x", "VisA/../../escaped.txt": b"owned"}, {}, "outside the target folder"),
    ({"VisA/ok.png": b"x", "{tmp}/escaped-absolute.txt": b"owned"}, {}, "outside the target folder"),
    ({"VisA/ok.png": b"x"}, {"VisA/link.png": "../../escaped.txt"}, "symbolic link"),
    ({"VisA/ok.png": b"x", "GoodsAD/x.jpg": b"owned"}, {}, "is not under VisA/"),
])
def test_fake_hub_unsafe_zip_member_is_refused_and_nothing_is_written(small_root, fake_hub, tmp_path, capsys,  # noqa: F811
                                                                      members, symlinks, why):
    members = {name.replace("{tmp}", str(tmp_path)): content for name, content in members.items()}  # absolute
    upload_authors_repo(small_root, replace={"VisA.zip": zip_of(members, symlinks)})
    work = tmp_path / "work"
    out = work / "a" / "root"
    assert main(["download", "--sources", "visa", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "VisA.zip: refused" in err and why in err
    written = sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file())
    assert written == ["a/root/domain_knowledge.json", "a/root/mmad.json"]
    assert not (tmp_path / "escaped-absolute.txt").exists()


def test_fake_hub_existing_files_are_kept_without_force(small_root, fake_hub, tmp_path, capsys):  # noqa: F811
    upload_authors_repo(small_root)
    out = tmp_path / "root"
    mine = out / next(iter(_files(small_root, "VisA")))
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"my own file")
    assert main(["download", "--sources", "visa", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "already exist" in err and "--force" in err
    assert mine.read_bytes() == b"my own file"
    assert main(["download", "--sources", "visa", "--out", str(out), "--force"]) == 0
    assert _files(out, "VisA") == _files(small_root, "VisA")


def test_fake_hub_repo_without_the_zips_is_named(small_root, fake_hub, tmp_path, capsys):  # noqa: F811
    from huggingface_hub import HfApi

    HfApi().create_repo("someone/other", repo_type="dataset")
    assert main(["download", "--repo", "someone/other", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "has no mmad.json, domain_knowledge.json, DS-MVTec.zip" in err and "Traceback" not in err


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mmad.cli", "download", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_offline_and_unreachable_hub_are_clear_errors(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env["HF_HOME"] = str(tmp_path / "hf")
    offline = _cli({**env, "HF_HUB_OFFLINE": "1"}, "--out", str(tmp_path / "a"))
    assert offline.returncode == 2 and "offline: HF_HUB_OFFLINE is set" in offline.stderr
    assert "Traceback" not in offline.stderr
    unreachable = _cli({**env, "HF_ENDPOINT": "http://127.0.0.1:9"}, "--out", str(tmp_path / "b"))
    assert unreachable.returncode == 2, unreachable.stderr
    assert "cannot reach the Hub at http://127.0.0.1:9" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr


@pytest.mark.parametrize("layout", ["ALL_DATA/VisA/...", "bare category folders"])
def test_fake_hub_other_zip_layouts_unpack_to_the_same_root(small_root, fake_hub, tmp_path, layout):  # noqa: F811
    files = _files(small_root, "VisA")
    prefix = "ALL_DATA/" if layout.startswith("ALL_DATA") else ""
    members = {(prefix + rel if prefix else rel.split("/", 1)[1]): content for rel, content in files.items()}
    members["__MACOSX/VisA/._x"] = b"mac metadata"
    upload_authors_repo(small_root, replace={"VisA.zip": zip_of(members)})
    out = tmp_path / "root"
    assert main(["download", "--sources", "visa", "--out", str(out)]) == 0
    assert _files(out, "VisA") == files
    assert not (out / "__MACOSX").exists()


def test_validation_after_unpacking_names_a_missing_file_of_a_chosen_source_only(small_root, tmp_path):
    import shutil

    from mmad.download import validate_sources

    root = tmp_path / "root"
    shutil.copytree(small_root, root)
    gone = next(path for path in sorted((root / "VisA").rglob("*.*")))
    gone.unlink()
    with pytest.raises(Exception, match=r"1 referenced file\(s\) missing.* after unpacking"):
        validate_sources(root, ["VisA"])
    rows, _ = validate_sources(root, ["GoodsAD"])  # another source's hole does not count
    assert rows > 0


def _bomb(megabytes: int) -> bytes:
    """A zip with one member of `megabytes` MB of zeros, about a thousandth of that compressed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("VisA/candle/ok.png", b"png")
        with bundle.open("VisA/candle/bomb.png", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(bytes(1 << 20))
    return buffer.getvalue()


def _duplicated() -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as bundle:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name it writes
        bundle.writestr("VisA/candle/x.png", b"one")
        bundle.writestr("VisA/candle/x.png", b"two")
    return buffer.getvalue()


def _refused_cleanly(out: Path, capsys, why: str) -> None:
    capsys.readouterr()  # the fake Hub's upload bars
    assert main(["download", "--sources", "visa", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error" in line]
    assert len(errors) == 1 and why in errors[0] and "Traceback" not in err
    assert not (out / "VisA").exists() and not (out / ".VisA.zip.partial").exists()


def test_fake_hub_zip_bomb_is_refused_before_unpacking(small_root, fake_hub, tmp_path, capsys):  # noqa: F811
    bomb = _bomb(300)
    assert len(bomb) < 1_000_000  # 300 MB declared
    upload_authors_repo(small_root, replace={"VisA.zip": bomb})
    _refused_cleanly(tmp_path / "root", capsys, "zip bomb")


def test_fake_hub_unpacked_size_is_capped(small_root, fake_hub, tmp_path, capsys, monkeypatch):  # noqa: F811
    """The cap on declared bytes, shown with a small limit (the real one is 64 GiB)."""
    from mmad import download

    monkeypatch.setattr(download, "MAX_UNPACKED_BYTES", 1000)
    upload_authors_repo(small_root)
    _refused_cleanly(tmp_path / "root", capsys, "over the limit")


def test_fake_hub_duplicate_member_is_refused_and_a_rerun_recovers(small_root, fake_hub, tmp_path,  # noqa: F811
                                                                   capsys):
    upload_authors_repo(small_root, replace={"VisA.zip": _duplicated()})
    out = tmp_path / "root"
    _refused_cleanly(out, capsys, "2 members unpack to 'VisA/candle/x.png'")
    _refused_cleanly(out, capsys, "2 members unpack to")  # a rerun fails the same clean way, nothing left
    upload_authors_repo(small_root)  # the authors fix their zip
    assert main(["download", "--sources", "visa", "--out", str(out)]) == 0
    assert _files(out, "VisA") == _files(small_root, "VisA")


def test_fake_hub_failure_while_unpacking_leaves_no_partial_folder(small_root, fake_hub, tmp_path, capsys,  # noqa: F811
                                                                   monkeypatch, disk_full_on):
    from mmad import download

    copy = download._copy_member
    disk_full_on(3)
    upload_authors_repo(small_root)
    out = tmp_path / "root"
    _refused_cleanly(out, capsys, "No space left on device")
    monkeypatch.setattr(download, "_copy_member", copy)
    assert main(["download", "--sources", "visa", "--out", str(out)]) == 0
    assert _files(out, "VisA") == _files(small_root, "VisA")
