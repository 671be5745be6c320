"""`mmad_dataset` behaviours the mutation run found unpinned: the one JSON reader's errors, the checks of
`mmad.json` entries and answer-key rows (each message in full), the rows built from an entry, the files a
root must hold, the Hub errors' wording, and the datasets builder. Inputs are written out here."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import mmad_dataset as mm

KEY = "VisA/candle/test/bad/000.JPG"
ENTRY = {
    "random_templates": ["VisA/candle/train/good/001.JPG", "VisA/candle/train/good/002.JPG"],
    "similar_templates": ["VisA/candle/train/good/003.JPG", "VisA/candle/train/good/004.JPG"],
    "mask_path": "ground_truth/bad/000.png",
    "conversation": [
        {"Question": "Is there any defect?", "Options": {"A": "Yes.", "B": "No."}, "Answer": "A",
         "type": "Anomaly Detection"},
        {"Question": "Where is it?", "Options": {"A": 1, "B": "Top.", "C": "Left", "D": "Rim", "E": "None"},
         "Answer": "E", "type": "Defect Localization"},
    ],
}
ROW0 = {
    "question_id": f"{KEY}#0", "image_path": KEY, "source": "VisA", "category": "candle", "defect": "bad",
    "is_normal": False, "template_path": "VisA/candle/train/good/001.JPG",
    "similar_template_path": "VisA/candle/train/good/003.JPG", "mask_path": "VisA/candle/ground_truth/bad/000.png",
    "random_templates": json.dumps(ENTRY["random_templates"]),
    "similar_templates": json.dumps(ENTRY["similar_templates"]),
    "subtask": "anomaly_discrimination", "question_type": "Anomaly Detection", "question": "Is there any defect?",
    "A": "Yes.", "B": "No.", "C": None, "D": None, "E": None, "answer": "A", "known_issue": None,
}


# --- read_json: the one reader of user files -------------------------------------------------------------


@pytest.mark.parametrize("data", [b'\xef\xbb\xbf{"a": [1, 2.5]}', b'{"a": [1, 2.5]}', '{"a": [1, 2.5]}'])
def test_read_json_reads_utf8_with_or_without_a_bom_and_text(data):
    assert mm.read_json(data, "f.json") == {"a": [1, 2.5]}


@pytest.mark.parametrize("data, message", [
    (b'{"a": "\xff"}', "f.json: not UTF-8 text (invalid start byte at byte 7)"),
    ('{"a": 1}'.encode("utf-16"), "f.json: not UTF-8 text (invalid start byte at byte 0)"),
    (b'{"a": }', "f.json: malformed JSON at line 1, column 7: Expecting value"),
    (b"[" * 100_000, "f.json: JSON nested too deeply"),
    (b"[NaN]", "f.json: unreadable JSON (NaN is not a number JSON allows)"),
    (b"[-Infinity]", "f.json: unreadable JSON (-Infinity is not a number JSON allows)"),
    (b"[1e999999]", "f.json: unreadable JSON (the number 1e999999 is out of range)"),
    (b"[-1e999999]", "f.json: unreadable JSON (the number -1e999999 is out of range)"),
    (b"[1e999999999999999999]", "f.json: unreadable JSON (the number 1e999999999999999999 is out of range)"),
    (b"[1e9999999999999999999]", "f.json: unreadable JSON (the number 1e999999999999999999… is out of range)"),
    (b"[" + b"7" * 5000 + b"]", "f.json: unreadable JSON (an integer too long)"),
])
def test_read_json_refuses_with_one_bounded_line(data, message):
    with pytest.raises(mm.MMADFormatError) as caught:
        mm.read_json(data, "f.json")
    assert str(caught.value) == message


def test_read_json_lets_nan_and_infinity_through_when_asked():
    values = mm.read_json(b"[NaN, Infinity, 1e999]", "f.json", finite=False)
    assert math.isnan(values[0]) and values[1] == values[2] == float("inf")


# --- ids, configs and small rules -----------------------------------------------------------------------


def test_question_ids_split_at_the_last_hash():
    assert mm.split_question_id(f"{KEY}#12") == (KEY, 12)
    assert mm.split_question_id("odd#name.png#3") == ("odd#name.png", 3)


@pytest.mark.parametrize("qid", ["VisA/candle/x.png", "#3", f"{KEY}#", f"{KEY}#x", f"{KEY}#-1"])
def test_malformed_question_ids_are_refused(qid):
    with pytest.raises(ValueError) as caught:
        mm.split_question_id(qid)
    assert str(caught.value) == f"not an MMAD question id (expected '<image key>#<index>'): {qid!r}"


def test_configs_of_a_row():
    row = {"subtask": "defect_localization", "source": "GoodsAD"}
    assert mm.row_configs(row) == ("all", "defect_localization", "goodsad")
    assert [config for config in mm.CONFIG_NAMES if mm.row_in_config(row, config)] == [
        "all", "defect_localization", "goodsad"]
    assert mm.config_source("goodsad") == "GoodsAD" and mm.config_source("all") is None
    with pytest.raises(ValueError) as caught:
        mm.row_in_config(row, "GoodsAD")
    assert str(caught.value) == f"unknown config 'GoodsAD'; expected one of {', '.join(mm.CONFIG_NAMES)}"


def test_is_normal_is_the_case_sensitive_substring_rule():
    assert mm.is_normal("VisA/candle/test/good/000.JPG") and not mm.is_normal(KEY)
    assert not mm.is_normal("VisA/candle/test/Good/000.JPG")


def test_domain_knowledge_is_the_categorys_block_with_ds_mvtec_read_as_mvtec():
    knowledge = {"MVTec": {"bottle": {"a": "Bottles are round.", "b": "Cracks matter."}},
                 "VisA": {"candle": {"a": "Candles are white."}}}
    assert mm.domain_knowledge_text(knowledge, "DS-MVTec/bottle/image/broken_large/000.png") == (
        "Bottles are round.\nCracks matter.")
    assert mm.domain_knowledge_text(knowledge, KEY) == "Candles are white."


def test_known_issue_prefers_the_questions_own_erratum():
    (image, qtype), text = next(iter(mm.KNOWN_QUESTION_ISSUES.items()))
    known_image, image_text = next(iter(mm.KNOWN_ISSUES.items()))
    assert mm.known_issue(image, qtype) == text
    assert mm.known_issue(known_image, "Defect Localization") == image_text
    assert mm.known_issue(image, "Anomaly Detection") is None
    assert mm.known_issue(None, qtype) is None and mm.known_issue(image, None) is None
    assert mm.known_issue(known_image, None) is None


# --- mmad.json: finding, reading, checking, flattening -------------------------------------------------


def test_find_mmad_json_in_a_root_or_as_a_file(tmp_path):
    (tmp_path / "mmad.json").write_text("{}")
    assert mm.find_mmad_json(tmp_path) == tmp_path / "mmad.json"
    assert mm.find_mmad_json(str(tmp_path / "mmad.json")) == tmp_path / "mmad.json"
    with pytest.raises(mm.MMADFormatError) as caught:
        mm.find_mmad_json(tmp_path / "elsewhere")
    assert str(caught.value) == f"{tmp_path / 'elsewhere'}: not found (expected a raw MMAD root holding mmad.json)"
    (tmp_path / "empty").mkdir()
    with pytest.raises(mm.MMADFormatError) as caught:
        mm.find_mmad_json(tmp_path / "empty")
    assert str(caught.value).startswith(f"{tmp_path / 'empty' / 'mmad.json'}: not found")


@pytest.mark.parametrize("content, message", [
    ("[1, 2]", "expected a JSON object keyed by image path, got list"),
    ('{"a": ', "malformed JSON at line 1, column 7: Expecting value"),
])
def test_load_mmad_json_refuses_what_is_not_an_object(tmp_path, content, message):
    (tmp_path / "mmad.json").write_text(content)
    with pytest.raises(mm.MMADFormatError) as caught:
        mm.load_mmad_json(tmp_path)
    assert str(caught.value) == f"{tmp_path / 'mmad.json'}: {message}"


def test_iter_rows_flattens_an_entry_question_by_question():
    rows = list(mm.iter_rows({KEY: ENTRY}))
    assert rows[0] == ROW0
    assert rows[1] == {**ROW0, "question_id": f"{KEY}#1", "subtask": "defect_localization",
                       "question_type": "Defect Localization", "question": "Where is it?",
                       "A": "1", "B": "Top.", "C": "Left", "D": "Rim", "E": "None", "answer": "E"}


def test_iter_rows_of_an_entry_without_templates_or_mask():
    key = "GoodsAD/drink_can/test/good/000.jpg"
    entry = {"random_templates": None, "conversation": ENTRY["conversation"][:1]}
    [row] = mm.iter_rows({key: entry})
    assert (row["template_path"], row["similar_template_path"], row["mask_path"]) == (None, None, None)
    assert (row["random_templates"], row["similar_templates"], row["is_normal"]) == ("[]", "[]", True)
    assert (row["source"], row["category"], row["defect"]) == ("GoodsAD", "drink_can", "good")


def _item(**changes):
    item = dict(ENTRY["conversation"][0])
    item.update(changes)
    return {key: value for key, value in item.items() if value is not ...}


@pytest.mark.parametrize("key, entry, message", [
    ("VisA/candle/test/000.JPG", ENTRY,
     "image key 'VisA/candle/test/000.JPG': expected 5 path parts '<source>/<category>/<split>/<defect>/<file>'"),
    ("VisA/candle/test/bad/x/000.JPG", ENTRY,
     "image key 'VisA/candle/test/bad/x/000.JPG': expected 5 path parts '<source>/<category>/<split>/<defect>/<file>'"),
    ("VisA/candle//bad/000.JPG", ENTRY,
     "image key 'VisA/candle//bad/000.JPG': expected 5 path parts '<source>/<category>/<split>/<defect>/<file>'"),
    ("MVTec-AD/bottle/train/good/000.png", ENTRY,
     f"image key 'MVTec-AD/bottle/train/good/000.png': unknown source 'MVTec-AD'; expected one of {mm.SOURCES}"),
    (KEY, [], f"{KEY}: expected an object with a 'conversation' list"),
    (KEY, {"conversation": {"0": {}}}, f"{KEY}: expected an object with a 'conversation' list"),
    (KEY, {"conversation": ["text"]}, f"{KEY} question 0: expected an object with Question/Options/Answer/type"),
    (KEY, {"conversation": [_item(Question=..., type=...)]}, f"{KEY} question 0: missing field(s) Question, type"),
    (KEY, {"conversation": [_item(Options=..., Answer=...)]}, f"{KEY} question 0: missing field(s) Options, Answer"),
    (KEY, {"conversation": [_item(), _item(Options=["Yes.", "No."])]},
     f"{KEY} question 1: Options must map letters A-E to text, got ['Yes.', 'No.']"),
    (KEY, {"conversation": [_item(Options={})]}, f"{KEY} question 0: Options must map letters A-E to text, got {{}}"),
    (KEY, {"conversation": [_item(Options={"A": "x", "F": "y"})]},
     f"{KEY} question 0: Options must map letters A-E to text, got {{'A': 'x', 'F': 'y'}}"),
    (KEY, {"conversation": [_item(type="Anomaly detection")]},
     f"{KEY} question 0: unknown type 'Anomaly detection'; expected one of {sorted(mm.TYPE_TO_SUBTASK)}"),
    (KEY, {"conversation": [_item(Answer="C")]}, f"{KEY} question 0: answer 'C' is not among the options ['A', 'B']"),
])
def test_each_malformed_entry_is_named(key, entry, message):
    with pytest.raises(mm.MMADFormatError) as caught:
        list(mm.iter_rows({key: entry}))
    assert str(caught.value) == message


# --- exported answer keys and load_rows ---------------------------------------------------------------------


def _answer_key(folder: Path, rows: list, blank_after: int | None = None) -> Path:
    lines = [json.dumps(row) if isinstance(row, dict) else row for row in rows]
    if blank_after is not None:
        lines.insert(blank_after, "   ")
    path = folder / mm.ANSWER_KEY_FILE
    path.write_text("\n".join(lines) + "\n")
    return path


def test_load_rows_reads_every_form_of_the_benchmark(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "mmad.json").write_text(json.dumps({KEY: ENTRY}))
    rows = list(mm.iter_rows({KEY: ENTRY}))
    assert mm.load_rows(raw) == mm.load_rows(raw / "mmad.json") == rows
    exported = tmp_path / "exported"
    exported.mkdir()
    key = _answer_key(exported, rows, blank_after=1)
    assert mm.load_rows(exported) == mm.load_rows(key) == mm.load_rows(str(key)) == rows
    _answer_key(raw, [rows[0]])  # a root holding both: mmad.json is the source
    assert mm.load_rows(raw) == rows


def test_an_answer_key_gets_errata_found_after_its_export(tmp_path):
    (image, qtype), text = next(iter(mm.KNOWN_QUESTION_ISSUES.items()))
    stale = {**ROW0, "image_path": image, "question_type": qtype, "known_issue": None}
    kept = {**ROW0, "known_issue": "noted by hand"}
    assert mm.load_rows(_answer_key(tmp_path, [stale, kept])) == [{**stale, "known_issue": text}, kept]


@pytest.mark.parametrize("line, lacks", [
    ({k: v for k, v in ROW0.items() if k not in ("answer", "A")}, "A, answer"),
    ("[1, 2]", ", ".join(mm.TEXT_COLUMNS)),
])
def test_a_broken_answer_key_row_is_named_by_its_line(tmp_path, line, lacks):
    path = _answer_key(tmp_path, [ROW0, line], blank_after=1)
    with pytest.raises(mm.MMADFormatError) as caught:
        mm.load_rows(path)
    assert str(caught.value) == f"{path}:3: answer-key row lacks {lacks}"
    path.write_text(json.dumps(ROW0) + "\n{oops\n")
    with pytest.raises(mm.MMADFormatError, match=rf"^{path}:2: malformed JSON at line 1"):
        mm.load_rows(path)


# --- the files a root must hold -------------------------------------------------------------------------------


def test_referenced_files_are_every_image_mask_and_template_once_in_order():
    rows = list(mm.iter_rows({KEY: ENTRY, "GoodsAD/drink_can/test/good/000.jpg": {
        "random_templates": ["VisA/candle/train/good/001.JPG"], "conversation": ENTRY["conversation"][:1]}}))
    assert mm.referenced_files(rows) == [
        KEY, "VisA/candle/train/good/001.JPG", "VisA/candle/train/good/003.JPG", "VisA/candle/ground_truth/bad/000.png",
        "VisA/candle/train/good/002.JPG", "VisA/candle/train/good/004.JPG", "GoodsAD/drink_can/test/good/000.jpg"]


def _root(tmp_path: Path, entries: dict, present: list[str]) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    (root / "mmad.json").write_text(json.dumps(entries))
    for rel in present:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"img")
    return root


def test_read_root_counts_every_malformed_entry_and_shows_three(tmp_path):
    bad = {f"VisA/candle/bad/{i:03d}": ENTRY for i in range(4)}
    root = _root(tmp_path, {KEY: ENTRY, **bad}, [])
    with pytest.raises(mm.MMADFormatError) as caught:
        mm.read_root(root)
    shown = "; ".join(f"image key 'VisA/candle/bad/{i:03d}': expected 5 path parts "
                      "'<source>/<category>/<split>/<defect>/<file>'" for i in range(3))
    assert str(caught.value) == f"{root / 'mmad.json'}: 4 malformed image entries: {shown}"
    (root / "mmad.json").write_text(json.dumps({KEY: ENTRY, "VisA/x": ENTRY}))
    with pytest.raises(mm.MMADFormatError) as caught:
        mm.read_root(root)
    assert str(caught.value).startswith(f"{root / 'mmad.json'}: 1 malformed image entry: image key 'VisA/x'")


def test_missing_files_fail_unless_lenient_and_are_listed(tmp_path):
    files = mm.referenced_files(mm.iter_rows({KEY: ENTRY}))
    root = _root(tmp_path, {KEY: ENTRY}, files[:2])
    with pytest.raises(mm.MMADFormatError) as caught:
        mm.read_rows(root)
    assert str(caught.value) == (f"4 referenced file(s) missing from the root, e.g. {', '.join(files[2:])} "
                                 "(use --lenient to report instead of failing)")
    with pytest.raises(mm.MMADFormatError, match="4 referenced file"):
        mm.read_root(root)
    rows, missing = mm.read_root(root, lenient=True)
    assert missing == files[2:] and rows == list(mm.iter_rows({KEY: ENTRY}))
    assert mm.read_rows(root, config="defect_localization", lenient=True) == rows[1:]
    assert mm.read_rows(root, config="goodsad", lenient=True) == []
    for rel in files[2:]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"img")
    assert mm.read_root(root) == (rows, [])


def test_describe_missing_shows_the_first_five():
    missing = [f"f{i}.png" for i in range(7)]
    assert mm.describe_missing(missing) == "7 referenced file(s) missing from the root, e.g. f0.png, f1.png, f2.png, " \
                                           "f3.png, f4.png"
    assert mm.describe_missing(missing, shown=2) == "7 referenced file(s) missing from the root, e.g. f0.png, f1.png"


def test_image_files_are_none_where_absent_or_missing():
    assert mm.image_files(ROW0) == {"image": KEY, "template_image": ROW0["template_path"],
                                    "similar_template_image": ROW0["similar_template_path"],
                                    "mask": ROW0["mask_path"]}
    assert mm.image_files({**ROW0, "mask_path": None}, {KEY}) == {
        "image": None, "template_image": ROW0["template_path"],
        "similar_template_image": ROW0["similar_template_path"], "mask": None}


# --- Hub errors ---------------------------------------------------------------------------------------------


def _response(status: int):
    from huggingface_hub.utils import httpx

    return httpx.Response(status, request=httpx.Request("GET", "https://hub.example/api"))


def test_hub_errors_are_one_line_each(monkeypatch):
    from huggingface_hub import constants
    from huggingface_hub.errors import (GatedRepoError, HfHubHTTPError, OfflineModeIsEnabled,
                                        RepositoryNotFoundError, RevisionNotFoundError)

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", "https://hub.example")

    def said(exc: Exception) -> str:
        return str(mm.hub_error("org/repo", exc, offline_hint="use a local folder"))

    offline = "org/repo: offline: HF_HUB_OFFLINE is set, so the Hub cannot be asked; use a local folder"
    assert said(OfflineModeIsEnabled("offline")) == offline
    assert said(GatedRepoError("gated", response=_response(403))) == (
        "org/repo: gated; accept its terms on the Hub and set HF_TOKEN")
    assert said(RevisionNotFoundError("no rev", response=_response(404))) == (
        "org/repo: no such revision on https://hub.example")
    assert said(RepositoryNotFoundError("no repo", response=_response(404))) == (
        "org/repo: not found on https://hub.example (or private: set HF_TOKEN)")
    assert said(HfHubHTTPError("503 Server Error: busy\nsecond line", response=_response(503))) == (
        "org/repo: https://hub.example answered HTTP 503: 503 Server Error: busy")
    assert said(ConnectionError("refused " + "x" * 300 + "\nmore")) == (
        f"org/repo: cannot reach the Hub at https://hub.example (refused {'x' * 192}); check the network, or "
        "set HF_HUB_OFFLINE=1 to use only what is cached")
    assert said(TimeoutError()).startswith("org/repo: cannot reach the Hub at https://hub.example (TimeoutError);")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert said(ConnectionError("refused")) == offline


# --- the datasets builder ----------------------------------------------------------------------------------


def test_features_declare_text_bool_and_image_columns():
    import datasets

    features = mm.features()
    assert list(features) == [*mm.TEXT_COLUMNS, "image", "template_image", "similar_template_image", "mask"]
    assert features["is_normal"] == datasets.Value("bool") and features["question"] == datasets.Value("string")
    assert all(isinstance(features[c], datasets.Image) for c in ("image", "template_image", "mask"))


def test_the_builder_is_made_once_and_builds_a_config(tmp_path, monkeypatch):
    monkeypatch.delitem(mm.__dict__, "MMAD", raising=False)  # made again here, as on a first access
    builder_class = mm.MMAD
    assert mm.MMAD is builder_class and builder_class.__module__ == "mmad_dataset"
    with pytest.raises(AttributeError, match="^module 'mmad_dataset' has no attribute 'mmad'$"):
        mm.mmad  # noqa: B018
    files = mm.referenced_files(mm.iter_rows({KEY: ENTRY}))
    root = _root(tmp_path, {KEY: ENTRY, "GoodsAD/drink_can/test/good/000.jpg": {
        "conversation": ENTRY["conversation"][:1]}}, files + ["GoodsAD/drink_can/test/good/000.jpg"])
    from PIL import Image

    for rel in [*files, "GoodsAD/drink_can/test/good/000.jpg"]:
        Image.new("RGB", (4, 4)).save(root / rel, format="PNG")
    builder = builder_class(config_name="anomaly_discrimination", data_dir=str(root), cache_dir=str(tmp_path / "cache"))
    assert builder.info.description == "MMAD: multimodal LLMs as industrial inspectors (ICLR 2025)."
    assert (builder.info.homepage, builder.info.license) == ("https://github.com/jam-cc/MMAD", "cc-by-nc-sa-4.0")
    assert builder.info.features == mm.features()
    builder.download_and_prepare()
    defect, good = builder.as_dataset(split="test")
    assert defect["question_id"] == f"{KEY}#0" and defect["B"] == "No." and defect["mask"].size == (4, 4)
    assert good["question_id"] == "GoodsAD/drink_can/test/good/000.jpg#0" and good["image"] is not None
    assert good["mask"] is None and good["template_image"] is None and good["similar_template_image"] is None
    other = builder_class(config_name="defect_localization", data_dir=str(root), cache_dir=str(tmp_path / "cache"))
    other.download_and_prepare()
    assert other.as_dataset(split="test")["question_id"] == [f"{KEY}#1"]
    assert builder_class.DEFAULT_CONFIG_NAME == "all"
    assert [c.name for c in builder_class.BUILDER_CONFIGS] == list(mm.CONFIG_NAMES)
    assert builder_class(cache_dir=str(tmp_path / "c2")).config.name == "all"
    with pytest.raises(ValueError, match=r"^MMAD needs data_dir=<raw MMAD root holding mmad.json>$"):
        builder_class(config_name="visa", cache_dir=str(tmp_path / "c3")).download_and_prepare()
