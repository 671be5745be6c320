"""`mmad export`: the folder loads with plain `datasets.load_dataset`, every config, images stored once,
and it is itself a raw root. Expectations come from the raw `mmad.json` read with plain `json` and the
upstream rules written out here, never from the reader under test (`iter_rows`, `load_rows`,
`referenced_files`)."""

from __future__ import annotations

import collections
import json
import shutil
from pathlib import Path

import datasets
import pytest
from huggingface_hub import DatasetCard
from PIL import Image

import mmad_dataset as mm
from mmad.export import export_root

IMAGE_FOLDERS = ("DS-MVTec", "MVTec-AD", "MVTec-LOCO", "VisA", "GoodsAD")
SOURCE_CONFIG = {"DS-MVTec": "ds_mvtec", "MVTec-LOCO": "mvtec_loco", "VisA": "visa", "GoodsAD": "goodsad"}
SUBTASK_OF_TYPE = {
    "Anomaly Detection": "anomaly_discrimination", "Defect Classification": "defect_classification",
    "Defect Localization": "defect_localization", "Defect Description": "defect_description",
    "Defect Analysis": "defect_analysis", "Object Classification": "object_classification",
    "Object Analysis": "object_analysis", "Object Structure": "object_analysis", "Object Details": "object_analysis",
}


def _raw(root: Path) -> dict:
    return json.loads((root / "mmad.json").read_text(encoding="utf-8"))


def _mask(key: str, entry: dict) -> str | None:
    """Upstream resolves `mask_path` against `<source>/<category>/` (internvl_query.py)."""
    source, category = key.split("/")[:2]
    return f"{source}/{category}/{entry['mask_path']}" if entry["mask_path"] else None


def _expected_rows(root: Path, config: str = "all") -> list[dict]:
    """The text columns of every question of `config`, straight from mmad.json."""
    rows = []
    for key, entry in _raw(root).items():
        source, category, _, defect, _ = key.split("/")
        randoms, similars = entry["random_templates"], entry["similar_templates"]
        for index, item in enumerate(entry["conversation"]):
            subtask = SUBTASK_OF_TYPE[item["type"]]
            if config not in ("all", subtask, SOURCE_CONFIG[source]):
                continue
            rows.append({
                "question_id": f"{key}#{index}", "image_path": key, "source": source, "category": category,
                "defect": defect, "is_normal": "good" in key, "subtask": subtask, "question_type": item["type"],
                "question": item["Question"], **{letter: item["Options"].get(letter) for letter in "ABCDE"},
                "answer": item["Answer"], "template_path": randoms[0], "similar_template_path": similars[0],
                "mask_path": _mask(key, entry), "random_templates": json.dumps(randoms),
                "similar_templates": json.dumps(similars), "known_issue": mm.KNOWN_ISSUES.get(key)})
    return rows


def _referenced(root: Path) -> set[str]:
    """Every file any setting can show: query image, mask, every random and similar template."""
    files = set()
    for key, entry in _raw(root).items():
        files.update([key, *entry["random_templates"], *entry["similar_templates"]])
        if entry["mask_path"]:
            files.add(_mask(key, entry))
    return files


def _image_files(folder: Path) -> dict[str, int]:
    """Relative path → size of every file under the image folders."""
    return {p.relative_to(folder).as_posix(): p.stat().st_size for name in IMAGE_FOLDERS if (folder / name).is_dir()
            for p in (folder / name).rglob("*") if p.is_file()}


def test_config_names_are_the_benchmark_configs(exported):
    assert datasets.get_dataset_config_names(str(exported.out)) == list(mm.CONFIG_NAMES)


@pytest.mark.parametrize("config", mm.CONFIG_NAMES)
def test_each_config_loads_with_the_rows_of_mmad_json(exported, small_root, config):
    ds = datasets.load_dataset(str(exported.out), config, split="test")
    expected = _expected_rows(small_root, config)
    assert ds.num_rows == len(expected) > 0
    assert ds.features == mm.features()
    assert ds["question_id"] == [row["question_id"] for row in expected]
    first = ds[0]
    assert isinstance(first["image"], Image.Image) and first["image"].size == (32, 32)
    assert isinstance(first["template_image"], Image.Image)


def test_all_config_rows_match_the_raw_root_and_decode(exported, small_root):
    ds = datasets.load_dataset(str(exported.out), "all", split="test")
    expected = _expected_rows(small_root)
    text = ds.remove_columns(list(mm.IMAGE_COLUMNS))
    assert text.to_list() == expected
    for row in ds:
        assert row["image"].size == (32, 32)
        assert row["similar_template_image"].size == (32, 32)
        if row["is_normal"]:
            assert row["mask"] is None and row["mask_path"] is None
        else:
            assert row["mask"].mode == "L" and row["mask"].size == (32, 32)


def test_goodsad_defect_images_are_not_normal(exported):
    ds = datasets.load_dataset(str(exported.out), "goodsad", split="test")
    by_folder = collections.Counter((row["defect"] == "good", row["is_normal"]) for row in ds.remove_columns(
        list(mm.IMAGE_COLUMNS)))
    assert set(by_folder) == {(True, True), (False, False)}


def test_known_issue_flag_and_errata(exported):
    ds = datasets.load_dataset(str(exported.out), "ds_mvtec", split="test").remove_columns(list(mm.IMAGE_COLUMNS))
    flagged = [row for row in ds if row["known_issue"]]
    assert {row["image_path"] for row in flagged} == {"DS-MVTec/pill/image/good/000.png"}
    assert "metal_nut" in flagged[0]["known_issue"]
    errata = json.loads((exported.out / "errata.json").read_text())
    assert errata["known_images"][0]["question_ids"] == [row["question_id"] for row in flagged]
    assert errata["known_subtasks"][0]["subtask"] == "defect_localization"
    assert errata["missing_files"] == []


def test_every_file_any_setting_uses_is_stored_once(exported, small_root):
    referenced = _referenced(small_root)
    k_shot_only = referenced - {row[c] for row in _expected_rows(small_root)
                                for c in ("image_path", "template_path", "similar_template_path", "mask_path")}
    assert k_shot_only, "the synthetic root must have templates beyond the first ones for this test to mean much"
    stored = _image_files(exported.out)
    assert set(stored) == referenced
    assert sum(stored.values()) == exported.image_bytes == sum((small_root / rel).stat().st_size for rel in referenced)
    assert exported.files == len(referenced)
    assert not list(exported.out.rglob("*.py"))


def test_export_is_a_valid_raw_root(exported, small_root, run_mmad):
    for name in ("mmad.json", "domain_knowledge.json"):
        assert (exported.out / name).read_bytes() == (small_root / name).read_bytes()
    result = run_mmad("validate", "--data-dir", exported.out)
    assert result.returncode == 0, result.stderr
    assert f"{len(_raw(small_root)):,} images, {len(_expected_rows(small_root)):,} questions" in result.stdout
    predictions = exported.out.parent / "all-correct.jsonl"
    predictions.write_text("".join(json.dumps({"question_id": row["question_id"], "answer": row["answer"]}) + "\n"
                                   for row in _expected_rows(small_root)))
    scored = run_mmad("score", predictions, "--key", exported.out, "--protocol", "strict")
    assert scored.returncode == 0, scored.stderr
    assert f"{len(_expected_rows(small_root))} of {len(_expected_rows(small_root))} questions scored" in scored.stdout
    assert "average 100.00" in scored.stdout
    from mmad_dataset import MMAD

    builder = MMAD(config_name="visa", data_dir=str(exported.out), cache_dir=str(exported.out.parent / "builder"))
    builder.download_and_prepare()
    assert builder.as_dataset(split="test")["question_id"] == [r["question_id"] for r in _expected_rows(small_root,
                                                                                                         "visa")]


def test_answer_key_holds_the_raw_rows(exported, small_root):
    lines = (exported.out / mm.ANSWER_KEY_FILE).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == _expected_rows(small_root)
    plain = datasets.load_dataset("json", data_files=str(exported.out / mm.ANSWER_KEY_FILE), split="train")
    assert plain.num_rows == len(_expected_rows(small_root))


def test_card_documents_configs_license_and_citation(exported):
    card = DatasetCard.load(exported.out / "README.md")
    assert card.data.license == "cc-by-nc-sa-4.0"
    assert [c["config_name"] for c in card.data.configs] == list(mm.CONFIG_NAMES)
    for heading in ("## How to load", "## Schema", "## Counts", "## Known issues", "## License", "## Citation"):
        assert heading in card.text
    assert all(f"| `{column}` |" in card.text for column in mm.features())
    assert "2410.09453" in card.text and "issue #22" in card.text


def test_export_refuses_a_folder_that_is_not_empty(small_root, tmp_path, run_mmad):
    (tmp_path / "keep.txt").write_text("mine")
    result = run_mmad("export", "--data-dir", small_root, "--out", tmp_path)
    assert result.returncode == 2
    assert "not an empty folder" in result.stderr and "Traceback" not in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_lenient_export_of_a_root_with_missing_files(small_root, tmp_path, run_mmad):
    root = tmp_path / "root"
    shutil.copytree(small_root, root)
    rows = _expected_rows(root)
    normal_query = next(row for row in rows if row["is_normal"])["image_path"]
    mask = next(row for row in rows if row["mask_path"])["mask_path"]
    for rel in (normal_query, mask):
        (root / rel).unlink()
    strict = run_mmad("export", "--data-dir", root, "--out", tmp_path / "strict")
    assert strict.returncode == 2 and "2 referenced file(s) missing" in strict.stderr
    assert not (tmp_path / "strict").exists()

    result = run_mmad("export", "--data-dir", root, "--out", tmp_path / "out", "--lenient")
    assert result.returncode == 0, result.stderr
    assert "2 referenced file(s) were missing" in result.stdout
    ds = datasets.load_dataset(str(tmp_path / "out"), "all", split="test")
    assert ds.num_rows == len(rows)
    lost = [row for row in ds if row["image_path"] == normal_query]
    assert lost and all(row["image"] is None and row["template_image"] is not None for row in lost)
    assert all(row["mask"] is None for row in ds if row["mask_path"] is None)
    errata = json.loads((tmp_path / "out" / "errata.json").read_text())
    assert sorted(errata["missing_files"]) == sorted([normal_query, mask])


def test_hardlink_export_shares_the_files(small_root, tmp_path):
    summary = export_root(small_root, tmp_path / "linked", link=True)
    some = next(iter(_raw(small_root)))
    assert (tmp_path / "linked" / some).stat().st_ino == (small_root / some).stat().st_ino
    assert datasets.load_dataset(str(summary.out), "visa", split="test").num_rows == summary.configs["visa"]


def test_export_refuses_a_root_without_any_image(full_mmad_json, tmp_path, run_mmad):
    result = run_mmad("export", "--data-dir", full_mmad_json.parent, "--out", tmp_path / "out", "--lenient")
    assert result.returncode == 2 and "none of the referenced image files exists" in result.stderr
    assert not (tmp_path / "out").exists()
