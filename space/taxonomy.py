"""The board's taxonomy: what makes two MMAD results comparable. The one source of truth.

Every board entry (a curated result in `submissions/reported/` or a verified submission) carries
the fields below. A reported entry also says, for each comparability field, whether its source
states the value or the board presumes it (`basis`, checked by `invalid_basis`). The default
ranking shows only `comparable()` entries; everything else is
one click away and visibly marked. Reported JSON files, the Space, its filters, the About tab and
the tests all import these names instead of spelling them again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The paper's settings (§4.1, Table 2 and Table 4/5), plus inputs the paper does not use.
SETTINGS: tuple[str, ...] = (
    "0-shot",              # query image only
    "1-shot",              # the paper's default: one random normal template of the same category
    "1-shot+",             # one *retrieved* (most similar) normal template
    "k-shot",              # k > 1 templates (the paper's Fig. 5 study)
    "+ domain knowledge",  # the paper's RAG / domain-knowledge rows
    "+ other inputs",      # heat maps, expert models, agents, soft prompts: not in the paper's protocol
)
#: Settings ranked together by default: the paper's Table 2 mixes 0-shot (single-image models) and 1-shot rows.
STANDARD_SETTINGS: frozenset[str] = frozenset({"0-shot", "1-shot"})

#: How the numbers were computed.
OFFICIAL_PROTOCOL = "official"  # per-source macro average, balanced anomaly discrimination (the authors' scorer)
OTHER_PROTOCOL = "other"        # anything else; the entry names it in `protocol_detail`
PROTOCOLS: tuple[str, ...] = (OFFICIAL_PROTOCOL, OTHER_PROTOCOL)

#: How much of the benchmark was answered.
FULL_COVERAGE = "full"
SUBSET_COVERAGE = "subset"      # the entry says which subset in `coverage_detail`
COVERAGES: tuple[str, ...] = (FULL_COVERAGE, SUBSET_COVERAGE)
#: A verified submission counts as full coverage when it answers at least this share of the questions
#: (at most 79 of 39,672 left out: the authors' own GPT-4o run lacks 65). Lower, a file could drop its
#: hardest questions: leaving out 1% lifts the official average by about a point.
FULL_COVERAGE_MIN_SHARE = 0.998


#: A verified submission whose official average exceeds its strict one by more than this many points
#: is not ranked: its replies are mostly ones the strict protocol cannot read as one offered letter
#: (hedged answers such as "A or B" that the upstream extraction still credits).
STRICT_GAP_MAX_POINTS = 5.0


def coverage_of(result: Mapping[str, Any]) -> tuple[str, str, float]:
    """(coverage, coverage_detail, answered share) of a scored result: the share is the smaller of the
    two protocols' coverages, so a file counts as full only when both see it answer enough questions."""
    percents = [part["coverage"] for part in (result.get("official"), result.get("strict"))
                if isinstance(part, Mapping) and isinstance(part.get("coverage"), (int, float))]
    share = min(percents, default=0.0) / 100
    if share >= FULL_COVERAGE_MIN_SHARE:
        return FULL_COVERAGE, "", share
    return SUBSET_COVERAGE, f"{share:.2%} of the questions answered", share

#: What the model saw in training that MMAD tests.
NO_EXPOSURE = "none declared"
TRAINING_EXPOSURES: tuple[str, ...] = (
    NO_EXPOSURE,
    "MMAD questions",           # trained (or RL-tuned) on MMAD's own questions, e.g. a train/test split of MMAD
    "MMAD source images",       # trained on MVTec AD / LOCO / VisA / GoodsAD images
    "other industrial data",    # trained on other industrial anomaly data (MPDD, Real-IAD, private sets, …)
    "unknown",                  # not stated by whoever reported it
)

#: Who ran the model and computed the numbers.
MEASURED_BY: tuple[str, ...] = (
    "benchmark authors",  # the MMAD paper or its released per-model CSVs
    "model authors",      # the paper or card introducing the model
    "third party",        # someone else's paper or harness
    "scored here",        # a verified submission: predictions uploaded, scored by this board's scorer
)

#: How the weights were held when the run was made (a reported entry names the scheme in `quantisation_detail`).
NOT_QUANTISED = "none"          # full or half precision (fp32, fp16, bf16)
QUANTISED = "quantised"         # AWQ, INT4, 4-bit NF4, …
QUANTISATION_NOT_STATED = "not stated"
QUANTISATIONS: tuple[str, ...] = (NOT_QUANTISED, QUANTISED, QUANTISATION_NOT_STATED)

FIELDS: dict[str, tuple[str, ...]] = {
    "setting": SETTINGS,
    "protocol": PROTOCOLS,
    "coverage": COVERAGES,
    "training_exposure": TRAINING_EXPOSURES,
    "measured_by": MEASURED_BY,
}
#: A curated entry also records how its run held the weights (a verified submission does not say).
REPORTED_FIELDS: dict[str, tuple[str, ...]] = {**FIELDS, "quantisation": QUANTISATIONS}

#: The fields that decide whether two results can be compared; each one's basis is recorded.
COMPARABILITY_FIELDS: tuple[str, ...] = ("setting", "protocol", "coverage", "training_exposure", "quantisation")
#: Where a comparability value comes from. *stated*: a source the entry cites says so (the reason may say
#: where); *presumed*: the board assumes it, and the reason says why; *not stated*: the value is the
#: field's "unknown" value, so nothing is assumed.
STATED = "stated"
PRESUMED = "presumed"
NOT_STATED = "not stated"
BASES: tuple[str, ...] = (STATED, PRESUMED, NOT_STATED)
#: The values that say "nobody knows": their basis is *not stated*, and only theirs is.
UNKNOWN_VALUES: dict[str, str] = {"training_exposure": "unknown", "quantisation": QUANTISATION_NOT_STATED}
#: Shown after a presumed value in the board's cells; the row detail gives the reason.
PRESUMED_MARK = "†"


def comparable(entry: Mapping[str, Any]) -> bool:
    """Whether an entry belongs in the default ranking: official protocol, full benchmark,
    a standard setting, and no declared training on MMAD, its images or other industrial data.

    `unknown` training exposure is not comparable either: a result has to say what it saw.
    """
    return (entry.get("protocol") == OFFICIAL_PROTOCOL and entry.get("coverage") == FULL_COVERAGE
            and entry.get("setting") in STANDARD_SETTINGS and entry.get("training_exposure") == NO_EXPOSURE)


def why_not_comparable(entry: Mapping[str, Any]) -> list[str]:
    """Short reasons, shown next to a row outside the default ranking (empty when comparable)."""
    reasons = []
    if entry.get("protocol") != OFFICIAL_PROTOCOL:
        reasons.append(f"other metric: {entry.get('protocol_detail') or 'not the official protocol'}")
    if entry.get("coverage") != FULL_COVERAGE:
        reasons.append(f"subset: {entry.get('coverage_detail') or 'part of the benchmark'}")
    if entry.get("setting") not in STANDARD_SETTINGS:
        reasons.append(f"setting {entry.get('setting')}")
    if entry.get("training_exposure") != NO_EXPOSURE:
        reasons.append(f"training exposure: {entry.get('training_exposure')}")
    return reasons


def invalid_fields(entry: Mapping[str, Any], fields: Mapping[str, tuple[str, ...]] = FIELDS) -> list[str]:
    """Fields whose value is not one of the taxonomy's values (empty when the entry is well-formed)."""
    return [f"{name}={entry.get(name)!r} (expected one of {', '.join(values)})"
            for name, values in fields.items() if entry.get(name) not in values]


def presumptions(entry: Mapping[str, Any]) -> dict[str, str]:
    """Comparability field → the reason it is presumed, for each field the board presumes (empty when
    every value is stated by a source, or honestly unknown). An entry without `basis` (a verified
    submission: scored here, its setting and exposure declared by the submitter) presumes nothing."""
    basis = entry.get("basis")
    if not isinstance(basis, Mapping):
        return {}
    return {name: str(part.get("reason") or "") for name, part in basis.items()
            if isinstance(part, Mapping) and part.get("basis") == PRESUMED}


def stated_only(entry: Mapping[str, Any]) -> bool:
    """Whether nothing about the entry's comparability rests on a presumption of the board."""
    return not presumptions(entry)


def invalid_basis(entry: Mapping[str, Any]) -> list[str]:
    """Problems of a reported entry's `basis` (empty when well-formed): one record per comparability
    field, a known basis, a reason for every presumption, and *not stated* exactly for unknown values."""
    basis = entry.get("basis")
    if not isinstance(basis, Mapping):
        return ["basis: expected an object with one record per comparability field"]
    problems = [f"basis: {name} missing" for name in COMPARABILITY_FIELDS if name not in basis]
    problems += [f"basis: {name} is not a comparability field" for name in basis if name not in COMPARABILITY_FIELDS]
    for name in COMPARABILITY_FIELDS:
        part = basis.get(name)
        if name not in basis:
            continue
        if not isinstance(part, Mapping) or part.get("basis") not in BASES:
            problems.append(f"basis: {name} needs a basis, one of {', '.join(BASES)}")
            continue
        reason = part.get("reason", "")
        if not isinstance(reason, str) or (part["basis"] == PRESUMED and not reason.strip()):
            problems.append(f"basis: {name} is presumed without a reason")
        unknown = entry.get(name) == UNKNOWN_VALUES.get(name)
        if unknown != (part["basis"] == NOT_STATED):
            problems.append(f"basis: {name}={entry.get(name)!r} cannot be {part['basis']!r}")
    return problems


def reported_problems(entry: Mapping[str, Any]) -> list[str]:
    """Everything wrong with a curated entry's taxonomy: values outside it, and a missing or malformed basis."""
    return [*invalid_fields(entry, REPORTED_FIELDS), *invalid_basis(entry)]
