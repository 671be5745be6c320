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


def table_series(sums: dict[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    """The result's numbers per resample, shaped like a result: {"average", "subtasks": {column},
    "sources": {source: {"average", "subtasks": {column}}}}, each a vector over resamples."""
    sources = {}
    for source, matrix in sums.items():
        scores = subtask_scores(matrix.T, columns)
        sources[source] = {"average": mean(list(scores.values())), "subtasks": scores}
    rows = list(sources.values())
    return {"average": mean([row["average"] for row in rows]),
            "subtasks": {column: mean([row["subtasks"][column] for row in rows]) for column in columns},
            "sources": sources}


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


def _bounds_like(series: dict[str, Any], level: float) -> dict[str, Any]:
    """[low, high] for every vector of a `table_series` shape, from one sort of all of them."""
    import numpy as np

    names = [("average",)] + [("subtasks", c) for c in series["subtasks"]]
    names += [("sources", s, *rest) for s, row in series["sources"].items()
              for rest in [("average",)] + [("subtasks", c) for c in row["subtasks"]]]

    def get(path: tuple[str, ...]) -> Any:
        value = series
        for part in path:
            value = value[part]
        return value

    lows, highs = percentile_bounds(np.stack([get(path) for path in names]), level)
    out: dict[str, Any] = {"subtasks": {}, "sources": {s: {"subtasks": {}} for s in series["sources"]}}
    for path, low, high in zip(names, lows, highs):
        target = out
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = [low, high]
    return out


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
    bounds = _bounds_like(table_series(sums, columns), LEVEL)
    low, high = bounds.pop("average")
    return {"low": low, "high": high, "level": LEVEL, "resamples": resamples, "seed": seed,
            "unit": "image, resampled within each source", **bounds}

