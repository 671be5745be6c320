"""Measure the statistics of a score on synthetic runs of the full benchmark (39,672 questions, the
paper's counts per (source, subtask)), with a random effect per image (eval/simulate.py):

- design effect of image clustering, per latent within-image correlation rho: the variance of the
  Average across simulated runs over the independent-questions variance (the analytic formula of
  eval/stats.py), and the same ratio read off the image bootstrap of each run;
- coverage of the bootstrap 95% interval (every rho) and of the analytic one (with and without the
  DESIGN_EFFECT widening) around the true expected score;
- `mmad compare`'s false-positive rate on runs of equal skill and its power at a true 1-point
  difference of the Average, for runs unrelated (kappa = 0) or sharing difficulty (kappa = 0.5).

    python benchmarks/bench_stats.py [--runs 1000] [--boot-runs 200] [--pairs 200] [--rho 0 0.1 0.2 0.3 0.5]
    python benchmarks/bench_stats.py --predictions RUN.jsonl --key ALL_DATA   # one real run's design effect

Prints JSON. docs/scoring.md quotes its output; DESIGN_EFFECT in eval/stats.py is the ratio at
ASSUMED_RHO.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import mmad_dataset as mm
from eval import bootstrap, load_key, simulate, stats
from eval.aggregate import add, macro_table
from eval.compare import A_BETTER, B_BETTER, paired
from mmad.synth import build_mmad_json

SOURCES, COLUMNS = list(mm.SOURCES), list(mm.SUBTASKS)
#: The within-image latent correlation DESIGN_EFFECT is quoted at.
ASSUMED_RHO = 0.3
CHUNK = 100



def true_result(layout, p) -> dict:
    """The expected cells as a reported row, for the independent-questions (analytic) variance."""
    cells = {s: {} for s in SOURCES}
    detection = {s: {} for s in SOURCES}
    for source in SOURCES:
        for column in COLUMNS:
            mask = np.array([q.source == source and q.subtask == column for q in layout.questions])
            if column == "anomaly_discrimination":
                normal = np.array([q.normal for q in layout.questions]) & mask
                pn, pa = p[normal].mean() * 100, p[mask & ~normal].mean() * 100
                cells[source][column] = (pn + pa) / 2
                detection[source] = {"recall": pa, "overkill": 100 - pn}
            else:
                cells[source][column] = p[mask].mean() * 100
    return {"average": simulate.expected_score(layout, p, SOURCES, COLUMNS),
            "sources": {s: {"subtasks": cells[s], "anomaly_detection": detection[s]} for s in SOURCES}}


def analytic_half(result: dict, design_effect: float = 1.0) -> float:
    low, high = stats.reported_interval(result, design_effect=design_effect)
    return (high - low) / 2


def run_result(layout, right) -> dict:
    """One run's printed cells (what a paper would print), for its analytic interval."""
    vectors = simulate.vectors(layout, right, COLUMNS)
    return as_reported(macro_table({s: add(vectors[s].values(), 2 * len(COLUMNS) + 4) for s in SOURCES}, COLUMNS))


def as_reported(table: dict) -> dict:
    """A scored table in the shape of a reported row (cells and AD class accuracies)."""
    return {"average": table["average"],
            "sources": {s: {"subtasks": row["subtasks"], "anomaly_detection":
                            {"recall": row["recall"], "overkill": row["overkill"]}} for s, row in table["sources"].items()}}


def design_effect(layout, p, truth, rho, runs, boot_runs, rng) -> dict:
    averages = np.concatenate([simulate.averages(layout, simulate.draw(layout, p, rho, CHUNK, rng), SOURCES, COLUMNS)
                               for _ in range(max(1, runs // CHUNK))])
    independent = (analytic_half(true_result(layout, p)) / stats.z_value()) ** 2
    ratios, covered, analytic_covered, widened_covered = [], 0, 0, 0
    for i, right in enumerate(simulate.draw(layout, p, rho, boot_runs, rng)):
        ci = bootstrap.interval(simulate.vectors(layout, right, COLUMNS), SOURCES, COLUMNS, seed=i)
        ratios.append(((ci["high"] - ci["low"]) / 2 / stats.z_value()) ** 2 / independent)
        covered += ci["low"] <= truth <= ci["high"]
        row = run_result(layout, right)
        low, high = stats.reported_interval(row)
        analytic_covered += low <= truth <= high
        low, high = stats.reported_interval(row, design_effect=stats.DESIGN_EFFECT)
        widened_covered += low <= truth <= high
    return {"rho": rho, "runs": len(averages), "sd_of_average": float(averages.std(ddof=1)),
            "independent_sd": independent ** 0.5, "design_effect_simulated": float(averages.var(ddof=1) / independent),
            "design_effect_bootstrap_mean": float(np.mean(ratios)), "bootstrap_runs": boot_runs,
            "bootstrap_coverage_pct": 100 * covered / boot_runs, "analytic_coverage_pct": 100 * analytic_covered / boot_runs,
            "analytic_widened_coverage_pct": 100 * widened_covered / boot_runs,
            "mean_abs_bias": float(abs(averages.mean() - truth))}


def compare_rates(layout, p, rho, kappa, pairs, rng) -> dict:
    """Share of pairs called different: equal skill (false positives) and A 1 point better (power)."""
    shift = np.clip(p + 0.01, 0, 1)  # every question 1 point likelier: the Average 1 point higher
    out = {"rho": rho, "kappa": kappa, "pairs": pairs}
    for name, p_a in (("false_positive_pct", p), ("power_at_1_point_pct", shift)):
        right_a, right_b = simulate.draw_pairs(layout, p_a, p, rho, kappa, pairs, rng)
        calls = [paired(simulate.outcomes(layout, a), simulate.outcomes(layout, b), SOURCES, COLUMNS,
                        seed=i)[("average",)]["verdict"] for i, (a, b) in enumerate(zip(right_a, right_b))]
        wanted = (A_BETTER, B_BETTER) if name == "false_positive_pct" else (A_BETTER,)
        out[name] = 100 * sum(call in wanted for call in calls) / pairs
    return out


def measured_on(predictions: str, key_path: str) -> dict:
    """The design effect of one real run: its bootstrap variance (images resampled) over the
    analytic variance of the same cells (questions independent), strict protocol."""
    from eval import read_predictions, score

    key = load_key(key_path)
    result = score(read_predictions(predictions, key), key, "strict")
    boot = (result["bootstrap"]["high"] - result["bootstrap"]["low"]) / 2
    low, high = stats.reported_interval(as_reported(result), questions=len(key))
    return {"predictions": predictions, "questions": len(key), "average": result["average"],
            "bootstrap_half_width": boot, "analytic_half_width": (high - low) / 2,
            "design_effect": (boot / ((high - low) / 2)) ** 2}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="simulated runs per rho for the variance")
    parser.add_argument("--boot-runs", type=int, default=200, help="runs per rho bootstrapped (slower)")
    parser.add_argument("--pairs", type=int, default=200, help="pairs per compare check (0: skip them)")
    parser.add_argument("--rho", type=float, nargs="+", default=[0.0, 0.1, 0.2, ASSUMED_RHO, 0.5])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--predictions", help="measure the design effect of this real run instead (with --key)")
    parser.add_argument("--key", help="the answer key of --predictions")
    args = parser.parse_args()
    if args.predictions:
        print(json.dumps(measured_on(args.predictions, args.key), indent=2))
        return 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mmad.json"
        path.write_text(json.dumps(build_mmad_json(1.0, seed=0)), encoding="utf-8")
        layout = simulate.Layout.of(load_key(path, cache=False))
    p = layout.probabilities(simulate.plausible_skill)
    truth = simulate.expected_score(layout, p, SOURCES, COLUMNS)
    rng = np.random.default_rng(args.seed)
    report = {"questions": len(layout.questions), "images": layout.images, "expected_average": truth,
              "design_effect_constant": stats.DESIGN_EFFECT, "assumed_rho": ASSUMED_RHO,
              "design_effect": [design_effect(layout, p, truth, rho, args.runs, args.boot_runs, rng) for rho in args.rho],
              "compare": [compare_rates(layout, p, ASSUMED_RHO, kappa, args.pairs, rng) for kappa in (0.0, 0.5)
                          if args.pairs > 0]}
    report["seconds"] = time.perf_counter() - start
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
