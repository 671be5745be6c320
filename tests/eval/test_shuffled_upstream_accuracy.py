"""Official accuracy (not only counts) of an upstream answers file whose records show shuffled options.

Shuffling scripts (LLaVA, Cambrian, AnomalyGPT) store each question as the model saw it, options
re-lettered, with the gold letter and the reply in those shown letters. Scored with `mmad score`,
such a file must get exactly the numbers of the same choices written in the benchmark's own letters
(JSON Lines): every accuracy, per subtask and source and the averages, under both protocols.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from eval import load_key
from mmad.cli import main


def _choices(key, seed: int) -> dict[str, str]:
    """What a model chose, in the key's letters: right about 60% of the time, else another offered option."""
    rng = random.Random(seed)
    chosen = {}
    for q in key.questions:
        wrong = [letter for letter in q.options if letter != q.answer]
        chosen[q.qid] = q.answer if rng.random() < 0.6 or not wrong else rng.choice(wrong)
    return chosen


def _shuffled_upstream(key, chosen: dict[str, str], seed: int) -> tuple[list[dict], int]:
    """Upstream records with every question's options shown in a random order; how many were re-lettered."""
    rng = random.Random(seed)
    records, moved = [], 0
    for q in key.questions:
        letters = sorted(q.options)
        order = letters[:]
        rng.shuffle(order)  # order[i]: the key's letter shown as letters[i]
        shown_as = {key_letter: shown for shown, key_letter in zip(letters, order)}
        moved += shown_as[q.answer] != q.answer
        lines = "\n".join(f"{shown}. {q.options[key_letter]}" for shown, key_letter in zip(letters, order))
        rendered = {"type": "text", "text": f"Question: {q.question_type}?\n{lines}\n"}
        records.append({"image": q.image, "question": rendered,
                        "question_type": q.question_type, "correct_answer": shown_as[q.answer],
                        "gpt_answer": shown_as[chosen[q.qid]]})
    return records, moved


def _score(path: Path, key_root: Path, out: Path) -> dict:
    assert main(["score", str(path), "--key", str(key_root), "--resamples", "0", "--json", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("seed", [1, 2])
def test_shuffled_upstream_file_scores_as_its_choices_in_the_keys_letters(small_root, tmp_path, seed):
    key = load_key(small_root)
    chosen = _choices(key, seed)
    records, moved = _shuffled_upstream(key, chosen, seed)
    assert moved > len(records) // 3  # the shuffle really re-letters the gold of many questions
    upstream = tmp_path / "answers.json"
    upstream.write_text(json.dumps(records), encoding="utf-8")
    plain = tmp_path / "predictions.jsonl"
    plain.write_text("".join(json.dumps({"question_id": qid, "answer": letter}) + "\n"
                             for qid, letter in chosen.items()), encoding="utf-8")
    shuffled = _score(upstream, small_root, tmp_path / "shuffled.json")
    expected = _score(plain, small_root, tmp_path / "plain.json")
    for protocol in ("official", "strict"):
        got, want = shuffled[protocol], expected[protocol]
        assert got["average"] == want["average"], protocol
        assert got["subtasks"] == want["subtasks"], protocol
        assert got["sources"] == want["sources"], protocol
    right = sum(chosen[q.qid] == q.answer for q in key.questions) / len(key.questions)
    assert abs(shuffled["strict"]["average"] - 100 * right) < 12  # near the share of right answers, not 100 or 0
