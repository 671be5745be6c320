"""Bootstrap intervals: what mutation testing (docs/mutation.md) found unguarded."""

from __future__ import annotations

import random

import numpy as np
import pytest

from cases import mini_lines

from eval import score
from eval.aggregate import image_vectors
from eval.bootstrap import bounds, interval, percentile_bounds
from eval.protocols import PROTOCOLS


@pytest.mark.parametrize("size", [2, 3, 5, 41, 400, 1001])
@pytest.mark.parametrize("level", [0.95, 0.9, 0.5, 0.8])
def test_percentile_bounds_are_numpys_to_the_bit(size, level):
    rng = random.Random(size)
    rows = np.array([[rng.uniform(0, 100) for _ in range(size)] for _ in range(3)])
    tail = (1 - level) / 2 * 100
    low, high = percentile_bounds(rows, level)
    assert low == [float(np.percentile(row, tail)) for row in rows]
    assert high == [float(np.percentile(row, 100 - tail)) for row in rows]
    assert bounds({("a",): rows[0]}, level) == {("a",): [low[0], high[0]]}


@pytest.fixture
def mini_lines_text(mini_key) -> str:
    return mini_lines(mini_key)


def test_every_number_of_the_table_has_its_interval_around_it(mini_key, mini_lines_text):
    result = score(mini_lines_text.encode(), mini_key, "strict", resamples=300, seed=3)
    ci = result["bootstrap"]
    assert ci["unit"] == "image, resampled within each source" and ci["seed"] == 3 and ci["level"] == 0.95
    assert ci["low"] <= result["average"] <= ci["high"]
    assert ci["subtasks"].keys() == result["subtasks"].keys()
    for column, (low, high) in ci["subtasks"].items():
        assert low <= result["subtasks"][column] <= high
    assert ci["sources"].keys() == result["sources"].keys()
    for source, row in result["sources"].items():
        low, high = ci["sources"][source]["average"]
        assert low <= row["average"] <= high
        for column, (low, high) in ci["sources"][source]["subtasks"].items():
            assert low <= row["subtasks"][column] <= high


def _vectors(mini_key, mini_lines_text):
    from eval.predictions import read_predictions

    counted = PROTOCOLS["strict"](read_predictions(mini_lines_text.encode(), mini_key), mini_key)
    return image_vectors(counted.outcomes, counted.columns), counted.sources, counted.columns


def test_defaults_seed_zero_and_one_resample_is_still_an_interval(mini_key, mini_lines_text):
    vectors, sources, columns = _vectors(mini_key, mini_lines_text)
    assert interval(vectors, sources, columns) == interval(vectors, sources, columns, seed=0)
    single = interval(vectors, sources, columns, resamples=1)
    assert single["low"] == single["high"] and single["resamples"] == 1
    assert interval(vectors, sources, columns, resamples=0) is None


def test_a_source_with_no_counted_image_has_a_zero_interval(mini_key, mini_lines_text):
    vectors, sources, columns = _vectors(mini_key, mini_lines_text)
    empty = next(iter(vectors))
    del vectors[empty]
    ci = interval(vectors, sources, columns, resamples=50)
    assert ci["sources"][empty]["average"] == [0.0, 0.0]


def test_the_interval_holds_exactly_its_documented_fields_in_order(mini_key, mini_lines_text):
    vectors, sources, columns = _vectors(mini_key, mini_lines_text)
    ci = interval(vectors, sources, columns, resamples=20)
    assert list(ci) == ["low", "high", "level", "resamples", "seed", "unit", "subtasks", "sources"]
    assert all(list(cell) == ["average", "subtasks"] for cell in ci["sources"].values())
