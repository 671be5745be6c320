"""`mmad export` behaviours the mutation run found unpinned: where it refuses to write, what its
progress bars say, the bytes it reports, the errata and card entries it writes. In-process (the CLI
tests run it in a subprocess), against the shared synthetic root; expectations come from the raw
files, not from the exporter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mmad_dataset as mm
from mmad.export import export_root
from mmad.validate import check_root


@pytest.fixture(scope="module")
def report(tiny_root: Path):
    return check_root(tiny_root)


@pytest.mark.parametrize("occupant", ["file", "folder with a file"])
def test_export_refuses_an_occupied_target_and_leaves_it_alone(tiny_root, report, tmp_path, occupant):
    out = tmp_path / "out"
    if occupant == "file":
        out.write_text("mine")
    else:
        out.mkdir()
        (out / "keep.txt").write_text("mine")
    with pytest.raises(mm.MMADError, match=r"out: already exists and is not an empty folder; choose a new or empty"):
        export_root(tiny_root, out, report=report)
    if occupant == "file":
        assert out.read_text() == "mine"
    else:
        assert [p.name for p in out.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("target", ["empty folder", "new nested folder"])
def test_export_writes_into_an_empty_or_new_nested_folder(tiny_root, report, tmp_path, target):
    out = tmp_path / "a" / "b" / "MMAD"
    if target == "empty folder":
        out.mkdir(parents=True)
    summary = export_root(tiny_root, out, report=report)
    assert (out / "README.md").is_file() and summary.out == out


def test_export_reports_the_files_and_bytes_it_copied(tiny_root, report, tmp_path):
    summary = export_root(tiny_root, tmp_path / "out", report=report)
    images = [p for p in (tmp_path / "out").rglob("*") if p.is_file() and p.parent != tmp_path / "out"]
    assert summary.files == len(images)
    assert summary.image_bytes == sum(p.stat().st_size for p in images)
    assert summary.image_bytes == sum((tiny_root / p.relative_to(tmp_path / "out")).stat().st_size for p in images)
    assert summary.missing == []


def test_export_progress_bars_name_what_they_count(tiny_root, report, tmp_path, capsys):
    export_root(tiny_root, tmp_path / "quiet", report=report)
    assert capsys.readouterr().err == ""
    summary = export_root(tiny_root, tmp_path / "loud", report=report, progress=True)
    err = capsys.readouterr().err
    assert "copying images: 100%" in err and f"{summary.files}/{summary.files}" in err and "file/s" in err
    assert "writing metadata: 100%" in err and f"{len(summary.configs)}/{len(summary.configs)}" in err
    assert "config/s" in err


# --- one export checked file by file, in-process (the shared `exported` fixture is built once per session,
# so only the first test using it exercises the exporter under a mutation run) ------------------------------

SOURCE_CONFIG = {"DS-MVTec": "ds_mvtec", "MVTec-LOCO": "mvtec_loco", "VisA": "visa", "GoodsAD": "goodsad"}
#: The image columns of a row and the text column holding each one's path.
PATH_OF_IMAGE = {"image": "image_path", "template_image": "template_path",
                 "similar_template_image": "similar_template_path", "mask": "mask_path"}


@pytest.fixture
def damaged_root(small_root: Path, tmp_path: Path) -> tuple[Path, set[str]]:
    """A copy of the root with a non-ASCII question, a lost normal query image, a lost mask, and every
    MVTec-AD file (DS-MVTec's templates) gone; those lost files."""
    import shutil

    root = tmp_path / "root"
    shutil.copytree(small_root, root)
    raw = json.loads((root / "mmad.json").read_text(encoding="utf-8"))
    key = next(iter(raw))
    raw[key]["conversation"][0]["Question"] = "Is the part at 90° défective?"
    # a template one folder above another one's (exported after it: its folder exists by then)
    visa = next(k for k in raw if k.startswith("VisA/"))
    deeper = raw[visa]["random_templates"][0]
    shallower = deeper.rsplit("/", 2)[0] + "/extra.JPG"
    shutil.copyfile(root / deeper, root / shallower)
    raw[visa]["random_templates"].append(shallower)
    (root / "mmad.json").write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    lost = {p.relative_to(root).as_posix() for p in (root / "MVTec-AD").rglob("*") if p.is_file()}
    shutil.rmtree(root / "MVTec-AD")
    normal = next(k for k in raw if "/good/" in k and k.startswith("VisA/"))
    masked = next(k for k, entry in raw.items() if entry["mask_path"] and k.startswith("GoodsAD/"))
    mask = "/".join(masked.split("/")[:2]) + "/" + raw[masked]["mask_path"]
    for rel in (normal, mask):
        (root / rel).unlink()
    return root, lost | {normal, mask}


def _front_matter(card: str) -> dict:
    import yaml

    return yaml.safe_load(card.split("---\n")[1])


def test_lenient_export_writes_every_file_from_the_rows(damaged_root, tmp_path, monkeypatch):
    import hashlib
    import io

    import pyarrow.parquet as pq
    from test_export import _expected_rows

    # A machine whose locale is not UTF-8 (Windows' cp1252, a POSIX locale): text files must still be UTF-8.
    monkeypatch.setattr(io, "text_encoding", lambda encoding, stacklevel=2: encoding or "ascii")
    root, lost = damaged_root
    out = tmp_path / "out"
    summary = export_root(root, out, report=check_root(root, lenient=True))
    rows = _expected_rows(root)
    assert sorted(summary.missing) == sorted(lost)

    # metadata: declared types, one row per question of the config, null file names for lost files
    for config, count in summary.configs.items():
        table = pq.read_table(out / f"metadata-{config}.parquet")
        expected = [row for row in _expected_rows(root, config)]
        assert count == len(expected) and table.num_rows == count
        assert table.column_names == [*mm.TEXT_COLUMNS, "file_name", "template_image_file_name",
                                      "similar_template_image_file_name", "mask_file_name"]
        assert {field.name: str(field.type) for field in table.schema} == {
            name: "bool" if name == "is_normal" else "string" for name in table.column_names}
        got = table.to_pylist()
        assert [{c: r[c] for c in mm.TEXT_COLUMNS} for r in got] == expected
        for row, written in zip(expected, got):
            for image, path in PATH_OF_IMAGE.items():
                name = "file_name" if image == "image" else f"{image}_file_name"
                assert written[name] == (row[path] if row[path] and row[path] not in lost else None)

    # the card's configs: each config's metadata file and the folders of the files its rows show
    configs = _front_matter((out / "README.md").read_text(encoding="utf-8"))["configs"]
    assert [c["config_name"] for c in configs] == list(summary.configs)
    for entry in configs:
        config = entry["config_name"]
        shown = {row[path] for row in _expected_rows(root, config) for path in PATH_OF_IMAGE.values()
                 if row[path] and row[path] not in lost}
        folders = [f for f in ("DS-MVTec", "MVTec-AD", "MVTec-LOCO", "VisA", "GoodsAD")
                   if any(p.startswith(f + "/") for p in shown)]
        assert entry == {"config_name": config, **({"default": True} if config == "all" else {}),
                         "data_files": [{"split": "test", "path": [f"metadata-{config}.parquet",
                                                                   *(f"{f}/**" for f in folders)]}],
                         "drop_labels": True, "metadata_filenames": [f"metadata-{config}.parquet"]}
    assert "MVTec-AD/**" not in str(configs)

    # the answer key: the rows, as readable UTF-8 text
    key_text = (out / mm.ANSWER_KEY_FILE).read_bytes().decode("utf-8")
    assert "Is the part at 90° défective?" in key_text
    assert [json.loads(line) for line in key_text.splitlines()] == rows

    # errata: the hash of mmad.json, the known wrong images with their questions, what was missing
    errata_text = (out / "errata.json").read_text(encoding="utf-8")
    errata = json.loads(errata_text)
    known = {}
    for row in rows:
        if row["image_path"] in mm.KNOWN_ISSUES:
            known.setdefault(row["image_path"], []).append(row["question_id"])
    assert known, "the synthetic root must hold a known wrong image for this test to mean much"
    assert errata == {
        "mmad_json_sha256": hashlib.sha256((root / "mmad.json").read_bytes()).hexdigest(),
        "known_images": [{"image_path": k, "issue": mm.KNOWN_ISSUES[k], "question_ids": ids} for k, ids in known.items()],
        "known_questions": [{"question_id": r["question_id"], "image_path": r["image_path"],
                             "question_type": r["question_type"], "issue": r["known_issue"]}
                            for r in rows if (r["image_path"], r["question_type"]) in mm.KNOWN_QUESTION_ISSUES],
        "known_subtasks": [{"subtask": s, "issue": text} for s, text in mm.KNOWN_SUBTASK_ISSUES.items()],
        "missing_files": summary.missing}
    assert errata_text == json.dumps(errata, indent=1) + "\n", "errata.json is read by people: one item a line"
    for name in mm.ROOT_TEXT_FILES:
        assert (out / name).read_bytes() == (root / name).read_bytes()


def test_export_checks_the_root_itself_copies_by_default_and_is_lenient_only_when_asked(damaged_root, tmp_path):
    root, lost = damaged_root
    with pytest.raises(mm.MMADFormatError, match=r"referenced file\(s\) missing from the root"):
        export_root(root, tmp_path / "strict")
    assert not (tmp_path / "strict").exists()
    summary = export_root(root, tmp_path / "lenient", lenient=True)
    assert sorted(summary.missing) == sorted(lost)
    some = next(p for p in sorted((root / "VisA").rglob("*")) if p.is_file())
    copied = tmp_path / "lenient" / some.relative_to(root)
    assert copied.read_bytes() == some.read_bytes() and copied.stat().st_ino != some.stat().st_ino


def test_a_linked_export_shares_the_roots_files(tiny_root, report, tmp_path):
    summary = export_root(tiny_root, tmp_path / "linked", link=True, report=report)
    stored = [p for p in summary.out.rglob("*") if p.is_file() and p.parent != summary.out]
    assert len(stored) == summary.files
    assert all(p.stat().st_ino == (tiny_root / p.relative_to(summary.out)).stat().st_ino for p in stored)


def test_export_refuses_a_root_without_any_image(tiny_root, tmp_path):
    import shutil

    root = Path(shutil.copytree(tiny_root, tmp_path / "root"))
    for folder in ("DS-MVTec", "MVTec-AD", "MVTec-LOCO", "VisA", "GoodsAD"):
        shutil.rmtree(root / folder)
    with pytest.raises(mm.MMADError) as caught:
        export_root(root, tmp_path / "out", lenient=True)
    assert str(caught.value) == f"{root}: none of the referenced image files exists; nothing to export"
    assert not (tmp_path / "out").exists()
