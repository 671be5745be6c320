"""The Compare tab's callbacks and the `/compare` API: two rows of the board, paired when both were
scored here (their stored prediction files re-read against the board's key), else unpaired.

Paired results are kept per pair of stored results (a comparison of two full prediction files
takes a second or two), so re-opening a shared `?compare=A,B` link does not recompute it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import gradio as gr
import pandas as pd

from eval.compare import A_BETTER, B_BETTER
from mmad_dataset import MMADError
from space import charts, comparison, messages, render
from space.ranking import Row
from space.ui import links

if TYPE_CHECKING:
    from space.ui.callbacks import BoardApp

#: Characters of a row id quoted back in an error (ids are short slugs or timestamps).
ID_QUOTE = 60
TABLE_COLUMNS = ["Scope", "A", "B", "A − B", "95% interval of A − B", "McNemar p", "Verdict"]
PLACEHOLDER = "*Pick two rows and press **Compare**, or open the page with `?compare=<id>,<id>`.*"
BAD_LINK = "**Cannot compare:** `?compare=` takes two row ids: `?compare=<id>,<id>`."


class CompareError(MMADError):
    """A comparison that cannot be made (unknown row, the same row twice, unreadable predictions)."""


class CompareCallbacks:
    """Compare two rows of `app`'s board; `cache` holds paired results by the pair's stored results."""

    CACHE_SIZE = 32

    def __init__(self, app: BoardApp) -> None:
        self.app = app
        self.cache: dict[tuple, comparison.Comparison] = {}

    def rows(self, a_id: str, b_id: str) -> tuple[Row, Row]:
        a_id, b_id = str(a_id or ""), str(b_id or "")
        if not a_id or not b_id:
            raise CompareError("pick two rows to compare")
        if a_id == b_id:
            raise CompareError("pick two different rows")
        found = [self.app.board.find(row_id) for row_id in (a_id, b_id)]
        for row_id, row in zip((a_id, b_id), found):
            if row is None or row.average is None:
                raise CompareError(f"no row with id {messages.prefix(row_id, ID_QUOTE)!r} and an average on the board")
        return found[0], found[1]

    def compare(self, a_id: str, b_id: str) -> comparison.Comparison:
        """Paired for two verified rows when an answer key is configured, else unpaired (the note says why)."""
        a, b = self.rows(a_id, b_id)
        if not comparison.can_pair(a, b):
            return comparison.unpaired(a, b)
        if self.app.key_info is None:
            return comparison.unpaired(a, b, "Unpaired: no answer key is configured here to re-read the two "
                                             "prediction files. " + comparison.UNPAIRED_NOTE)
        return self._paired(a, b)

    def _paired(self, a: Row, b: Row) -> comparison.Comparison:
        from eval.compare import compare

        stored = {s.id: s for s in self.app.board.stored}
        left, right = stored[a.id], stored[b.id]
        cache_key = (a.id, b.id, left.result.get("scored_at"), right.result.get("scored_at"),
                     self.app.key_info.key.sha256)
        if cache_key not in self.cache:
            result = compare(self.app.store.predictions(left), self.app.store.predictions(right),
                             self.app.key_info.key)
            if len(self.cache) >= self.CACHE_SIZE:
                self.cache.pop(next(iter(self.cache)))
            self.cache[cache_key] = comparison.paired(a, b, result)
        return self.cache[cache_key]

    def api(self, a: str, b: str) -> dict:
        """Compare rows `a` and `b` (board ids): A − B for the Average and each subtask, its 95% interval and
        the verdict; `paired` says whether their per-question answers were paired."""
        try:
            return self.compare(a, b).as_dict()
        except MMADError as exc:
            raise gr.Error(messages.for_page(str(exc)), print_exception=False) from None

    def view(self, a_id: str, b_id: str):
        """(verdict text, chart, table) of the Compare tab."""
        try:
            result = self.compare(a_id, b_id)
        except MMADError as exc:
            raise gr.Error(messages.for_page(str(exc)), print_exception=False) from None
        names = charts.unique_labels(list(self.rows(a_id, b_id)))
        a_label, b_label = names[result.a], names[result.b]
        return (verdict_markdown(result, a_label, b_label), charts.compare_figure(result, a_label, b_label),
                scope_table(result))

    def on_load(self, request: gr.Request | None = None):
        """The pickers' choices; with `?compare=A,B` in the page's address, the Compare tab opened on that pair."""
        prepared = self.app.prepared()
        picker = prepared.constant("compare picker", lambda: charts.choices(
            [r for r in prepared.rows if r.status != "reference" and r.average is not None]))
        query = dict(getattr(request, "query_params", None) or {})
        ids = list(links.parse(query).compare)
        asked = bool(str(query.get("compare") or "").strip())
        default = [value for _, value in picker[:2]]
        if len(ids) != 2:
            text = BAD_LINK if asked else PLACEHOLDER
            return (gr.Tabs(selected="compare") if asked else gr.Tabs(),
                    gr.Dropdown(choices=picker, value=default[0] if default else None),
                    gr.Dropdown(choices=picker, value=default[-1] if default else None), text, None, None)
        try:
            text, figure, frame = self.view(*ids)
        except gr.Error as exc:
            text, figure, frame = f"**Cannot compare:** {exc.message}", None, None
        known = {value for _, value in picker}
        return (gr.Tabs(selected="compare"),
                gr.Dropdown(choices=picker, value=ids[0] if ids[0] in known else None),
                gr.Dropdown(choices=picker, value=ids[1] if ids[1] in known else None), text, figure, frame)


def _interval(scope: comparison.Scope) -> str:
    return "–" if scope.low is None else f"{scope.low:+.2f} to {scope.high:+.2f}"


def verdict_markdown(result: comparison.Comparison, a_label: str, b_label: str) -> str:
    """The verdict on the Average in words, who A and B are, and how it was computed."""
    average = result.average
    named = {A_BETTER: f"A ({a_label}) is better", B_BETTER: f"B ({b_label}) is better"}
    verdict = named.get(average.verdict, average.verdict)
    p_value = f"; McNemar p = {average.mcnemar_p:.3g}" if average.mcnemar_p is not None else ""
    return (f"### Average: {render.escape_markdown(verdict)}\n\n"
            f"A − B = **{average.difference:+.2f}** points, 95% interval {_interval(average)}{p_value}.\n\n"
            f"- **A:** {render.escape_markdown(a_label)} (`{render.escape_markdown(result.a)}`)\n"
            f"- **B:** {render.escape_markdown(b_label)} (`{render.escape_markdown(result.b)}`)\n\n"
            f"*{render.escape_markdown(result.note)}*")


def scope_table(result: comparison.Comparison) -> pd.DataFrame:
    """Every compared number as displayed text."""
    return pd.DataFrame([[s.scope, f"{s.a:.2f}", f"{s.b:.2f}", f"{s.difference:+.2f}", _interval(s),
                          "–" if s.mcnemar_p is None else f"{s.mcnemar_p:.3g}", s.verdict]
                         for s in result.scopes], columns=TABLE_COLUMNS)
