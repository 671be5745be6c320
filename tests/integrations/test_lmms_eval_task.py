"""The lmms-eval task's functions, without lmms-eval: docs from a real `load_dataset` of an export,
images and prompt as `mmad predict` shows them, and aggregation equal to `mmad score`."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from lmms_task import TASK_DIR, load_task_utils
from fake_hub import fake_hub  # noqa: F401  (pytest fixture)
from PIL import Image

from eval import load_key, read_predictions, score
from mmad_dataset import CONFIG_NAMES, SOURCE_CONFIGS, SUBTASKS

utils = load_task_utils()


@pytest.fixture
def docs(tiny_export: Path):
    from datasets import load_dataset

    return load_dataset(str(tiny_export), "all", split="test")


def _pixels(image: Image.Image) -> bytes:
    return image.convert("RGB").tobytes()


def test_the_committed_yamls_are_what_the_generator_writes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("write_tasks", TASK_DIR.parent / "write_tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.expected_files()
    on_disk = {path.name: path.read_text(encoding="utf-8") for path in TASK_DIR.iterdir()
               if path.name.endswith(".yaml") or path.name.startswith("_default")}
    assert on_disk == expected


def test_one_task_per_config_and_setting():
    names = {path.stem for path in TASK_DIR.glob("*.yaml")}
    configs = ["all", *SUBTASKS, *SOURCE_CONFIGS]
    assert sorted(configs) == sorted(CONFIG_NAMES)
    for config in configs:
        base = "mmad" if config == "all" else f"mmad_{config}"
        for suffix in ("", "_0shot", "_1shot_plus", "_kshot", "_dk"):
            assert base + suffix in names
    assert len(names) == 12 * 5


@pytest.mark.parametrize("kwargs, expected_templates", [
    ({"setting": "0-shot"}, lambda e: []),
    ({"setting": "1-shot"}, lambda e: e["random_templates"][:1]),
    ({"setting": "1-shot+"}, lambda e: e["similar_templates"][:1]),
    ({"setting": "k-shot", "shots": 2}, lambda e: e["random_templates"][:2]),
])
def test_images_are_the_templates_then_the_query_read_from_the_raw_files(docs, tiny_root, kwargs, expected_templates):
    mmad = json.loads((tiny_root / "mmad.json").read_text(encoding="utf-8"))
    shown = 0
    for doc in docs.select(range(0, len(docs), 3)):
        entry = mmad[doc["image_path"]]
        paths = [*expected_templates(entry), doc["image_path"]]
        shown += 1
        expected = [_pixels(Image.open(tiny_root / path)) for path in paths]
        assert [_pixels(p) for p in utils.doc_to_visual(doc, kwargs)] == expected
        message = utils.doc_to_messages(doc, kwargs)
        assert [message[0]["role"], len(message)] == ["user", 1]
        content = message[0]["content"]
        assert [_pixels(c["url"]) for c in content if c["type"] == "image"] == expected
        # the query image comes right after its announcement, the question after it
        kinds = [c["type"] for c in content]
        query = len(kinds) - 1 - kinds[::-1].index("image")
        assert content[query - 1]["text"] == "Following is the query image: "
        assert doc["question"] in content[-1]["text"]
        text = utils.doc_to_text(doc, kwargs)
        assert text.count("<image>\n") == len(paths)
        assert text == "".join(c["text"] if c["type"] == "text" else "<image>\n" for c in content)
    assert shown >= 3


def test_domain_knowledge_comes_from_the_export(docs, tiny_export):
    doc = docs[0]
    with_dk = utils.doc_to_text(doc, {"setting": "1-shot", "domain_knowledge": True})
    assert "Following is the domain knowledge" in with_dk
    assert "Following is the domain knowledge" not in utils.doc_to_text(doc, {"setting": "1-shot"})


def test_a_template_missing_from_the_export_is_a_clear_error(tiny_root, tmp_path):
    from datasets import load_dataset

    from mmad.export import export_root

    bare = tmp_path / "bare"
    export_root(tiny_root, bare)
    doc = load_dataset(str(bare), "all", split="test")[0]
    (bare / json.loads(doc["random_templates"])[2]).unlink()  # a k-shot template that 1-shot never shows
    utils.doc_to_visual(doc, {"setting": "1-shot"})
    with pytest.raises(utils.MMADError, match="lacks MVTec-AD/.* that question"):
        utils.doc_to_visual(doc, {"setting": "k-shot", "shots": 3})


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_export_uploaded_to_a_fake_hub_shows_the_same_images(tiny_export, tiny_root, fake_hub):
    """dataset_path as a Hub id: the images (k-shot templates included) come from the Hub snapshot."""
    from datasets import load_dataset
    from huggingface_hub import HfApi

    api = HfApi(endpoint=fake_hub.url, token="fake-token")
    api.create_repo("mmad-org/MMAD", repo_type="dataset")
    api.upload_folder(folder_path=tiny_export, repo_id="mmad-org/MMAD", repo_type="dataset")
    doc = load_dataset("mmad-org/MMAD", "goodsad", split="test")[0]
    assert str(utils.dataset_root(doc)).startswith(os.environ["HF_HOME"])  # the Hub snapshot, not the folder
    entry = json.loads((tiny_root / "mmad.json").read_text(encoding="utf-8"))[doc["image_path"]]
    paths = [*entry["random_templates"][:2], doc["image_path"]]
    shown = utils.doc_to_visual(doc, {"setting": "k-shot", "shots": 2})
    assert [_pixels(p) for p in shown] == [_pixels(Image.open(tiny_root / path)) for path in paths]


def _items(docs, replies: dict[str, str]):
    plain = docs.remove_columns(["image", "template_image", "similar_template_image", "mask"])
    plain = utils.process_docs(plain)
    return [utils.process_results(doc, [replies[doc["question_id"]]])["mmad_official"] for doc in plain]


def test_aggregation_equals_mmad_score_on_the_same_replies(docs, tiny_export, tmp_path):
    rng = random.Random(3)
    replies = {}
    for doc in docs:
        letters = [letter for letter in "ABCDE" if doc[letter] is not None]
        replies[doc["question_id"]] = rng.choice([f"The answer is {rng.choice(letters)}.", "no idea", "",
                                                  doc[rng.choice(letters)], "F"])
    items = _items(docs, replies)
    rng.shuffle(items)  # lmms-eval gives no order guarantee; the official protocol follows the key's

    class Args:
        output_path = str(tmp_path / "out")

    official = utils.aggregate_official(items, args=Args())
    strict = utils.aggregate_strict(items, args=Args())
    written = list((tmp_path / "out" / utils.PREDICTIONS_DIR).glob("*.jsonl"))
    assert len(written) == 1
    lines = [json.loads(line) for line in written[0].read_text(encoding="utf-8").splitlines()]
    assert [line["question_id"] for line in lines] == list(docs["question_id"])
    assert {line["question_id"]: line["response"] for line in lines} == replies
    assert all(set(line) == {"question_id", "answer", "response"} for line in lines)

    key = load_key(tiny_export)
    direct = score(read_predictions(written[0], key), key, "both", resamples=0)
    assert (official, strict) == (direct["official"]["average"], direct["strict"]["average"])
    assert direct["strict"]["counts"]["invalid"] > 0 and official != strict


def test_subset_task_scores_its_own_questions(tiny_export, tmp_path):
    """strict = `mmad score` with the key cut to the task's questions; official reads only answers."""
    from datasets import load_dataset

    from eval import AnswerKey
    from mmad_dataset import load_rows

    visa = load_dataset(str(tiny_export), "visa", split="test")
    items = _items(visa, {qid: "A" for qid in visa["question_id"]})

    class Args:
        output_path = str(tmp_path)

    strict = utils.aggregate_strict(items, args=Args())
    official = utils.aggregate_official(items, args=Args())
    written = next((tmp_path / utils.PREDICTIONS_DIR).glob("*.jsonl"))
    visa_key = AnswerKey.from_rows([row for row in load_rows(tiny_export) if row["source"] == "VisA"])
    assert strict == score(written, visa_key, "strict", resamples=0)["average"]
    assert official == score(written, load_key(tiny_export), "official", resamples=0)["average"]
    assert score(written, load_key(tiny_export), "strict", resamples=0)["average"] < strict
