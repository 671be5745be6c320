"""The synthetic root reproduces the benchmark's structure and counts."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

from PIL import Image

import mmad_dataset as mm
import paper_counts


def test_full_scale_reproduces_paper_counts(full_mmad_json):
    """Counted straight from the raw JSON (keys and `type` strings), not through the reader, and
    compared with the paper's numbers written out in `tests/paper_counts.py`."""
    mmad = json.loads(full_mmad_json.read_text())
    assert len(mmad) == 8366
    assert sum(len(entry["conversation"]) for entry in mmad.values()) == 39672
    for source, (images, questions) in paper_counts.TABLE_1.items():
        entries = {key: entry for key, entry in mmad.items() if key.split("/")[0] == source}
        cells = Counter(paper_counts.split_cell(key, item["type"])
                        for key, entry in entries.items() for item in entry["conversation"])
        assert (len(entries), sum(cells.values())) == (images, questions), source
        assert tuple(cells[c] for c in paper_counts.SPLIT_COLUMNS) == paper_counts.SPLIT[source], source
    without_ad = [k for k, v in mmad.items() if v["conversation"][0]["type"] != "Anomaly Detection"]
    assert len(without_ad) == 69 and {k.split("/")[0] for k in without_ad} == {"MVTec-LOCO", "GoodsAD"}
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
