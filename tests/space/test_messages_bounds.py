"""The page's text limits at their edges: a user's text of exactly the limit is shown whole, one
character more is cut and marked; quotes stay quotes (API clients read the same text)."""

from __future__ import annotations

from space.messages import MESSAGE_LIMIT, bounded, for_page, prefix

from eval.errors import QUOTE_LIMIT


def test_text_of_exactly_the_limit_is_shown_whole_and_one_more_is_cut():
    assert prefix("x" * QUOTE_LIMIT) == "x" * QUOTE_LIMIT
    assert prefix("x" * (QUOTE_LIMIT + 1)) == "x" * QUOTE_LIMIT + "…"
    assert bounded("y" * MESSAGE_LIMIT) == "y" * MESSAGE_LIMIT
    assert bounded("y" * (MESSAGE_LIMIT + 1)) == "y" * MESSAGE_LIMIT + "…"
    assert for_page("z" * MESSAGE_LIMIT) == "z" * MESSAGE_LIMIT


def test_quotes_reach_the_page_as_quotes_and_markup_as_text():
    assert for_page("""model "A" and 'B' <b>&</b>""") == """model "A" and 'B' &lt;b&gt;&amp;&lt;/b&gt;"""
