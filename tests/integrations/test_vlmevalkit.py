"""VLMEvalKit round trip: the TSV read as VLMEvalKit reads it holds every question once with the key's
options, answers and decodable images (expectations from the raw `mmad.json`); its prediction files
come back as JSONL that scores exactly like the same answers given directly."""

from __future__ import annotations

import ast
import base64
import csv
import io
import json
import random
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from eval import load_key, score
from mmad.cli import main
from mmad_dataset import SUBTASK_TITLES, TYPE_TO_SUBTASK, MMADError
from mmad.vlmevalkit import import_predictions


def _toliststr(value: str) -> list[str]:
    """VLMEvalKit's `toliststr`: a list literal is evaluated, anything else is one item."""
    return [str(x) for x in ast.literal_eval(value)] if value.startswith("[") and value.endswith("]") else [value]


def _pixels(image: Image.Image) -> bytes:
    return image.convert("RGB").tobytes()


def _export(root: Path, out: Path, *options: str) -> pd.DataFrame:
    assert main(["vlmevalkit", "export", "--data-dir", str(root), "--out", str(out), *options]) == 0
    return pd.read_csv(out, sep="\t")  # what VLMEvalKit's `load` does with a .tsv


@pytest.mark.parametrize("setting, templates", [("1-shot", lambda e: e["random_templates"][:1]),
                                                ("0-shot", lambda e: [])])
def test_tsv_holds_every_question_once_with_the_keys_options_and_images(
        tiny_export, tiny_root, raw_rows, tmp_path, setting, templates):
    data = _export(tiny_export, tmp_path / "MMAD.tsv", "--setting", setting)
    assert list(data["index"]) == list(range(len(raw_rows)))
    assert sorted(data["question_id"]) == sorted(f"{r['image']}#{r['index']}" for r in raw_rows)
    by_id = data.set_index("question_id")
    for raw in raw_rows:
        row = by_id.loc[f"{raw['image']}#{raw['index']}"]
        qa = raw["qa"]
        shown = {letter: row[letter] for letter in "ABCDE" if not pd.isna(row[letter])}
        assert shown == qa["Options"]
        assert (row["question"], row["answer"]) == (qa["Question"], qa["Answer"])
        assert row["category"] == SUBTASK_TITLES[TYPE_TO_SUBTASK[qa["type"]]]
        assert row["l2-category"] == raw["image"].split("/")[0]
        paths = [*templates(raw["entry"]), raw["image"]]
        images = _toliststr(row["image"])
        assert len(_toliststr(row["image_path"])) == len(images) == len(paths)
        decoded = [_pixels(Image.open(io.BytesIO(base64.b64decode(b64)))) for b64 in images]
        assert decoded == [_pixels(Image.open(tiny_root / path)) for path in paths]
        assert "industrial inspector" in row["hint"]
    names = [name for value in data["image_path"] for name in _toliststr(value)]
    assert all("/" not in name for name in names)  # dump_image writes them all into one folder


def test_kshot_paths_mode_lists_the_files_themselves(tiny_export, raw_rows, tmp_path):
    data = _export(tiny_export, tmp_path / "MMAD_k.tsv", "--setting", "k-shot", "--shots", "2",
                   "--images", "paths", "--config", "visa")
    assert "image" not in data.columns
    visa = [r for r in raw_rows if r["image"].startswith("VisA/")]
    assert len(data) == len(visa)
    for raw, value in zip(visa, data["image_path"]):
        expected = [*raw["entry"]["random_templates"][:2], raw["image"]]
        assert _toliststr(value) == [str((tiny_export / path).resolve()) for path in expected]


def _write_prediction_file(tsv: Path, replies: dict[str, str], path: Path) -> None:
    """A VLMEvalKit-style prediction file: the TSV's columns without images, plus `prediction`, in
    the format its `dump` writes for the suffix (tsv/csv QUOTE_ALL, json records, xlsx)."""
    data = pd.read_csv(tsv, sep="\t").drop(columns=["image", "image_path"])
    data["prediction"] = [replies[qid] for qid in data["question_id"]]
    data = data.sample(frac=1, random_state=0)
    if path.suffix == ".tsv":
        data.to_csv(path, sep="\t", index=False, encoding="utf-8", quoting=csv.QUOTE_ALL)
    elif path.suffix == ".csv":
        data.to_csv(path, index=False, encoding="utf-8", quoting=csv.QUOTE_ALL)
    elif path.suffix == ".json":
        path.write_text(json.dumps(data.to_dict("records"), indent=4, default=str), encoding="utf-8")
    else:
        data.to_excel(path, index=False)


@pytest.mark.parametrize("suffix", [".tsv", ".csv", ".json", ".xlsx"])
def test_prediction_file_converts_back_and_scores_like_the_answers_given_directly(
        tiny_export, raw_rows, tmp_path, suffix):
    tsv = tmp_path / "MMAD.tsv"
    _export(tiny_export, tsv)
    rng = random.Random(5)
    letters, replies = {}, {}
    for raw in raw_rows:
        qid = f"{raw['image']}#{raw['index']}"
        letters[qid] = rng.choice(sorted(raw["qa"]["Options"]))
        replies[qid] = rng.choice(["{}", "The answer is {}.", "({})", "Option {}", " {}\n"]).format(letters[qid])
    predictions = tmp_path / f"model_MMAD{suffix}"
    _write_prediction_file(tsv, replies, predictions)

    out = tmp_path / "converted.jsonl"
    assert main(["vlmevalkit", "import", str(predictions), "--tsv", str(tsv), "--out", str(out)]) == 0
    converted = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["question_id"]: r["response"] for r in converted} == replies
    direct = tmp_path / "direct.jsonl"
    direct.write_text("".join(json.dumps({"question_id": q, "answer": a}) + "\n" for q, a in letters.items()))
    key = load_key(tiny_export)
    mine, theirs = score(out, key, resamples=0), score(direct, key, resamples=0)
    for protocol in ("official", "strict"):
        assert mine[protocol]["average"] == theirs[protocol]["average"]
        assert mine[protocol]["sources"] == theirs[protocol]["sources"]
    assert mine["strict"]["coverage"] == 100.0


def test_unknown_index_and_missing_column_are_clear_errors(tiny_export, tmp_path, capsys):
    tsv = tmp_path / "MMAD.tsv"
    _export(tiny_export, tsv)
    bad = tmp_path / "bad.tsv"
    bad.write_text("index\tprediction\n0\tA\n99999\tB\n", encoding="utf-8")
    with pytest.raises(MMADError, match=r"row 3: index '99999' is not in"):
        import_predictions(bad, tsv, tmp_path / "out.jsonl")
    no_prediction = tmp_path / "np.csv"
    no_prediction.write_text("index,answer\n0,A\n", encoding="utf-8")
    assert main(["vlmevalkit", "import", str(no_prediction), "--tsv", str(tsv), "--out", str(tmp_path / "o")]) == 2
    assert "no prediction column" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
