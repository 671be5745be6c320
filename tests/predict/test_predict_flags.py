"""Each `mmad predict` flag, checked on what the model is actually sent.

The fake chat endpoint records every request; the images in `labelled_root` carry their own path,
so each request reads back as texts and file names. The expected prompts are written out here
from upstream's `qwen2_5_vl_query.py` (see docs/predict.md), straight from the raw `mmad.json`,
without calling the prompt builder under test.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from mmad.cli import main

INSTRUCTION = ("\nYou are an industrial inspector who checks products by images. You should judge whether there is a "
               "defect in the query image and answer the questions about it.\n"
               "Answer with the option's letter from the given choices directly.\n")
ANSWER_FORMAT = "Answer with the option's letter from the given choices directly! "
QUERY = "Following is the query image: "
QUESTIONS = "Following is the question list: "


def templates_text(count: int) -> str:
    return (f"Following is/are {count} image of normal sample, which can be used as a template to compare the "
            "image being queried.")


def question_text(item: dict, options: list[str] | None = None) -> str:
    """`Question: {Q} \\n` then `{L}. {option}\\n` per option; `options` gives a shown order of texts."""
    texts = options if options is not None else list(item["Options"].values())
    return f"Question: {item['Question']} \n" + "".join(f"{'ABCDE'[i]}. {t}\n" for i, t in enumerate(texts))


def expected(key: str, entry: dict, index: int, *, templates: list[str], knowledge: str | None = None,
             cumulative: bool = False) -> list[tuple[str, str]]:
    parts = [("text", INSTRUCTION), ("text", ANSWER_FORMAT)]
    if knowledge is not None:
        parts.append(("text", "Following is the domain knowledge which contains some type of defect and the "
                              f"normal object characteristics: \n {knowledge}"))
    if templates:
        parts += [("text", templates_text(len(templates))), *(("image", path) for path in templates)]
    parts += [("text", QUERY), ("image", key), ("text", QUESTIONS)]
    asked = range(index + 1) if cumulative else [index]
    return parts + [("text", question_text(entry["conversation"][i])) for i in asked]


@pytest.fixture(scope="module")
def mmad(labelled_root) -> dict:
    return json.loads((labelled_root / "mmad.json").read_text())


def first_questions(mmad: dict, count: int, source: str | None = None) -> list[tuple[str, dict, int]]:
    """(image key, entry, index) of the first `count` questions in mmad.json order."""
    found = [(key, entry, i) for key, entry in mmad.items() if source is None or key.startswith(source + "/")
             for i in range(len(entry["conversation"]))]
    return found[:count]


def _run(root, server, out, *extra: str) -> int:
    return main(["predict", "--backend", "openai", "--model", "fake-vlm", "--base-url", server.url,
                 "--data-dir", str(root), "--out", str(out), "--concurrency", "1", "--no-score", *extra])


@pytest.mark.parametrize("setting, pick", [
    ("1-shot", lambda entry: entry["random_templates"][:1]),
    ("0-shot", lambda entry: []),
    ("1-shot+", lambda entry: entry["similar_templates"][:1]),
], ids=["1-shot", "0-shot", "1-shot+"])
def test_each_setting_shows_its_templates(labelled_root, mmad, fake_server, tmp_path, setting, pick):
    assert _run(labelled_root, fake_server, tmp_path / "p.jsonl", "--limit", "7", "--setting", setting) == 0
    want = [expected(key, entry, i, templates=pick(entry)) for key, entry, i in first_questions(mmad, 7)]
    assert fake_server.shown() == want


def test_1_shot_plus_shows_another_template_than_1_shot(mmad):
    """Else the setting test above could not tell 1-shot+ from 1-shot."""
    differ = [key for key, _, _ in first_questions(mmad, 7)
              if mmad[key]["similar_templates"][0] != mmad[key]["random_templates"][0]]
    assert differ


def test_k_shot_shows_the_first_k_random_templates(labelled_root, mmad, fake_server, tmp_path):
    assert _run(labelled_root, fake_server, tmp_path / "p.jsonl", "--limit", "5", "--setting", "k-shot",
                "--shots", "3") == 0
    want = [expected(key, entry, i, templates=entry["random_templates"][:3])
            for key, entry, i in first_questions(mmad, 5)]
    assert all(len(entry["random_templates"]) >= 3 for _, entry, _ in first_questions(mmad, 5))
    assert fake_server.shown() == want


def test_domain_knowledge_is_the_categorys_whole_block(labelled_root, mmad, fake_server, tmp_path):
    knowledge = json.loads((labelled_root / "domain_knowledge.json").read_text())
    assert _run(labelled_root, fake_server, tmp_path / "p.jsonl", "--limit", "3", "--domain-knowledge") == 0
    want = []
    for key, entry, i in first_questions(mmad, 3):
        source, category = key.split("/")[:2]
        block = knowledge["MVTec" if source == "DS-MVTec" else source][category]
        want.append(expected(key, entry, i, templates=entry["random_templates"][:1],
                             knowledge="\n".join(block.values())))
    assert fake_server.shown() == want


def test_cumulative_lists_the_images_questions_up_to_the_asked_one(labelled_root, mmad, fake_server, tmp_path):
    key, entry, _ = first_questions(mmad, 1)[0]
    count = len(entry["conversation"])
    assert count >= 3
    assert _run(labelled_root, fake_server, tmp_path / "p.jsonl", "--limit", str(count), "--cumulative") == 0
    want = [expected(key, entry, i, templates=entry["random_templates"][:1], cumulative=True) for i in range(count)]
    assert fake_server.shown() == want


def test_config_and_limit_choose_the_questions_asked(labelled_root, mmad, fake_server, tmp_path):
    assert _run(labelled_root, fake_server, tmp_path / "p.jsonl", "--limit", "4", "--config", "visa",
                "--setting", "0-shot") == 0
    want = [expected(key, entry, i, templates=[]) for key, entry, i in first_questions(mmad, 4, "VisA")]
    assert fake_server.shown() == want


def test_generation_options_reach_the_endpoint(labelled_root, fake_server, tmp_path):
    assert _run(labelled_root, fake_server, tmp_path / "p.jsonl", "--limit", "1", "--max-new-tokens", "7",
                "--temperature", "0.5") == 0
    [body] = fake_server.requests
    assert (body["model"], body["max_tokens"], body["temperature"]) == ("fake-vlm", 7, 0.5)


def _shown_options(server) -> list[list[str]]:
    """The option texts of each request's (last) question, in shown order."""
    result = []
    for parts in server.shown():
        last = parts[-1][1]
        lines = last.split(" \n", 1)[1].splitlines()
        assert [line[:3] for line in lines] == [f"{letter}. " for letter in "ABCDE"[:len(lines)]]
        result.append([line[3:] for line in lines])
    return result


def test_permutation_is_seeded_and_answers_map_back(labelled_root, mmad, tmp_path):
    from fake_openai_server import FakeOpenAIServer

    questions = [entry["conversation"][i] for _, entry, i in first_questions(mmad, 30)]
    orders = {}
    for name, flags in {"plain": ["--seed", "3"], "seed 3": ["--permute-options", "--seed", "3"],
                        "seed 3 again": ["--permute-options", "--seed", "3"],
                        "seed 4": ["--permute-options", "--seed", "4"]}.items():
        server = FakeOpenAIServer()
        try:
            out = tmp_path / f"{name}.jsonl"
            assert _run(labelled_root, server, out, "--limit", "30", "--setting", "0-shot", *flags) == 0
            orders[name] = _shown_options(server)
        finally:
            server.close()
        # The fake answers the option whose text sorts first: in key letters, whatever the order shown.
        by_text = [min(q["Options"], key=lambda letter: q["Options"][letter]) for q in questions]
        assert [json.loads(line)["answer"] for line in out.read_text().splitlines()] == by_text
    assert orders["plain"] == [list(q["Options"].values()) for q in questions]
    for name in ("seed 3", "seed 4"):
        assert [Counter(order) for order in orders[name]] == [Counter(q["Options"].values()) for q in questions]
        assert orders[name] != orders["plain"]
    assert orders["seed 3"] == orders["seed 3 again"]
    assert orders["seed 3"] != orders["seed 4"]
