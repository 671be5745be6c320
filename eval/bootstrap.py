"""A percentile bootstrap interval for the macro average, resampling images.

Images are the unit (their questions are correlated) and they are resampled within each source,
because the average weighs the four sources equally whatever their size. numpy is imported here
only. Images with the same count vector are interchangeable, so a resample is a multinomial draw
over the distinct vectors (a few hundred) rather than over thousands of images: same distribution,
a fraction of the work.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from .aggregate import mean, subtask_scores

DEFAULT_RESAMPLES = 1000
LEVEL = 0.95


def interval(vectors: dict[str, dict[str, list[int]]], sources: Sequence[str], columns: Sequence[str], *,
             resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> dict[str, Any] | None:
    """{low, high, level, resamples, seed}; None when disabled (resamples=0) or nothing was counted.

    A source with no counted image (all its records dropped) stays a row of zeros, as upstream.
    """
    if resamples <= 0 or not vectors:
        return None
    import numpy as np

    rng = np.random.default_rng(seed)
    averages = []
    for source in sources:
        images = vectors.get(source) or {"": [0] * (2 * len(columns) + 4)}
        patterns = Counter(map(tuple, images.values()))
        n = len(images)
        weights = rng.multinomial(n, np.fromiter(patterns.values(), float) / n, size=resamples)
        # Integer arithmetic: exact, and it keeps BLAS (and its busy worker threads) out of the run.
        sums = weights @ np.array(list(patterns), dtype=weights.dtype)
        averages.append(mean(list(subtask_scores(sums.T, columns).values())))
    overall = sorted(mean(averages).tolist())
    tail = (1 - LEVEL) / 2 * 100
    return {"low": _percentile(overall, tail), "high": _percentile(overall, 100 - tail), "level": LEVEL,
            "resamples": resamples, "seed": seed, "unit": "image, resampled within each source"}


def _percentile(ordered: list[float], q: float) -> float:
    """`np.percentile(values, q)` of sorted values, numpy's default (linear) method step for step,
    so the bits agree; np.percentile itself would import numpy.ma, a tenth of the bootstrap's time."""
    index = (len(ordered) - 1) * (q / 100)
    below = math.floor(index)
    gamma = index - below
    low, high = ordered[below], ordered[min(below + 1, len(ordered) - 1)]
    step = high - low
    return high - step * (1 - gamma) if gamma >= 0.5 else low + step * gamma

