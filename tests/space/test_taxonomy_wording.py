"""What the board says about an entry it does not rank, word for word, and how it reads the coverage
of a result whose numbers are missing or damaged (values written here, not read from the module)."""

from __future__ import annotations

import pytest

from space import taxonomy

COMPARABLE = {"setting": "1-shot", "protocol": "official", "coverage": "full", "training_exposure": "none declared",
              "measured_by": "benchmark authors"}


@pytest.mark.parametrize(("changes", "reasons"), [
    ({"protocol": "other"}, ["other metric: not the official protocol"]),
    ({"protocol": "other", "protocol_detail": "accuracy over all questions"},
     ["other metric: accuracy over all questions"]),
    ({"coverage": "subset"}, ["subset: part of the benchmark"]),
    ({"coverage": "subset", "coverage_detail": "MVTec-AD only"}, ["subset: MVTec-AD only"]),
    ({"protocol": "other", "coverage": "subset", "setting": "k-shot", "training_exposure": "unknown"},
     ["other metric: not the official protocol", "subset: part of the benchmark", "setting k-shot",
      "training exposure: unknown"]),
])
def test_the_reasons_shown_for_an_unranked_entry(changes, reasons):
    assert taxonomy.why_not_comparable({**COMPARABLE, **changes}) == reasons


def test_an_invalid_field_names_the_allowed_values_separated_by_commas():
    assert taxonomy.invalid_fields({**COMPARABLE, "coverage": "most"}) == [
        "coverage='most' (expected one of full, subset)"]


@pytest.mark.parametrize(("result", "expected"), [
    ({}, ("subset", "0.00% of the questions answered", 0.0)),
    ({"official": {"average": 70.0}, "strict": {"average": 69.0}}, ("subset", "0.00% of the questions answered", 0.0)),
    ({"official": {"coverage": "100"}, "strict": {"coverage": 99.9}}, ("full", "", 0.999)),
    ({"official": {"coverage": 99.0}, "strict": "damaged"}, ("subset", "99.00% of the questions answered", 0.99)),
])
def test_coverage_of_a_result_without_usable_numbers_is_never_full(result, expected):
    coverage, detail, share = taxonomy.coverage_of(result)
    assert (coverage, detail) == expected[:2] and share == pytest.approx(expected[2])
