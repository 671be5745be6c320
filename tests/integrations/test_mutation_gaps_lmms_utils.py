"""The lmms-eval task's utils.py: behaviour mutation testing (docs/mutation.md) found unguarded —
its defaults without task kwargs, the image token, the reply objects chat models return, the
prediction file's name and text, where it is written and what is printed."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from lmms_task import TASK_DIR, load_task_utils

from eval import format_table, load_key, score

utils = load_task_utils()


@pytest.fixture(scope="module")
def docs(tiny_export: Path, tmp_path_factory: pytest.TempPathFactory):
    from datasets import load_dataset

    # A module fixture is set up before the per-test HF home: its own cache, never the user's.
    cache = tmp_path_factory.mktemp("hf_datasets")
    return load_dataset(str(tiny_export), "all", split="test", cache_dir=str(cache))


@pytest.fixture(scope="module")
def plain_docs(docs):
    """The docs as process_results sees them in these tests: numbered, without decoded images."""
    return utils.process_docs(docs.remove_columns(["image", "template_image", "similar_template_image", "mask"]))


def _items(plain_docs, reply) -> list[dict]:
    return [utils.process_results(doc, [reply(doc)])["mmad_official"] for doc in plain_docs]


def test_without_task_kwargs_the_prompt_is_the_papers_default_one_shot(docs):
    doc = docs[0]
    one_shot = utils.doc_to_text(doc, {"setting": "1-shot", "shots": 1, "domain_knowledge": False})
    assert utils.doc_to_text(doc) == utils.doc_to_text(doc, {}) == one_shot
    assert one_shot.count(utils.DEFAULT_IMAGE_TOKEN) == 2  # one template, then the query
    assert len(utils.doc_to_visual(doc)) == 2
    assert len(utils.doc_to_visual(doc, {"setting": "k-shot"})) == 2  # k-shot's k defaults to 1 too


def test_a_task_may_name_its_models_image_token(docs):
    text = utils.doc_to_text(docs[0], {"setting": "0-shot", "image_token": "<img>"})
    assert text.count("<img>") == 1 and utils.DEFAULT_IMAGE_TOKEN not in text


def test_missing_templates_are_counted_in_one_bounded_message(tiny_root, tmp_path):
    from datasets import load_dataset

    from mmad.export import export_root

    bare = tmp_path / "bare"
    export_root(tiny_root, bare)
    doc = load_dataset(str(bare), "all", split="test")[0]
    templates = json.loads(doc["random_templates"])
    root = utils.dataset_root(doc)
    expected = (f"{root}: lacks {templates[0]}{{}} that question {doc['question_id']} shows; "
                "export with an `mmad export` that copies every template")
    for gone, more in ((1, ""), (2, " (and 1 more)"), (3, " (and 2 more)")):
        for path in templates[gone - 1:gone]:
            (bare / path).unlink()
        with pytest.raises(utils.MMADError) as refused:
            utils.doc_to_visual(doc, {"setting": "k-shot", "shots": 3})
        assert str(refused.value) == expected.format(more)


def test_replies_as_chat_models_return_them_text_objects_or_nothing(plain_docs):
    doc = plain_docs[0]
    wrong = next(letter for letter in "ABCDE" if doc[letter] and letter != doc["answer"])
    as_object = utils.process_results(doc, [SimpleNamespace(text=f"The answer is {wrong}.")])["mmad_official"]
    assert (as_object["response"], as_object["answer"]) == (f"The answer is {wrong}.", wrong)
    nothing = utils.process_results(doc, [None])["mmad_official"]
    assert (nothing["response"], nothing["answer"]) == ("", "")


def test_process_results_gives_every_metric_the_task_lists_its_record(plain_docs):
    metrics = re.findall(r"- metric: (\w+)", (TASK_DIR / "_default_template_yaml").read_text(encoding="utf-8"))
    assert metrics == ["mmad_official", "mmad_strict"]
    result = utils.process_results(plain_docs[0], ["B"])
    assert sorted(result) == sorted(metrics)
    assert result["mmad_official"] == result["mmad_strict"]


def test_the_predictions_file_is_utf8_text_named_by_its_content(plain_docs, tmp_path):
    items = _items(plain_docs, lambda doc: "Réponse : (A) — sûr")
    path = utils.write_predictions(items, tmp_path / "deep" / "er")
    content = path.read_bytes()
    assert path.parent == tmp_path / "deep" / "er"
    assert path.name == f"mmad-{len(items)}q-{hashlib.sha256(content).hexdigest()[:12]}.jsonl"
    assert "Réponse : (A) — sûr".encode() in content  # UTF-8 text, not \\u escapes
    assert [json.loads(line)["response"] for line in content.decode("utf-8").splitlines()] == \
        ["Réponse : (A) — sûr"] * len(items)


@pytest.mark.parametrize("args", [None, SimpleNamespace(), SimpleNamespace(output_path=None)],
                         ids=["no args", "no output_path", "output_path None"])
def test_without_an_output_path_the_file_goes_under_the_working_folder(plain_docs, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    official = utils.aggregate_official(_items(plain_docs, lambda doc: doc["answer"]), args)
    assert official == 100.0
    assert len(list((tmp_path / utils.PREDICTIONS_DIR).glob("mmad-*.jsonl"))) == 1


@pytest.mark.parametrize("metric", ["official", "strict"])
def test_each_aggregation_alone_writes_under_the_runs_output_path(plain_docs, tmp_path, monkeypatch, metric):
    """lmms-eval may aggregate one metric only (a task listing one): its file still goes to --output_path."""
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    aggregate = getattr(utils, f"aggregate_{metric}")
    assert aggregate(_items(plain_docs, lambda doc: f"({doc['answer']})"), SimpleNamespace(
        output_path=str(tmp_path / "out"))) == 100.0
    assert len(list((tmp_path / "out" / utils.PREDICTIONS_DIR).glob("*.jsonl"))) == 1
    assert not list(here.iterdir())


def test_the_log_names_the_file_and_prints_its_table_once(plain_docs, tiny_export, tmp_path, capsys):
    """Both metrics aggregate the same records: one scoring, one table (without intervals: those are
    `mmad score`'s, with its resamples), exactly as `mmad score --resamples 0` prints it."""
    items = _items(plain_docs, lambda doc: "A")
    args = SimpleNamespace(output_path=str(tmp_path))
    capsys.readouterr()
    utils.aggregate_official(items, args)
    utils.aggregate_strict(items, args)
    printed = capsys.readouterr().out
    path = next((tmp_path / utils.PREDICTIONS_DIR).glob("*.jsonl"))
    table = format_table(score(path, load_key(tiny_export), "both", resamples=0))
    assert printed == f"MMAD predictions: {path}\n{table}\n"


def test_a_windows_path_of_the_query_image_still_gives_the_exports_folder():
    image = SimpleNamespace(filename="C:\\data\\MMAD-hub\\VisA\\candle\\test\\bad\\000.JPG")
    doc = {"image": image, "image_path": "VisA/candle/test/bad/000.JPG", "question_id": "VisA/candle#0"}
    assert str(utils.dataset_root(doc)) == "C:\\data\\MMAD-hub\\"


@pytest.mark.parametrize("image, shown", [(None, ""), (SimpleNamespace(), ""), (SimpleNamespace(filename=None), ""),
                                          (SimpleNamespace(filename="/x/" + "y" * 500 + ".png"), "/x/" + "y" * 197)])
def test_a_query_image_not_read_from_the_export_is_a_bounded_error(image, shown):
    """Images decoded from bytes (or not decoded) carry no file name: the export's folder is unknown."""
    doc = {"image": image, "image_path": "VisA/candle/test/bad/000.JPG", "question_id": "VisA/candle#0"}
    with pytest.raises(utils.MMADError) as refused:
        utils.dataset_root(doc)
    assert str(refused.value) == (f"question VisA/candle#0: its image was not read from a file of the export "
                                  f"(got {shown!r}); point dataset_path at an `mmad export` folder or Hub id")


def test_the_domain_knowledge_file_is_read_only_when_asked_and_per_export(docs, tiny_export, tmp_path):
    """The image store and the domain knowledge are per export folder, not one for the process; a
    damaged domain_knowledge.json stops only the settings that show it."""
    from datasets import load_dataset

    copies = {}
    for name, text in (("copy", None), ("broken", "{not json")):
        copies[name] = tmp_path / name
        shutil.copytree(tiny_export, copies[name])
        knowledge = json.loads((copies[name] / "domain_knowledge.json").read_text(encoding="utf-8"))
        for categories in knowledge.values():
            for entry in categories.values():
                for field in entry:
                    entry[field] = "Copied knowledge."
        (copies[name] / "domain_knowledge.json").write_text(text or json.dumps(knowledge), encoding="utf-8")
    moved, broken = (load_dataset(str(copies[name]), "all", split="test", cache_dir=str(tmp_path / f"hf_{name}"))[0]
                     for name in ("copy", "broken"))
    settings = {"setting": "0-shot", "domain_knowledge": True}
    assert "Copied knowledge." not in utils.doc_to_text(docs[0], settings)
    assert "Copied knowledge." in utils.doc_to_text(moved, settings)
    assert utils.doc_to_text(broken, {"setting": "0-shot"}) == utils.doc_to_text(docs[0], {"setting": "0-shot"})
    with pytest.raises(utils.MMADError, match="domain_knowledge.json"):
        utils.doc_to_text(broken, settings)
