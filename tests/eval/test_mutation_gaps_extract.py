"""Extraction rules that mutation testing (docs/mutation.md) found unguarded, checked on replies."""

from __future__ import annotations

import pytest

from eval.extract import strict_letter, upstream_letter

TYPES = {"A": "Broken.", "B": "Broken large.", "C": "Color fading.", "D": "Contamination."}


def test_a_quoted_option_text_that_contains_another_wins_over_it():
    assert strict_letter("There is a broken large area on the rim", TYPES) == "B"
    assert strict_letter("There is a broken rim", TYPES) == "A"
    assert strict_letter("Broken large, or maybe color fading", TYPES) is None


@pytest.mark.parametrize("reply", [
    "It isn't (A), it is B",
    "It is never option A, it is B",
    "It is NOT OPTION\t[A], it is B",
    # The rule this replaced read "not (" up to the end of the text or to a newline just before it.
    "It is not (\nA) but B",
    "It is not [\nA] but B",
    "It is not A; B",
])
def test_a_negated_letter_does_not_count(reply):
    assert strict_letter(reply, TYPES) == "B"


@pytest.mark.parametrize("reply", [
    "It is not ((A)) or B",   # one bracket at most
    "It is not(A) or B",      # the negation needs whitespace after it
    "It is not X\nA or B",    # only a bracket may sit between them
    "It is notoption A or B",
])
def test_a_letter_after_something_else_than_a_negation_counts(reply):
    assert strict_letter(reply, TYPES) is None


def test_the_article_a_does_not_hide_the_letters_after_it():
    assert strict_letter("A dent is visible near the rim. C", TYPES) == "C"


def test_a_lowercase_bare_letter_with_spaces_inside_its_brackets_is_read():
    assert strict_letter("( b )", TYPES) == "B"
    assert strict_letter("[ c ] .", TYPES) == "C"


def test_with_no_options_to_fall_back_on_a_reply_without_a_letter_is_no_answer():
    assert upstream_letter("looks fine", {}) == ""
