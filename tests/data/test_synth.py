"""The synthetic root reproduces the benchmark's structure and counts."""

from __future__ import annotations

import collections
import json
import subprocess
import sys

from PIL import Image

import mmad_dataset as mm


def test_full_scale_reproduces_paper_counts(full_mmad_json):
    mmad = json.loads(full_mmad_json.read_text())
    rows = list(mm.iter_rows(mmad))
    assert len(mmad) == mm.PAPER_TOTAL_IMAGES == 8366
    assert len(rows) == mm.PAPER_TOTAL_QUESTIONS == 39672
    counts = collections.Counter((row["source"], row["subtask"]) for row in rows)
    for source in mm.SOURCES:
        assert {s: counts[(source, s)] for s in mm.SUBTASKS} == mm.PAPER_COUNTS[source]
        images = sum(1 for key in mmad if key.startswith(source + "/"))
        assert images == mm.PAPER_IMAGES[source]
    normal_ad = collections.Counter(row["source"] for row in rows
                                    if row["subtask"] == "anomaly_discrimination" and row["is_normal"])
    assert dict(normal_ad) == mm.PAPER_NORMAL_AD
    without_ad = [k for k, v in mmad.items() if v["conversation"][0]["type"] != "Anomaly Detection"]
    assert len(without_ad) == 69
    assert max(len(v["conversation"]) for v in mmad.values()) == 5


def test_layout_matches_upstream(small_root):
    mmad = mm.load_mmad_json(small_root)
    for key, entry in mmad.items():
        source, category, split, defect, name = key.split("/")
        assert category in mm.CATEGORIES[source]
        assert split == ("image" if source == "DS-MVTec" else "test")
        assert name.endswith({"DS-MVTec": ".png", "MVTec-LOCO": ".png", "VisA": ".JPG", "GoodsAD": ".jpg"}[source])
        assert (entry["mask_path"] is None) == mm.is_normal(key)
        template_folder = "MVTec-AD" if source == "DS-MVTec" else source
        assert all(t.startswith(f"{template_folder}/{category}/train/good/") for t in entry["random_templates"])
        for item in entry["conversation"]:
            assert set(item) == {"Question", "Options", "Answer", "type", "annotation"}
    assert not mm.missing_files(small_root, mm.iter_rows(mmad))
    rows = mm.read_rows(small_root)
    with Image.open(small_root / rows[0]["image_path"]) as img:
        assert img.size == (32, 32)
    assert any(row["mask_path"] for row in rows)


def test_goodsad_defects_are_not_normal(small_root):
    rows = mm.read_rows(small_root, config="goodsad")
    assert {row["is_normal"] for row in rows} == {True, False}
    assert all(row["is_normal"] == ("/good/" in row["image_path"]) for row in rows)


def test_cli_rejects_bad_scale(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mmad.cli", "synth", "--out", str(tmp_path), "--scale", "0"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "--scale must be in (0, 1]" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "mmad.json").write_text('{"mine": 1}')
    result = subprocess.run([sys.executable, "-m", "mmad.cli", "synth", "--out", str(tmp_path), "--scale", "0.01"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "not an empty folder" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["mmad.json"]
    assert (tmp_path / "mmad.json").read_text() == '{"mine": 1}'

    forced = subprocess.run([sys.executable, "-m", "mmad.cli", "synth", "--out", str(tmp_path), "--scale", "0.01",
                             "--force"], capture_output=True, text=True)
    assert forced.returncode == 0, forced.stderr
    assert "conversation" in (tmp_path / "mmad.json").read_text()
