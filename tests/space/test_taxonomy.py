"""The board's comparability rules, each pinned by values written here rather than read from the module."""

from __future__ import annotations

import pytest

from space import taxonomy

COMPARABLE = {"setting": "1-shot", "protocol": "official", "coverage": "full", "training_exposure": "none declared",
              "measured_by": "benchmark authors", "quantisation": "not stated"}
STATED = {"setting": {"basis": "stated"}, "protocol": {"basis": "stated"}, "coverage": {"basis": "stated"},
          "training_exposure": {"basis": "stated"}, "quantisation": {"basis": "not stated"}}


def test_a_full_official_untrained_1_shot_or_0_shot_entry_is_comparable():
    assert taxonomy.comparable(COMPARABLE) and taxonomy.why_not_comparable(COMPARABLE) == []
    assert taxonomy.comparable({**COMPARABLE, "setting": "0-shot"})


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("training_exposure", "unknown", "training exposure: unknown"),
    ("training_exposure", "other industrial data", "training exposure: other industrial data"),
    ("training_exposure", "MMAD questions", "training exposure: MMAD questions"),
    ("training_exposure", "MMAD source images", "training exposure: MMAD source images"),
    ("coverage", "subset", "subset"),
    ("protocol", "other", "other metric"),
    ("setting", "1-shot+", "setting 1-shot+"),
    ("setting", "k-shot", "setting k-shot"),
    ("setting", "+ domain knowledge", "setting + domain knowledge"),
    ("setting", "+ other inputs", "setting + other inputs"),
])
def test_every_other_value_leaves_the_default_ranking_and_says_why(field, value, reason):
    entry = {**COMPARABLE, field: value}
    assert not taxonomy.comparable(entry)
    assert [r for r in taxonomy.why_not_comparable(entry) if r.startswith(reason)]


def test_values_outside_the_taxonomy_are_named():
    assert taxonomy.invalid_fields(COMPARABLE) == []
    [problem] = taxonomy.invalid_fields({**COMPARABLE, "training_exposure": "none"})
    assert problem.startswith("training_exposure='none'")


@pytest.mark.parametrize(("official", "strict", "coverage"), [
    (100.0, 100.0, "full"),
    (99.8, 99.8, "full"),        # exactly the threshold: at most 79 of MMAD's 39,672 questions unanswered
    (99.8, 99.79, "subset"),     # the smaller protocol decides
    (99.79, 100.0, "subset"),
    (99.0, 99.0, "subset"),      # leaving out the hardest 1% would lift the official average by about a point
    (0.1, 0.1, "subset"),        # a 2-line file
])
def test_a_verified_result_is_full_only_from_99_8_percent_answered(official, strict, coverage):
    got, detail, share = taxonomy.coverage_of({"official": {"coverage": official}, "strict": {"coverage": strict}})
    assert got == coverage and share == pytest.approx(min(official, strict) / 100)
    assert (detail == "") == (coverage == "full")


def test_a_basis_records_every_comparability_field_and_a_reason_for_each_presumption():
    entry = {**COMPARABLE, "basis": STATED}
    assert taxonomy.invalid_basis(entry) == [] and taxonomy.presumptions(entry) == {} and taxonomy.stated_only(entry)
    presumed = {**entry, "basis": {**STATED, "protocol": {"basis": "presumed", "reason": "the paper does not say"}}}
    assert taxonomy.invalid_basis(presumed) == []
    assert taxonomy.presumptions(presumed) == {"protocol": "the paper does not say"}
    assert not taxonomy.stated_only(presumed)
    # a presumption still ranks: the default ranking keeps it, marked
    assert taxonomy.comparable(presumed)


@pytest.mark.parametrize(("basis", "problem"), [
    (None, "basis: expected an object"),
    ({k: v for k, v in STATED.items() if k != "coverage"}, "basis: coverage missing"),
    ({**STATED, "measured_by": {"basis": "stated"}}, "basis: measured_by is not a comparability field"),
    ({**STATED, "setting": {"basis": "assumed"}}, "basis: setting needs a basis"),
    ({**STATED, "setting": {"basis": "presumed"}}, "basis: setting is presumed without a reason"),
    ({**STATED, "setting": {"basis": "presumed", "reason": "  "}}, "basis: setting is presumed without a reason"),
    ({**STATED, "quantisation": {"basis": "stated"}}, "basis: quantisation='not stated' cannot be 'stated'"),
    ({**STATED, "setting": {"basis": "not stated"}}, "basis: setting='1-shot' cannot be 'not stated'"),
])
def test_a_malformed_basis_is_named(basis, problem):
    problems = taxonomy.invalid_basis({**COMPARABLE, "basis": basis})
    assert [p for p in problems if p.startswith(problem)], problems


def test_a_reported_entry_records_its_quantisation_and_a_submission_need_not():
    assert taxonomy.invalid_fields({k: v for k, v in COMPARABLE.items() if k != "quantisation"}) == []
    problems = taxonomy.reported_problems({**COMPARABLE, "quantisation": "int4", "basis": STATED})
    assert problems[0].startswith("quantisation='int4' (expected one of none, quantised, not stated)")
