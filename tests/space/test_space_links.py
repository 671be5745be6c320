"""Links into the board: `?row=` and `?compare=` read from a query string, bounded; a row's own link."""

from __future__ import annotations

from space import render
from space.ui import links


def test_row_and_compare_links_are_read_trimmed_and_bounded():
    assert links.parse({"row": " gpt-4o-1-shot-mmad-csv "}) == links.PageLink("gpt-4o-1-shot-mmad-csv")
    assert links.parse({}) == links.PageLink()
    compared = links.parse({"compare": "a, b,,c," + ",".join("x" * 500 for _ in range(9))})
    assert compared.compare[:3] == ("a", "b", "c") and len(compared.compare) == links.COMPARE_LIMIT
    assert all(len(i) <= links.ID_LIMIT for i in compared.compare) and compared.row == ""


def test_a_rows_link_round_trips_through_the_query_string():
    from urllib.parse import parse_qs, urlsplit

    url = render.row_url("20260102T000000Z-01 &x=1")
    assert links.parse({k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}).row == "20260102T000000Z-01 &x=1"
