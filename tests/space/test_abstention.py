"""Strategic abstention cannot pay: blanks, nulls and unreadable replies placed anywhere, even by an
oracle that knows the key, gain at most 0.5 points on a full-size key while the result is ranked.

The official protocol drops an invalid record and skips the next one unseen (upstream's quirk, kept
to reproduce published numbers). Coverage counts only what a protocol read as an offered letter, so
each blank costs two questions of official coverage, and the 99.8% rule bounds what the drops hide.
"""

from __future__ import annotations

import json
import random

import pytest

from eval import load_key, read_predictions, score
from space import taxonomy
from space.populate import row_from_submission

BOUND = 0.5
META = {"model_name": "m", "setting": "1-shot", "training_exposure": taxonomy.NO_EXPOSURE}
BLANK = {"answer": None, "response": ""}


@pytest.fixture(scope="module")
def full_key(full_mmad_json):
    return load_key(full_mmad_json)


@pytest.fixture(scope="module")
def honest(full_key) -> list[str]:
    """A 70%-accurate model's letters, in key order."""
    rng = random.Random(7)
    return [q.answer if rng.random() < 0.7 else rng.choice([x for x in q.options if x != q.answer])
            for q in full_key.questions]


def judged(key, answers: list[str | None]) -> tuple[float, bool]:
    """(official average, ranked on the board) of a file giving `answers` (None: a blank reply)."""
    lines = [json.dumps({"question_id": q.qid, **({"answer": a} if a else BLANK)})
             for q, a in zip(key.questions, answers)]
    result = score(read_predictions("\n".join(lines).encode(), key), key, resamples=0)
    return result["official"]["average"], row_from_submission("s", META, result).ranked


def cell_weights(key) -> list[float]:
    """How much one question weighs in the official average: 1 / (its cell's size × columns × sources);
    anomaly discrimination averages its normal and abnormal halves, so each half weighs double."""
    sizes: dict[tuple, int] = {}
    cells = []
    for q in key.questions:
        half = q.answer if q.subtask == "anomaly_discrimination" else ""
        cells.append((q.source, q.subtask, half))
        sizes[cells[-1]] = sizes.get(cells[-1], 0) + 1
    columns = {s: len({c[1] for c in sizes if c[0] == s}) for s, _, _ in sizes}
    return [(2 if c[2] else 1) / (sizes[c] * columns[c[0]] * len(columns)) for c in cells]


def oracle_blanks(key, answers: list[str], pairs: int) -> list[str | None]:
    """Blanks on wrong answers followed by wrong answers, heaviest cells first: each blank is dropped
    and hides the wrong answer after it."""
    weight = cell_weights(key)
    wrong = [a != q.answer for q, a in zip(key.questions, answers)]
    candidates = sorted((i for i in range(len(answers) - 1) if wrong[i] and wrong[i + 1]),
                        key=lambda i: -(weight[i] + weight[i + 1]))
    attacked, used = list(answers), set()
    for i in candidates:
        if len(used) == 2 * pairs:
            break
        if not {i, i + 1} & used:
            attacked[i] = None
            used |= {i, i + 1}
    return attacked


def unsure_blanks(key, answers: list[str], flagged: int, seed: int = 0) -> list[str | None]:
    """Abstain where a 75%-precise "unsure" signal fires (no key: 3 of 4 flagged answers are wrong)."""
    rng = random.Random(seed)
    wrong = [i for i, (q, a) in enumerate(zip(key.questions, answers)) if a != q.answer]
    right = [i for i, (q, a) in enumerate(zip(key.questions, answers)) if a == q.answer]
    chosen = set(rng.sample(wrong, flagged * 3 // 4) + rng.sample(right, flagged - flagged * 3 // 4))
    return [None if i in chosen else a for i, a in enumerate(answers)]


def largest_ranked_gain(key, honest: list[str], attack, sizes: list[int]) -> tuple[float, bool]:
    """The largest gain over the honest file among the attack's sizes that stay ranked (and whether any did)."""
    base, ranked = judged(key, honest)
    assert ranked
    gains = [average - base for average, ranked in (judged(key, attack(key, honest, n)) for n in sizes) if ranked]
    return max(gains, default=0.0), bool(gains)


def test_oracle_blanks_before_wrong_answers_gain_at_most_half_a_point_while_ranked(full_key, honest):
    gain, _ = largest_ranked_gain(full_key, honest, oracle_blanks, [10, 39, 40, 300, 3000])
    print(f"oracle blank attack: largest gain while ranked {gain:+.3f} points")
    assert gain <= BOUND


def test_abstaining_on_a_75_percent_precise_unsure_signal_gains_at_most_half_a_point(full_key, honest):
    gain, _ = largest_ranked_gain(full_key, honest, unsure_blanks, [20, 39, 79, 2000, 8000, 12000])
    print(f"75%-precise abstention: largest gain while ranked {gain:+.3f} points")
    assert gain <= BOUND


def test_blanks_are_unanswered_under_both_protocols(full_key, honest):
    """A blank is no answer, and the record the official protocol skips after it is not answered either."""
    attacked = oracle_blanks(full_key, honest, 40)
    lines = [json.dumps({"question_id": q.qid, **({"answer": a} if a else BLANK)})
             for q, a in zip(full_key.questions, attacked)]
    result = score(read_predictions("\n".join(lines).encode(), full_key), full_key, resamples=0)
    total = len(full_key)
    assert result["official"]["counts"]["answered"] == total - 80
    assert result["strict"]["counts"]["answered"] == total - 40
    assert taxonomy.coverage_of(result)[0] == taxonomy.SUBSET_COVERAGE
