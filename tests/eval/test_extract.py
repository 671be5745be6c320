"""Answer extraction: the upstream rule (official) and the careful one (strict), on realistic replies."""

from __future__ import annotations

import pytest

from eval.extract import strict_letter, upstream_letter

YES_NO = {"A": "Yes.", "B": "No."}
NO_YES = {"A": "No.", "B": "Yes."}
TYPES = {"A": "Scratched surface.", "B": "Broken large.", "C": "Color fading.", "D": "Contamination."}
PLACES = {"A": "Top left.", "B": "Center.", "C": "Bottom right.", "D": "Top right."}

# (reply, options, the letter the strict extractor must return or None when it must refuse)
CORPUS = [
    ("B", YES_NO, "B"),
    ("b", YES_NO, "B"),
    (" C.\n", TYPES, "C"),
    ("(D)", TYPES, "D"),
    ("[A]", YES_NO, "A"),
    ("**B**", YES_NO, "B"),
    ("`C`", TYPES, "C"),
    ("Answer: B", YES_NO, "B"),
    ("Answer: B.", YES_NO, "B"),
    ("answer: (C)", TYPES, "C"),
    ("**Answer:** D", TYPES, "D"),
    ("Final answer: A", YES_NO, "A"),
    ("The answer is B.", YES_NO, "B"),
    ("The correct answer is (C) Color fading.", TYPES, "C"),
    ("The correct option is D: Contamination.", TYPES, "D"),
    ("I would choose B.", YES_NO, "B"),
    ("B. No.", YES_NO, "B"),
    ("A. Yes.", YES_NO, "A"),
    ("B) Center", PLACES, "B"),
    ("Looking at the query image, the defect is at the bottom right, so C.", PLACES, "C"),
    ("There is a crack on the neck. Answer: A", YES_NO, "A"),
    ("A scratch runs across the label, so the answer is A.", TYPES, "A"),
    ("Option B is wrong because the image is clean; the answer is A.", YES_NO, "A"),
    ("A close look shows no damage. B", YES_NO, "B"),
    ("Yes.", YES_NO, "A"),
    ("No", YES_NO, "B"),
    ("No, the object looks normal.", YES_NO, "B"),
    ("Yes.", NO_YES, "B"),
    ('The defect is "Broken large."', TYPES, "B"),
    ("It looks like contamination to me.", TYPES, "D"),
    ("center", PLACES, "B"),
    ("The defect is in the top right corner.", PLACES, "D"),
    ("Answer: E", TYPES, "E"),  # returned; the scorer counts it as out of options
    # refusals: ambiguous, hedged, article-only, negated, no answer at all
    ("A or B", YES_NO, None),
    ("A and B are both possible.", YES_NO, None),
    ("Either C or D.", TYPES, None),
    ("A. Yes.\nB. No.", YES_NO, None),
    ("1. Answer: B.\n2. Answer: A.", YES_NO, None),
    ("Answer: A. Answer: B.", YES_NO, None),
    ("A crack is visible near the top.", YES_NO, None),
    ("A small dent can be seen.", TYPES, None),
    ("The answer is not A.", YES_NO, None),
    ("I cannot determine this from the image.", TYPES, None),
    ("I'm sorry, I can't help with that.", YES_NO, None),
    ("", YES_NO, None),
    ("   ", YES_NO, None),
    ("Yes and no: there is a mark but it is not a defect.", YES_NO, None),
    ("The top left and the center both show marks.", PLACES, None),
    ("E.g. scratches or stains could appear.", TYPES, None),
]


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 40


@pytest.mark.parametrize(("reply", "options", "expected"), CORPUS)
def test_strict_extractor(reply, options, expected):
    assert strict_letter(reply, options) == expected


@pytest.mark.parametrize(("reply", "expected"), [
    ("B", "B"),
    ("The answer is B.", "B"),
    ("A or B", "B"),                        # last standalone capital wins
    ("A crack is visible.", "A"),           # the article counts upstream
    ("Answer: C. Definitely not D", "D"),   # last, whatever it means
    ("b", "A"),                             # no capital; difflib ties at 0 and keeps the larger text 'Yes.'
    ("Yes", "A"),
    ("", ""),                               # an empty reply is no answer
])
def test_upstream_extractor(reply, expected):
    assert upstream_letter(reply, YES_NO) == expected


def test_upstream_fallback_always_answers_with_options():
    """difflib with cutoff 0.0 returns the closest option even for unrelated text, as upstream."""
    assert upstream_letter("zzzz", TYPES) in TYPES
    assert upstream_letter("top right", PLACES) == "D"
