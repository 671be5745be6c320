"""How sure the board's numbers are, read where a user reads them: the intervals and rank ranges of
`/leaderboard` and the downloads, the tie clusters of the default ranking, and `/compare`."""

from __future__ import annotations

import csv
import dataclasses
import json
import math

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from eval import stats
from eval.compare import compare
from mmad_dataset import PAPER_COUNTS, PAPER_NORMAL_AD, SOURCES, SUBTASKS
from space import charts, comparison, intervals, ranking, render, taxonomy
from space.envs import REPORTED_DIR
from space.ranking import Filters

from board_entries import BUNDLED, row, verified

Z95 = 1.959963984540054



def _records(table: dict) -> dict[str, dict]:
    """Row id → {column: value} of a /leaderboard answer."""
    return {row[-1]: dict(zip(table["headers"], row)) for row in table["data"]}


def _hand_interval(printed: dict[str, float], average: float) -> tuple[float, float]:
    """The analytic 95% interval of a row that prints only its Average and subtask scores, written out
    from docs/scoring.md: every (source, subtask) cell takes its subtask's accuracy p; a cell's variance is
    p(1 − p)/n over its question count n (anomaly discrimination: the balanced accuracy's
    (p(1 − p)/n_normal + p(1 − p)/n_abnormal)/4); the Average's is their sum over (4 sources × 7 subtasks)²."""
    total = 0.0
    for source in SOURCES:
        for subtask in SUBTASKS:
            p = printed[subtask] / 100
            n = PAPER_COUNTS[source][subtask]
            if subtask == "anomaly_discrimination":
                normal = PAPER_NORMAL_AD[source]
                total += (p * (1 - p) / normal + p * (1 - p) / (n - normal)) / 4
            else:
                total += p * (1 - p) / n
    half = Z95 * math.sqrt(total) / 28 * 100
    return average - half, average + half


def test_reported_intervals_rank_ranges_and_clusters_on_the_api_and_in_the_download(serve):
    client = serve(None)
    table = client.predict(api_name="/leaderboard")
    rows = _records(table)
    entry = json.loads((REPORTED_DIR / "gpt-4o-1-shot-mmad-paper.json").read_text(encoding="utf-8"))
    low, high = _hand_interval(entry["result"]["subtasks"], entry["result"]["average"])
    gpt = rows["gpt-4o-1-shot-mmad-paper"]
    assert gpt["Average CI low"] == pytest.approx(low, abs=1e-9) and gpt["Average CI high"] == pytest.approx(high)
    assert 0.40 < (high - low) / 2 < 0.55  # the issue's ±0.41–0.54 points
    assert gpt["95% CI"] == f"{low:.2f}–{high:.2f}"

    by_average = {round(r["Average"], 2): r for r in rows.values() if r["Rank best"] is not None}
    for cluster in ((74.92, 74.31, 74.00), (69.59, 69.41, 69.23)):
        ranges = [(by_average[a]["Rank best"], by_average[a]["Rank worst"]) for a in cluster]
        assert max(best for best, _ in ranges) <= min(worst for _, worst in ranges), ranges  # one shared rank
        assert all(f"({best}–{worst})" in by_average[a]["Rank"] for a, (best, worst) in zip(cluster, ranges))
    # the note's count of separable neighbours, recounted from the rows' own intervals
    ranked = sorted((r for r in rows.values() if r["Rank best"] is not None), key=lambda r: -r["Average"])
    separable = sum(up["Average CI low"] > down["Average CI high"] for up, down in zip(ranked, ranked[1:]))
    assert f"{separable} of {len(ranked) - 1} adjacent pairs separable at 95%" in table["note"]
    assert 0 < separable < len(ranked) // 2  # most neighbours of the default ranking cannot be told apart
    assert rows["human-expert-1-shot-mmad-authors"]["Average CI low"] is None  # a reference line has none

    everything = _records(client.predict(show=ranking.ALL_ENTRIES, api_name="/leaderboard"))
    assert everything["claude-3-5-sonnet-1-shot-mmad-csv"]["95% CI"] == "size unknown"  # subset, size unstated
    assert everything["gpt-5-mini-1-shot-sigma"]["95% CI"] == "other protocol"
    # a subset of 32,059 questions: every cell's count scaled by 32,059/39,672, so the half-width by its root's inverse
    omniad = json.loads((REPORTED_DIR / "omniad-7b-1-shot-anomaly-lr.json").read_text(encoding="utf-8"))["result"]
    full_low, _ = _hand_interval(omniad["subtasks"], omniad["average"])
    subset = everything["omniad-7b-1-shot-anomaly-lr"]
    half = (omniad["average"] - full_low) * math.sqrt(39672 / 32059)
    assert (subset["Average CI low"], subset["Average CI high"]) == pytest.approx(
        (omniad["average"] - half, omniad["average"] + half))
    assert subset["Rank best"] is None  # shown, not ranked

    with open(client.predict(api_name="/export_csv")["path"], newline="", encoding="utf-8") as handle:
        exported = {r["id"]: r for r in csv.DictReader(handle)}
    row = exported["gpt-4o-1-shot-mmad-paper"]
    assert float(row["Average CI low"]) == pytest.approx(low) and float(row["Average CI high"]) == pytest.approx(high)
    assert (int(row["Rank best"]), int(row["Rank worst"])) == (gpt["Rank best"], gpt["Rank worst"])
    assert exported["human-expert-1-shot-mmad-authors"]["no_interval_because"] == intervals.REFERENCE


def test_compare_api_pairs_two_verified_rows_and_not_a_reported_one(serve, key_info, make_predictions):
    client = serve(key_info)
    good, poor = make_predictions(seed=3, accuracy=0.95), make_predictions(seed=4, accuracy=0.45)
    for path, name in ((good, "Good-VL"), (poor, "Poor-VL")):
        client.predict(handle_file(str(path)), name, size="7B", training_exposure=taxonomy.NO_EXPOSURE,
                       api_name="/submit")
    ids = {r["Model"].strip("[]").split("]")[0]: i for i, r in _records(client.predict(
        search="VL", api_name="/leaderboard")).items() if i.startswith("20")}
    result = client.predict(ids["Good-VL"], ids["Poor-VL"], api_name="/compare")
    assert result["paired"] is True and result["protocol"] == "strict" and result["verdict"] == "A better"
    direct = compare(good, poor, key_info.key)  # what `mmad compare` computes on the same two files
    average = result["scopes"][0]
    assert average["scope"] == "Average" and average["difference"] == pytest.approx(direct["average"]["difference"])
    assert (average["low"], average["high"]) == pytest.approx((direct["average"]["low"], direct["average"]["high"]))
    assert average["mcnemar_p"] < 1e-6
    assert [s["scope"] for s in result["scopes"][1:]] == list(ranking.SUBTASK_COLUMNS)
    assert client.predict(ids["Poor-VL"], ids["Good-VL"], api_name="/compare")["verdict"] == "B better"

    mixed = client.predict(ids["Good-VL"], "gpt-4o-1-shot-mmad-paper", api_name="/compare")
    assert mixed["paired"] is False and "per-question answers" in mixed["note"]
    with pytest.raises(AppError, match="no row with id 'x{60}…'"):
        client.predict("x" * 5000, "gpt-4o-1-shot-mmad-paper", api_name="/compare")
    with pytest.raises(AppError, match="two different rows"):
        client.predict(ids["Good-VL"], ids["Good-VL"], api_name="/compare")


def test_unpaired_compare_of_reported_rows_follows_their_intervals():
    rows = {r.id: r for r in ranking.board_view(BUNDLED, Filters()).rows}
    close = comparison.unpaired(rows["gpt-4o-1-shot-mmad-csv"], rows["kimi-vl-a3b-1-shot-judo"])
    assert close.average.difference == pytest.approx(74.306 - 74.00) and not close.paired
    assert close.average.low < 0 < close.average.high and close.average.verdict == "no detectable difference at 95%"
    # the combined interval is √2 times one row's half-width when both are about as wide
    half = (close.average.high - close.average.low) / 2
    own = [ranking.numbers(rows[i], ranking.OVERALL).interval for i in (close.a, close.b)]
    assert half == pytest.approx(math.hypot(*((i.high - i.low) / 2 for i in own)), rel=1e-6)
    better = comparison.unpaired(rows["qwen2-vl-72b-1-shot-mmad-csv"], rows["gpt-4o-1-shot-mmad-paper"])
    assert better.average.verdict == "A better"


def test_an_old_result_without_a_stored_bootstrap_has_no_interval_and_could_be_any_rank():
    old = verified(average=90.0)  # stored without "bootstrap"
    others = [row(id="r1", average=70.0), row(id="r2", average=50.0)]
    board = ranking.board_view([old, *others])
    assert ranking.numbers(old, ranking.OVERALL).interval is None
    assert old.uncertainty.missing_because == intervals.NOT_STORED
    # the old row spans every rank; the two reported rows are still told apart from each other
    assert [board.rank_text(r) for r in (old, *others)] == ["1 (1–3)", "2 (1–2)", "3 (2–3)"]


def test_unpaired_difference_covers_the_true_difference_95_percent_of_the_time():
    """Calibration: two independent accuracies over 800 and 1,200 questions (true 70% and 73%), each with
    its normal 95% interval; the combined interval of the difference covers −3 points in 93–97% of 4,000 runs."""
    rng = np.random.default_rng(7)
    runs, covered = 4000, 0
    a = rng.binomial(800, 0.70, runs) / 8
    b = rng.binomial(1200, 0.73, runs) / 12
    for x, y in zip(a, b):
        half_x, half_y = (Z95 * math.sqrt(v * (100 - v) / n) for v, n in ((x, 800), (y, 1200)))
        low, high = intervals.unpaired_difference(x, intervals.Interval(x - half_x, x + half_x), y,
                                                  intervals.Interval(y - half_y, y + half_y))
        covered += low <= -3.0 <= high
    assert 0.93 <= covered / runs <= 0.97


def test_rank_ranges_follow_the_rule_on_hand_made_intervals():
    """Best = 1 + rows whose low is above my high; worst = rows whose high is not below my low."""
    rows = [dataclasses.replace(verified(name=n, average=a), id=n) for n, a in
            (("a", 80.0), ("b", 79.0), ("c", 70.0), ("d", 69.5))]
    widths = {"a": (79.5, 80.5), "b": (78.0, 80.0), "c": (69.0, 71.0), "d": (69.2, 69.8)}
    for made in rows:
        low, high = widths[made.id]
        made.uncertainty = intervals.RowIntervals({"average": intervals.Interval(low, high), "subtasks": {},
                                                  "sources": {}})
    board = ranking.board_view(rows)
    assert {r.id: board.rank_text(r) for r in rows} == {"a": "1 (1–2)", "b": "2 (1–2)", "c": "3 (3–4)",
                                                       "d": "4 (3–4)"}
    assert board.separable() == (1, 3) and board.ranges.bands == {"a": 0, "b": 0, "c": 1, "d": 1}


def test_the_averages_chart_draws_each_rows_interval_as_its_error_bar():
    board = ranking.board_view(BUNDLED)
    figure = charts.bar_figure(board)
    drawn = 0
    for trace in (t for t in figure.data if t.type == "bar"):
        for row_id, value, up, down in zip(trace.y, trace.x, trace.error_x.array, trace.error_x.arrayminus):
            interval = ranking.numbers(next(r for r in board.rows if r.id == row_id), board.view).interval
            assert (value + up, value - down) == pytest.approx((interval.high, interval.low))
            drawn += 1
    assert drawn == charts.BAR_LIMIT


def test_the_row_detail_gives_the_average_its_subtasks_and_each_source_their_intervals():
    board = ranking.board_view(BUNDLED, Filters(show=ranking.ALL_ENTRIES))
    rows = {r.id: r for r in board.rows}
    gpt = render.detail_markdown(rows["gpt-4o-1-shot-mmad-paper"], board)
    interval = ranking.numbers(rows["gpt-4o-1-shot-mmad-paper"], ranking.OVERALL).interval
    assert f"95% interval of the average:** {interval.low:.2f}–{interval.high:.2f} (analytic" in gpt
    assert "plausible ranks 4–5 at 95%" in gpt and "95% intervals per subtask:** Anomaly Disc." in gpt
    qwen = render.detail_markdown(rows["qwen2-vl-72b-1-shot-mmad-csv"], board)
    result = json.loads((REPORTED_DIR / "qwen2-vl-72b-1-shot-mmad-csv.json").read_text(encoding="utf-8"))["result"]
    for source in SOURCES:  # each source's own interval, as eval.stats computes it from the entry
        low, high = stats.reported_intervals(result)["sources"][source]["average"]
        assert f"| {source} | {result['sources'][source]['average']:.2f} | {low:.2f}–{high:.2f} |" in qwen
    claude = render.detail_markdown(rows["claude-3-5-sonnet-1-shot-mmad-csv"], board)
    assert f"95% interval:** none ({intervals.UNKNOWN_SIZE})" in claude


def test_a_compare_link_opens_the_tab_on_that_pair_and_a_bad_link_says_why(settings):
    from types import SimpleNamespace

    from space.storage import LocalStore
    from space.ui.callbacks import BoardApp
    from space.ui.compare_callbacks import BAD_LINK, CompareCallbacks

    comparer = CompareCallbacks(BoardApp(settings, LocalStore(settings.store_dir), None))

    def load(query: dict):
        return comparer.on_load(SimpleNamespace(query_params=query))

    tabs, a, b, text, figure, table = load({"compare": "gpt-4o-1-shot-mmad-csv, kimi-vl-a3b-1-shot-judo"})
    assert tabs.selected == "compare" and (a.value, b.value) == ("gpt-4o-1-shot-mmad-csv", "kimi-vl-a3b-1-shot-judo")
    assert "no detectable difference at 95%" in text and "Unpaired" in text and list(table["Scope"])[0] == "Average"
    assert len(figure.data[0].y) == 8
    tabs, *_, text, figure, _ = load({"compare": "gpt-4o-1-shot-mmad-csv," + "<b>x</b>" * 1000})
    assert tabs.selected == "compare" and text.startswith("**Cannot compare:**") and "&lt;b&gt;" in text
    assert len(text) < 300 and figure is None
    assert load({"compare": "only-one"})[3] == BAD_LINK
    tabs, a, *_ = load({})
    assert tabs.selected is None and a.value  # no link: the pickers filled, the board's tab kept
