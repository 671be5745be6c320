"""The intervals are right, not only present: simulated runs with known per-question success
probabilities (eval/simulate.py: a random effect per image makes one image's questions correlated)
and the share of runs whose 95% interval covers the true expected score.

400+ runs per check, fixed seeds. With 400 runs a coverage estimate has a standard error of about
1.1 points, so the 93–97% band is about ±1.8 standard errors; benchmarks/bench_stats.py measures the
same figures with more runs on the full benchmark.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import mmad_dataset as mm
from eval import bootstrap, load_key, simulate, stats
from eval.compare import NO_DIFFERENCE, paired
from paper_counts import SPLIT

SOURCES, COLUMNS = list(mm.SOURCES), list(mm.SUBTASKS)
RUNS = 400
RHO = 0.3  # latent correlation of two questions of one image



@pytest.fixture(scope="module")
def layout(tmp_path_factory) -> simulate.Layout:
    """A 5% synthetic key (1,985 questions, 419 images, every source and subtask): small enough
    to bootstrap 400 runs in seconds with the scorer's own code."""
    from mmad.synth import build_mmad_json

    path = tmp_path_factory.mktemp("calibration") / "mmad.json"
    path.write_text(json.dumps(build_mmad_json(0.05, seed=0)), encoding="utf-8")
    return simulate.Layout.of(load_key(path, cache=False))


def test_bootstrap_interval_covers_the_expected_score_95_percent_of_runs(layout):
    p = layout.probabilities(simulate.plausible_skill)
    truth = simulate.expected_score(layout, p, SOURCES, COLUMNS)
    covered = 0
    for i, right in enumerate(simulate.draw(layout, p, RHO, RUNS, np.random.default_rng(1))):
        ci = bootstrap.interval(simulate.vectors(layout, right, COLUMNS), SOURCES, COLUMNS, seed=i)
        covered += ci["low"] <= truth <= ci["high"]
    assert 93 <= 100 * covered / RUNS <= 97


def test_the_expected_score_is_the_mean_score_of_the_runs(layout):
    """The target of the coverage checks is right: the mean of 4,000 runs' Averages (by the scorer's
    arithmetic) is within 3 standard errors of expected_score."""
    p = layout.probabilities(simulate.plausible_skill)
    averages = simulate.averages(layout, simulate.draw(layout, p, RHO, 4000, np.random.default_rng(5)),
                                 SOURCES, COLUMNS)
    error = averages.std(ddof=1) / np.sqrt(len(averages))
    assert abs(averages.mean() - simulate.expected_score(layout, p, SOURCES, COLUMNS)) < 3 * error


def _cells(p: dict[str, tuple[float, ...]], draws: dict[str, np.ndarray], run: int) -> dict:
    """One run's printed row: every (source, subtask) cell and the AD class accuracies, in percent."""
    sources = {}
    for source, counts in SPLIT.items():
        right = draws[source][run] / np.array(counts) * 100
        normal, abnormal, *others = right.tolist()
        subtasks = dict(zip(COLUMNS, [(normal + abnormal) / 2, *others]))
        sources[source] = {"subtasks": subtasks, "anomaly_detection": {"recall": abnormal, "overkill": 100 - normal}}
    average = np.mean([np.mean(list(row["subtasks"].values())) for row in sources.values()])
    return {"average": float(average), "sources": sources}


def test_analytic_interval_covers_the_expected_score_when_questions_are_independent():
    """Binomial counts per cell with the paper's question counts (tests/paper_counts.py): the
    analytic interval of the printed Average covers the true average in 93–97% of 1,000 runs."""
    rng = np.random.default_rng(2)
    p = {source: tuple(0.5 + 0.45 * rng.random(len(counts))) for source, counts in SPLIT.items()}
    runs = 1000
    draws = {source: rng.binomial(SPLIT[source], p[source], size=(runs, len(SPLIT[source]))) for source in SPLIT}
    truth = np.mean([np.mean([(ps[0] + ps[1]) / 2, *ps[2:]]) for ps in p.values()]) * 100
    covered = 0
    for run in range(runs):
        low, high = stats.reported_interval(_cells(p, draws, run))
        covered += low <= truth <= high
    assert 93 <= 100 * covered / runs <= 97


def test_image_correlation_widens_the_average_by_the_design_effect(layout):
    """The reason DESIGN_EFFECT exists: with one image's questions correlated (rho = 0.3, the
    documented assumption), the spread of the Average across runs is wider than the independent
    formula says by about that factor (variance ratio within ±20%)."""
    p = layout.probabilities(simulate.plausible_skill)
    averages = simulate.averages(layout, simulate.draw(layout, p, RHO, 4000, np.random.default_rng(3)),
                                 SOURCES, COLUMNS)
    independent = simulate.averages(layout, simulate.draw(layout, p, 0.0, 4000, np.random.default_rng(4)),
                                    SOURCES, COLUMNS)
    ratio = averages.var(ddof=1) / independent.var(ddof=1)
    assert ratio == pytest.approx(stats.DESIGN_EFFECT, rel=0.2)


def test_compare_calls_runs_of_equal_skill_different_in_at_most_6_percent_of_pairs(layout):
    p = layout.probabilities(simulate.plausible_skill)
    runs_a, runs_b = simulate.draw_pairs(layout, p, p, RHO, 0.5, RUNS, np.random.default_rng(6))
    called = sum(paired(simulate.outcomes(layout, a), simulate.outcomes(layout, b), SOURCES, COLUMNS,
                        resamples=400, seed=i)[("average",)]["verdict"] != NO_DIFFERENCE
                 for i, (a, b) in enumerate(zip(runs_a, runs_b)))
    assert 100 * called / RUNS <= 6


def test_compare_detects_a_clearly_better_run(layout):
    """A 10-point better run (every question 10 points likelier) is called better in every pair."""
    p = layout.probabilities(simulate.plausible_skill)
    runs_a, runs_b = simulate.draw_pairs(layout, np.clip(p + 0.1, 0, 1), p, RHO, 0.5, 20, np.random.default_rng(7))
    verdicts = {paired(simulate.outcomes(layout, a), simulate.outcomes(layout, b), SOURCES, COLUMNS,
                       resamples=400, seed=i)[("average",)]["verdict"] for i, (a, b) in enumerate(zip(runs_a, runs_b))}
    assert verdicts == {"A better"}
