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
def report(small_root: Path):
    return check_root(small_root)


@pytest.mark.parametrize("occupant", ["file", "folder with a file"])
def test_export_refuses_an_occupied_target_and_leaves_it_alone(small_root, report, tmp_path, occupant):
    out = tmp_path / "out"
    if occupant == "file":
        out.write_text("mine")
    else:
        out.mkdir()
        (out / "keep.txt").write_text("mine")
    with pytest.raises(mm.MMADError, match=r"out: already exists and is not an empty folder; choose a new or empty"):
        export_root(small_root, out, report=report)
    if occupant == "file":
        assert out.read_text() == "mine"
    else:
        assert [p.name for p in out.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("target", ["empty folder", "new nested folder"])
def test_export_writes_into_an_empty_or_new_nested_folder(small_root, report, tmp_path, target):
    out = tmp_path / "a" / "b" / "MMAD"
    if target == "empty folder":
        out.mkdir(parents=True)
    summary = export_root(small_root, out, report=report)
    assert (out / "README.md").is_file() and summary.out == out


def test_export_reports_the_files_and_bytes_it_copied(small_root, report, tmp_path):
    summary = export_root(small_root, tmp_path / "out", report=report)
    images = [p for p in (tmp_path / "out").rglob("*") if p.is_file() and p.parent != tmp_path / "out"]
    assert summary.files == len(images)
    assert summary.image_bytes == sum(p.stat().st_size for p in images)
    assert summary.image_bytes == sum((small_root / p.relative_to(tmp_path / "out")).stat().st_size for p in images)
    assert summary.missing == []


def test_export_progress_bars_name_what_they_count(small_root, report, tmp_path, capsys):
    export_root(small_root, tmp_path / "quiet", report=report)
    assert capsys.readouterr().err == ""
    summary = export_root(small_root, tmp_path / "loud", report=report, progress=True)
    err = capsys.readouterr().err
    assert "copying images: 100%" in err and f"{summary.files}/{summary.files}" in err and "file/s" in err
    assert "writing metadata: 100%" in err and f"{len(summary.configs)}/{len(summary.configs)}" in err
    assert "config/s" in err
