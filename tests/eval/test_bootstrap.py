"""The bootstrap interval is the 95% percentile interval it says it is, checked against numbers
computed here without the scorer: the exact binomial quantiles of a one-cell benchmark, and numpy's
own percentile."""

from __future__ import annotations

import json
import random
from math import comb

import numpy as np
import pytest

from eval import load_key, read_predictions, score
from eval.bootstrap import percentile_bounds

IMAGES = 100


def _binomial_quantile(n: int, p: float, q: float) -> int:
    """Smallest k with P(X <= k) >= q for X ~ Binomial(n, p), from the definition."""
    cumulative = 0.0
    for k in range(n + 1):
        cumulative += comb(n, k) * p ** k * (1 - p) ** (n - k)
        if cumulative >= q:
            return k
    return n


@pytest.fixture(scope="module")
def one_cell_key(tmp_path_factory):
    """100 defect images of one source, one defect-classification question each: the macro average
    is that single cell, so resampling images makes it Binomial(100, share right) / 100 * 100."""
    options = {"A": "Scratch.", "B": "Crack.", "C": "Stain.", "D": "Dent."}
    mmad = {f"DS-MVTec/bottle/image/broken_large/{i:03d}.png": {
        "conversation": [{"Question": "Which defect?", "Options": options, "Answer": "B",
                          "type": "Defect Classification"}],
        "random_templates": [], "similar_templates": [], "mask_path": "m.png"} for i in range(IMAGES)}
    path = tmp_path_factory.mktemp("one_cell") / "mmad.json"
    path.write_text(json.dumps(mmad), encoding="utf-8")
    return load_key(path, cache=False)


def test_interval_is_the_95_percent_percentile_interval(one_cell_key):
    right = 50
    lines = "\n".join(json.dumps({"question_id": q.qid, "answer": "B" if i < right else "C"})
                      for i, q in enumerate(one_cell_key.questions))
    result = score(read_predictions(lines.encode(), one_cell_key), one_cell_key, "strict",
                   resamples=100_000, seed=0)
    assert result["average"] == 50.0
    ci = result["bootstrap"]
    # Exact 2.5% / 97.5% quantiles of Binomial(100, 0.5): 40 and 60 (a 90% interval would be 42 and 58).
    # The empirical quantiles of 100,000 resamples sit ~7 standard errors away from the neighbouring jumps.
    low = _binomial_quantile(IMAGES, right / IMAGES, 0.025)
    high = _binomial_quantile(IMAGES, right / IMAGES, 0.975)
    assert (low, high) == (40, 60)
    assert ci["low"] == pytest.approx(low, abs=1e-9) and ci["high"] == pytest.approx(high, abs=1e-9)
    assert ci["level"] == 0.95 and ci["resamples"] == 100_000


@pytest.mark.parametrize("q", [2.5, 97.5, 5.0, 50.0, 0.0, 100.0])
@pytest.mark.parametrize("size", [1, 2, 7, 200, 1000])
def test_percentile_equals_numpys_default_method(size, q):
    rng = random.Random(size)
    values = sorted(rng.uniform(0, 100) for _ in range(size))
    level = 1 - 2 * min(q, 100 - q) / 100
    low, high = percentile_bounds(np.array([values[::-1]]), level)
    assert (low[0], high[0]) == pytest.approx((float(np.percentile(values, min(q, 100 - q))),
                                                float(np.percentile(values, max(q, 100 - q)))), abs=1e-12)
