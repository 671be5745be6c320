"""Known wrong questions in an answer key, and what a result would be without them.

The official protocol stays exactly upstream's, errata included, so its numbers keep reproducing the
authors'. This module only tells a reader whether an erratum matters for one file: how many of the
flagged questions it answered, and its average with them left out of both the key and the file.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mmad_dataset import known_issue

from .key import AnswerKey
from .predictions import Predictions


def flagged_questions(key: AnswerKey) -> dict[str, str]:
    """Question id → why it is known to be wrong upstream, for every flagged question of the key."""
    found = ((question.qid, known_issue(question.image, question.question_type)) for question in key.questions)
    return {qid: issue for qid, issue in found if issue}


def without(predictions: Predictions, key: AnswerKey, flagged: set[str]) -> tuple[Predictions, AnswerKey]:
    """The file and the key with the flagged questions removed, still mapped onto each other."""
    kept = tuple(question for question in key.questions if question.qid not in flagged)
    # an id for this derived key only (never stored or shown), not a hash of its content
    smaller = AnswerKey.from_checked(kept, f"{key.sha256}-without-{len(flagged)}-flagged")
    return replace(predictions, key_sha256=smaller.sha256,
                   records=tuple(record for record in predictions.records if record.qid not in flagged),
                   strict={qid: pair for qid, pair in predictions.strict.items() if qid not in flagged}), smaller


def score_with_errata(predictions: Predictions, key: AnswerKey, protocol: str, **options: Any) -> dict[str, Any]:
    """`score()`'s result with an `errata` block added to each protocol's part (what `mmad score` and
    `mmad predict` show); the protocols' own numbers are untouched. `options` go to `score()`."""
    from .score import BOTH, score

    result = score(predictions, key, protocol, **options)
    parts = result if protocol == BOTH else {protocol: result}
    effect = errata_effect(predictions, key, tuple(parts))
    for name, part in parts.items():
        part["errata"] = {**effect, "average_without_flagged": effect["average_without_flagged"][name]}
    return result


def errata_effect(predictions: Predictions, key: AnswerKey, protocols: tuple[str, ...]) -> dict[str, Any]:
    """How many flagged questions the file answered and, per protocol, its average without them
    (None when the key has no flagged question, or nothing would be left)."""
    from .score import score

    flagged = flagged_questions(key)
    answered = [qid for qid in flagged if qid in predictions.strict]
    averages: dict[str, float | None] = dict.fromkeys(protocols)
    if flagged and len(flagged) < len(key):
        smaller_predictions, smaller_key = without(predictions, key, set(flagged))
        averages = {name: score(smaller_predictions, smaller_key, name, resamples=0)["average"] for name in protocols}
    return {"flagged_questions": len(flagged), "answered": len(answered), "average_without_flagged": averages,
            "questions": [{"question_id": qid, "issue": issue, "answered": qid in predictions.strict}
                          for qid, issue in flagged.items()]}
