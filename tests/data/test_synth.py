"""The synthetic root reproduces the benchmark's structure and counts."""

from __future__ import annotations

import json
import subprocess
import sys

from PIL import Image

import mmad_dataset as mm


# Written out from the paper and the authors' files, not from `mmad_dataset.PAPER_COUNTS` (which the
# generator uses): images and questions per source are the paper's Table 1; the per-subtask split is
# recovered from the authors' released result CSVs (every cell is correct/total, and the totals sum
# to Table 1 exactly). Columns: AD on normal images, AD on abnormal images, defect classification,
# localization, description, analysis, object classification, object analysis (incl. structure/details).
PAPER_TABLE_1 = {"DS-MVTec": (1691, 8338), "MVTec-LOCO": (1566, 7624), "VisA": (2141, 10622), "GoodsAD": (2968, 13088)}
PAPER_SPLIT = {
    "DS-MVTec": (465, 1226, 1205, 1193, 1213, 1205, 464, 1367),
    "MVTec-LOCO": (573, 992, 982, 982, 974, 954, 544, 1623),
    "VisA": (943, 1198, 1190, 1197, 1190, 1163, 935, 2806),
    "GoodsAD": (1269, 1631, 1311, 1506, 1333, 1460, 1211, 3367),
}
SPLIT_TYPES = (("Defect Classification",), ("Defect Localization",), ("Defect Description",), ("Defect Analysis",),
               ("Object Classification",), ("Object Analysis", "Object Structure", "Object Details"))


def test_full_scale_reproduces_paper_counts(full_mmad_json):
    """Counted straight from the raw JSON (keys and `type` strings), not through the reader."""
    mmad = json.loads(full_mmad_json.read_text())
    assert len(mmad) == 8366
    assert sum(len(entry["conversation"]) for entry in mmad.values()) == 39672
    for source, (images, questions) in PAPER_TABLE_1.items():
        entries = {key: entry for key, entry in mmad.items() if key.split("/")[0] == source}
        items = [(key, item["type"]) for key, entry in entries.items() for item in entry["conversation"]]
        assert (len(entries), len(items)) == (images, questions), source
        ad = [key for key, qtype in items if qtype == "Anomaly Detection"]
        counts = (sum("/good/" in key for key in ad), sum("/good/" not in key for key in ad),
                  *(sum(qtype in types for _, qtype in items) for types in SPLIT_TYPES))
        assert counts == PAPER_SPLIT[source], source
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
