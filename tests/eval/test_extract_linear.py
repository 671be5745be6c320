"""Extraction costs linear time on any reply, and gives what the earlier (backtracking) rules gave."""

from __future__ import annotations

import json
import signal
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eval.extract import MAX_EXAMINED_CHARS, strict_letter, upstream_letter

import reference_extract as reference

TYPES = {"A": "Scratched surface.", "B": "Broken large.", "C": "Color fading.", "D": "Contamination."}
YES_NO = {"A": "Yes.", "B": "No."}

# Pieces adversarial replies are made of: the keywords and punctuation the rules react to, and whitespace.
PIECES = ["answer", "Answer", "final answer", "FINAL ANSWER", "the correct option", "best choice", "i would",
          "choose", "I", "is", "would be", ":", "=", "-", "option", "choice", "not", "isn't", "never", "Not",
          "A", "B", "C", "D", "E", "a", "b", "(", "[", ")", "]", ".", "*", "`", "'", "’", "e.g.", "or", "x",
          "scratch", "Yes", "No", "Broken large", "\u00a0", "\u2003", " ", "  ", "\n", "\n\n", "\t", "\r"]
replies = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reply=replies, options=st.sampled_from([TYPES, YES_NO]))
def test_linear_rules_agree_with_the_earlier_ones(reply, options):
    assert strict_letter(reply, options) == reference.strict_letter(reply, options)
    assert upstream_letter(reply, options) == reference.upstream_letter(reply, options)


@contextmanager
def cpu_guard(seconds: int):
    """Fail instead of hanging: a generous bound (the earlier rules need hours on these replies)."""
    def expire(*_):
        raise AssertionError(f"extraction of one reply took over {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


ADVERSARIAL = [
    "answer" + " " * 100_000 + "x",           # cubic before
    "final answer" + "\n" * 100_000,           # cubic before
    "B " * 50_000,                             # quadratic before: a negation searched per letter
    " " * 100_000 + "x",                       # quadratic before: the bare-letter pattern
    "B" + " " * 100_000 + "x",
    "not " * 25_000 + "B",
    "i" + " " * 100_000 + "x",
    "answer is " * 10_000 + "\t" * 50_000 + "(",
    "A" + " " * 100_000 + "x",
    ("Answer: " + " " * 500 + "\n") * 200,
    "option " * 20_000 + "(" * 1000,
]


@pytest.mark.parametrize("reply", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_replies_are_read_in_bounded_time(reply):
    with cpu_guard(10):
        strict_letter(reply, TYPES)
        upstream_letter(reply, TYPES)


@given(run=st.integers(1, 3_000), piece=st.sampled_from(["answer", "final answer", "B", "not", "(", "i would"]),
       space=st.sampled_from([" ", "\n", "\t", "\u00a0"]), tail=st.sampled_from(["x", "B", "", ")"]))
@settings(max_examples=60, deadline=None)
def test_keyword_then_whitespace_run_agrees_and_is_bounded(run, piece, space, tail):
    """Runs of whitespace after a keyword (what made the rules cubic) give the earlier results, quickly."""
    reply = piece + space * run + tail
    with cpu_guard(10):
        got = strict_letter(reply, TYPES)
    if run <= 200:  # the earlier rules are only fast enough on short runs
        assert got == reference.strict_letter(reply, TYPES)


def test_only_the_last_characters_of_a_long_reply_are_read():
    """The documented cap: strict reads the last MAX_EXAMINED_CHARS characters, where the answer is."""
    filler = "The surface looks even. " * (MAX_EXAMINED_CHARS // 20)
    assert strict_letter(filler + "Answer: C", TYPES) == "C"
    assert strict_letter("Answer: C. " + filler, TYPES) is None
    assert upstream_letter("Answer: C. " + filler, TYPES) == "C"  # official: the whole reply, as upstream


def test_rendered_question_of_an_upstream_record_is_read_in_bounded_time(mini_key):
    """The shown-options lines of an upstream record are user text too: blank lines and spaces cost linear time."""
    from cases import record

    from eval import ScoringError, read_predictions

    first = mini_key.questions[0]
    (_, a_text), (_, b_text) = sorted(first.options.items())
    for padding in ("\n" * 100_000 + "x", "\n \t" * 50_000 + "x", "\nC." + " " * 100_000 + "x"):
        shown = {"type": "text", "text": f"Question 1?{padding}\nA. {b_text}   \nB. {a_text}\n"}
        data = json.dumps([dict(record(first, "A", "A"), question=shown)]).encode()
        with cpu_guard(10):  # the earlier pattern needs minutes on the first two
            if "C." in padding:  # a third option line: the shown options no longer prove the shuffle
                with pytest.raises(ScoringError, match="correct_answer other than"):
                    read_predictions(data, mini_key)
            else:
                read_predictions(data, mini_key)
