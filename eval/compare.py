"""`compare()`: two prediction files on the same questions, paired, under the strict protocol.

Pairing is what makes a comparison sharp: both runs answered the same questions, so the noise of
which questions happened to be in the benchmark cancels. The strict protocol counts every question
of the key once for both runs (the official one drops different records from each file, so the
question sets would differ). For the Average, each subtask's average and each source's average and
(source, subtask) cell, the result gives the difference A − B, a paired bootstrap interval (the same
resampled images for both runs), an exact McNemar p-value on the questions of that scope, and a
verdict from the interval. The method is in docs/scoring.md ("Comparing two runs").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import bootstrap
from .aggregate import AD, Outcome, add, image_vectors
from .errors import ScoringError
from .gc_pause import gc_paused
from .key import AnswerKey
from .key_cache import load_key
from .predictions import Predictions, read_predictions
from .protocols import strict

A_BETTER, B_BETTER, NO_DIFFERENCE = "A better", "B better", "no detectable difference at 95%"
PROTOCOL = "strict"


def verdict(low: float, high: float) -> str:
    """The rule: a side is better only when the whole interval of A − B is on its side of zero."""
    return A_BETTER if low > 0 else B_BETTER if high < 0 else NO_DIFFERENCE


def mcnemar_p(a_only: int, b_only: int) -> float:
    """Exact two-sided McNemar p-value: 2·P(X ≤ min) for X ~ Binomial(a_only + b_only, 1/2), capped
    at 1; a_only = questions only A got right, b_only = only B. 1.0 when no pair is discordant.

    >>> round(mcnemar_p(2, 8), 4)  # 2·(1 + 10 + 45)/1024
    0.1094
    """
    import numpy as np

    n, low = a_only + b_only, min(a_only, b_only)
    k = np.arange(low)  # none discordant (n = 0) or a tie (2·low = n): the sum reaches 1 or more, capped
    # log P(X = j) = log C(n, j) − n log 2, built from the ratios C(n, j+1)/C(n, j) = (n − j)/(j + 1).
    logs = np.concatenate(([0.0], np.cumsum(np.log((n - k) / (k + 1))))) - n * np.log(2)
    top = logs.max()
    return float(min(1.0, 2 * np.exp(top) * np.exp(logs - top).sum()))


def _scope_paths(outcome: Outcome) -> list[bootstrap.Path]:
    question = outcome[0]
    return [("average",), ("subtasks", question.subtask), ("sources", question.source, "average"),
            ("sources", question.source, "subtasks", question.subtask)]


def _discordant(a: list[Outcome], b: list[Outcome]) -> dict[bootstrap.Path, list[int]]:
    """Path → [questions only A got right, only B got right], over the questions of that scope."""
    counts: dict[bootstrap.Path, list[int]] = {}
    for left, right in zip(a, b):
        if left[3] == right[3]:
            continue
        for path in _scope_paths(left):
            counts.setdefault(path, [0, 0])[0 if left[3] else 1] += 1
    return counts


def _paired_vectors(a: list[Outcome], b: list[Outcome], columns: list[str]) -> dict[str, dict[str, list[int]]]:
    """source → image → A's count vector followed by B's: resampling it resamples both runs alike."""
    left, right = image_vectors(a, columns), image_vectors(b, columns)
    return {source: {image: vector + right[source][image] for image, vector in images.items()}
            for source, images in left.items()}


def paired(a: list[Outcome], b: list[Outcome], sources: list[str], columns: list[str], *,
           resamples: int = bootstrap.DEFAULT_RESAMPLES, seed: int = 0) -> dict[bootstrap.Path, dict[str, Any]]:
    """Path → SCOPE (see `compare`) for two runs' outcomes on the same questions in the same order."""
    import numpy as np

    width = 2 * len(columns) + 4
    vectors = _paired_vectors(a, b, columns)
    sums = bootstrap.resampled_sums(vectors, sources, 2 * width, resamples=resamples, seed=seed)
    totals = {source: np.array([add(vectors.get(source, {}).values(), 2 * width)]) for source in sources}
    boot_a, boot_b, point_a, point_b = (bootstrap.table_series({s: m[:, half] for s, m in table.items()}, columns)
                                        for table in (sums, totals) for half in (slice(0, width), slice(width, None)))
    limits = bootstrap.bounds({path: boot_a[path] - boot_b[path] for path in boot_a})
    discordant = _discordant(a, b)
    scopes = {}
    for path, (low, high) in limits.items():
        a_only, b_only = discordant.get(path, (0, 0))
        score_a, score_b = float(point_a[path][0]), float(point_b[path][0])
        scopes[path] = {"a": score_a, "b": score_b, "difference": score_a - score_b, "low": low, "high": high,
                        "mcnemar_p": mcnemar_p(a_only, b_only), "a_only": a_only, "b_only": b_only,
                        "verdict": verdict(low, high)}
    return scopes


@gc_paused
def compare(predictions_a: Predictions | str | Path | bytes, predictions_b: Predictions | str | Path | bytes,
            key: AnswerKey | str | Path, *, resamples: int = bootstrap.DEFAULT_RESAMPLES,
            seed: int = 0) -> dict[str, Any]:
    """The paired comparison of run A with run B on `key`'s questions (strict protocol).

    Returns {"protocol", "answer_key_sha256", "a": {"predictions_sha256"}, "b": {...}, "level",
    "resamples", "seed", "note", "average": SCOPE, "subtasks": {subtask: SCOPE},
    "sources": {source: {"average": SCOPE, "subtasks": {subtask: SCOPE}}}}, where SCOPE is
    {"a", "b", "difference", "low", "high", "mcnemar_p", "a_only", "b_only", "verdict"}: scores in
    percent, difference = a − b, [low, high] its paired bootstrap 95% interval, a_only/b_only the
    questions of that scope only A (only B) got right, McNemar's exact p-value on them.
    Raises ScoringError on unreadable predictions or resamples < 1.
    """
    if resamples < 1:
        raise ScoringError("a comparison needs at least 1 bootstrap resample")
    if not isinstance(key, AnswerKey):
        key = load_key(key)
    runs = [p if isinstance(p, Predictions) else read_predictions(p, key) for p in (predictions_a, predictions_b)]
    if any(run.key_sha256 != key.sha256 for run in runs):
        raise ScoringError("the predictions were mapped onto a different answer key; read them with this key")
    counted_a, counted_b = (strict(run, key) for run in runs)
    scopes = paired(counted_a.outcomes, counted_b.outcomes, counted_a.sources, counted_a.columns,
                    resamples=resamples, seed=seed)
    return {"protocol": PROTOCOL, "answer_key_sha256": key.sha256,
            "a": {"predictions_sha256": runs[0].sha256}, "b": {"predictions_sha256": runs[1].sha256},
            "level": bootstrap.LEVEL, "resamples": resamples, "seed": seed,
            "note": f"McNemar's test counts every question of a scope alike ({AD} pooled over normal and "
                    "abnormal images); each verdict follows the paired bootstrap interval of that scope's difference.",
            **bootstrap.nest(scopes)}
