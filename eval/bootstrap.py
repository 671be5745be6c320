"""Percentile bootstrap intervals of a result's numbers, resampling images.

Images are the unit (their questions are correlated) and they are resampled within each source,
because the average weighs the four sources equally whatever their size. numpy is imported here
only. Images with the same count vector are interchangeable, so a resample is a multinomial draw
over the distinct vectors (a few hundred) rather than over thousands of images: same distribution,
a fraction of the work. One set of resamples gives the interval of every number: the Average, each
subtask's average over sources, each source's average and each (source, subtask) cell.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from .aggregate import mean, subtask_scores

DEFAULT_RESAMPLES = 1000
LEVEL = 0.95


def resampled_sums(vectors: dict[str, dict[str, list[int]]], sources: Sequence[str], width: int, *,
                   resamples: int, seed: int) -> dict[str, Any]:
    """source → (resamples × width) integer array: each row the summed count vectors of one resample
    of that source's images (drawn with replacement, as many as it has). A caller that puts two runs'
    vectors side by side in one image vector gets paired resamples (the same images for both)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    sums = {}
    for source in sources:
        images = vectors.get(source) or {"": [0] * width}  # no counted image: a row of zeros, as upstream
        patterns = Counter(map(tuple, images.values()))
        n = len(images)
        weights = rng.multinomial(n, np.fromiter(patterns.values(), float) / n, size=resamples)
        # Integer arithmetic: exact, and it keeps BLAS (and its busy worker threads) out of the run.
        sums[source] = weights @ np.array(list(patterns), dtype=weights.dtype)
    return sums


#: Where a number sits in a result: ("average",), ("subtasks", column), ("sources", source, "average")
#: or ("sources", source, "subtasks", column).
Path = tuple[str, ...]


def table_series(sums: dict[str, Any], columns: Sequence[str]) -> dict[Path, Any]:
    """Path → the result's number at that path, per resample (a vector over the rows of `sums`):
    the Average, each column's average over sources, each source's average and each cell."""
    series: dict[Path, Any] = {}
    averages = []
    per_source = {}
    for source, matrix in sums.items():
        scores = per_source[source] = subtask_scores(matrix.T, columns)
        averages.append(mean(list(scores.values())))
        series["sources", source, "average"] = averages[-1]
        series.update({("sources", source, "subtasks", column): scores[column] for column in columns})
    series["average",] = mean(averages)
    series.update({("subtasks", column): mean([scores[column] for scores in per_source.values()])
                   for column in columns})
    return series


def nest(flat: dict[Path, Any]) -> dict[str, Any]:
    """{path: value} → the nested dict of a result: {"average", "subtasks", "sources": {...}}."""
    out: dict[str, Any] = {"average": flat.get(("average",)), "subtasks": {}, "sources": {}}
    for path, value in flat.items():
        target = out
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return out


def percentile_bounds(series: Any, level: float = LEVEL) -> tuple[list[float], list[float]]:
    """The (low, high) percentile bounds of each row of a (k × resamples) array: `np.percentile`'s
    default (linear) method, step for step and vectorised, so the bits agree; np.percentile itself
    would import numpy.ma, a tenth of the bootstrap's time."""
    import numpy as np

    ordered = np.sort(series, axis=1)
    tail = (1 - level) / 2 * 100
    return _percentile_rows(ordered, tail), _percentile_rows(ordered, 100 - tail)


def _percentile_rows(ordered: Any, q: float) -> list[float]:
    size = ordered.shape[1]
    index = (size - 1) * (q / 100)
    below = math.floor(index)
    gamma = index - below
    low, high = ordered[:, below], ordered[:, min(below + 1, size - 1)]
    step = high - low
    return (high - step * (1 - gamma) if gamma >= 0.5 else low + step * gamma).tolist()


def bounds(series: dict[Path, Any], level: float = LEVEL) -> dict[Path, list[float]]:
    """Path → [low, high] percentile interval of each vector of `series`, from one sort of all."""
    import numpy as np

    lows, highs = percentile_bounds(np.stack(list(series.values())), level)
    return {path: [low, high] for path, low, high in zip(series, lows, highs)}


def interval(vectors: dict[str, dict[str, list[int]]], sources: Sequence[str], columns: Sequence[str], *,
             resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> dict[str, Any] | None:
    """{low, high, level, resamples, seed, unit, subtasks, sources}; None when disabled (resamples=0)
    or nothing was counted.

    low/high bound the Average; "subtasks" maps each column to [low, high] of its average over
    sources, and "sources" each source to {"average": [low, high], "subtasks": {column: [low, high]}}.
    """
    if resamples <= 0 or not vectors:
        return None
    sums = resampled_sums(vectors, sources, 2 * len(columns) + 4, resamples=resamples, seed=seed)
    limits = nest(bounds(table_series(sums, columns)))
    low, high = limits.pop("average")
    return {"low": low, "high": high, "level": LEVEL, "resamples": resamples, "seed": seed,
            "unit": "image, resampled within each source", **limits}

