"""The prompt a model sees in each setting, and how its reply becomes the key's letter."""

from __future__ import annotations

import json

import pytest

from eval.predict.prompts import (INSTRUCTION, Prompt, PromptSettings, build_prompt, extract_answer,
                                  render_question, shown_options)
from mmad_dataset import MMADError, domain_knowledge_text, read_rows


@pytest.fixture(scope="module")
def rows(small_root):
    return read_rows(small_root)


@pytest.fixture(scope="module")
def four_option(rows):
    """A four-option question that is not the first of its image, with the rows before it."""
    row = next(r for r in rows if r["D"] is not None and not r["question_id"].endswith("#0"))
    earlier = [r for r in rows if r["image_path"] == row["image_path"]]
    return row, earlier[:int(row["question_id"].rsplit("#", 1)[1])]


def _texts(prompt: Prompt) -> list[str]:
    return [part["text"] for part in prompt.parts if part["type"] == "text"]


def _images(prompt: Prompt) -> list[str]:
    return [part["path"] for part in prompt.parts if part["type"] == "image"]


def test_one_shot_prompt_is_the_upstream_text(rows):
    row = rows[0]
    prompt = build_prompt(row, [], PromptSettings(), None)
    templates = json.loads(row["random_templates"])
    assert prompt.parts == [
        {"type": "text", "text": INSTRUCTION},
        {"type": "text", "text": "Answer with the option's letter from the given choices directly! "},
        {"type": "text", "text": "Following is/are 1 image of normal sample, which can be used as a template to "
                                 "compare the image being queried."},
        {"type": "image", "path": templates[0]},
        {"type": "text", "text": "Following is the query image: "},
        {"type": "image", "path": row["image_path"]},
        {"type": "text", "text": "Following is the question list: "},
        {"type": "text", "text": f"Question: {row['question']} \nA. {row['A']}\nB. {row['B']}\n"},
    ]
    assert INSTRUCTION.startswith("\nYou are an industrial inspector")


def test_settings_choose_the_templates(rows):
    row = rows[0]
    assert _images(build_prompt(row, [], PromptSettings("0-shot"), None)) == [row["image_path"]]
    assert not any("normal sample" in t for t in _texts(build_prompt(row, [], PromptSettings("0-shot"), None)))
    similar = json.loads(row["similar_templates"])
    assert _images(build_prompt(row, [], PromptSettings("1-shot+"), None)) == [similar[0], row["image_path"]]
    k_shot = build_prompt(row, [], PromptSettings("k-shot", shots=3), None)
    assert _images(k_shot) == [*json.loads(row["random_templates"])[:3], row["image_path"]]
    assert "Following is/are 3 image of normal sample" in _texts(k_shot)[2]
    with pytest.raises(MMADError, match="unknown setting"):
        PromptSettings("2-shot")


def test_domain_knowledge_is_the_whole_category_block(rows, small_root):
    dk = json.loads((small_root / "domain_knowledge.json").read_text())
    row = rows[0]
    texts = _texts(build_prompt(row, [], PromptSettings(domain_knowledge=True), dk))
    expected = domain_knowledge_text(dk, row["image_path"])
    assert texts[2] == ("Following is the domain knowledge which contains some type of defect and the normal "
                        f"object characteristics: \n {expected}")
    assert row["image_path"].startswith("DS-MVTec/") and list(dk["MVTec"][row["category"]].values())[-1] in texts[2]


def test_cumulative_lists_the_earlier_questions_first(four_option):
    row, earlier = four_option
    single = _texts(build_prompt(row, earlier, PromptSettings(), None))
    cumulative = _texts(build_prompt(row, earlier, PromptSettings(cumulative=True), None))
    assert single[-1] == render_question(row, None) and len(single) == 6
    assert cumulative[-1 - len(earlier):] == [render_question(r, None) for r in [*earlier, row]]


def test_permutation_is_seeded_and_maps_back_to_the_key(rows):
    four = [r for r in rows if r["D"] is not None][:40]
    orders = [list(shown_options(r, 7).values()) for r in four]
    assert orders == [list(shown_options(r, 7).values()) for r in four]
    assert orders != [list(shown_options(r, 8).values()) for r in four]
    assert any([key for key, _ in order] != ["A", "B", "C", "D"] for order in orders)
    row = four[0]
    prompt = build_prompt(row, [], PromptSettings(permute_seed=7), None)
    gold_shown = next(shown for shown, (key, _) in prompt.options.items() if key == row["answer"])
    assert extract_answer(f"The answer is {gold_shown}.", prompt) == row["answer"]
    assert _texts(prompt)[-1] == "Question: {} \n{}".format(
        row["question"], "".join(f"{s}. {text}\n" for s, (_, text) in prompt.options.items()))


def test_answer_extraction_follows_upstream(rows):
    row = next(r for r in rows if r["D"] is not None)
    prompt = build_prompt(row, [], PromptSettings(), None)
    assert extract_answer("A is wrong, the answer is C", prompt) == "C"
    assert extract_answer(row["D"].lower(), prompt) == "D"
    assert extract_answer("   ", prompt) == ""
    two = build_prompt(rows[0], [], PromptSettings(), None)
    assert extract_answer("E", two) == ""
