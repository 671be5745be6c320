"""Synthetic runs with known success probabilities, for checking that the intervals are calibrated.

A run answers question q of image i correctly when z_q < Φ⁻¹(p_q), with
z_q = √ρ·u_i + √(1−ρ)·e_q and u_i, e_q independent standard normals (a random effect per image).
Each question is then right with probability exactly p_q whatever ρ, and two questions of one image
are correlated through u_i (ρ is their latent, tetrachoric correlation; ρ = 0: independent).
The run's expected score is the macro average of the p_q, so coverage can be checked against it.
Used by tests/eval/test_stats_calibration.py and benchmarks/bench_design_effect.py; numpy only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from . import bootstrap
from .aggregate import AD, Outcome, image_vectors
from .key import AnswerKey, Question


@dataclass(frozen=True)
class Layout:
    """A key as arrays: for each question (key order) its image's index; and the questions."""

    questions: tuple[Question, ...]
    image: Any
    images: int

    @classmethod
    def of(cls, key: AnswerKey) -> Layout:
        import numpy as np

        index: dict[tuple[str, str], int] = {}
        image = np.array([index.setdefault((q.source, q.image), len(index)) for q in key.questions])
        return cls(key.questions, image, len(index))

    def probabilities(self, skill: Callable[[Question], float]) -> Any:
        """The per-question success probabilities `skill(question)`, as an array in key order."""
        import numpy as np

        return np.array([skill(q) for q in self.questions], dtype=float)


def _thresholds(p: Any) -> Any:
    import numpy as np

    return np.array([NormalDist().inv_cdf(min(max(x, 1e-12), 1 - 1e-12)) for x in p])


def draw(layout: Layout, p: Any, rho: float, runs: int, rng: Any) -> Any:
    """(runs × questions) booleans: who got what right, in each of `runs` independent runs."""
    import numpy as np

    u = rng.standard_normal((runs, layout.images))
    z = np.sqrt(rho) * u[:, layout.image] + np.sqrt(1 - rho) * rng.standard_normal((runs, len(p)))
    return z < _thresholds(p)


def draw_pairs(layout: Layout, p_a: Any, p_b: Any, rho: float, kappa: float, pairs: int, rng: Any) -> tuple[Any, Any]:
    """Two runs on the same questions, `pairs` times: each as `draw`, their latent variables
    (image effects and question noises alike) correlated `kappa` across the two runs — models that
    find the same images and questions hard (kappa = 0: unrelated runs)."""
    import numpy as np

    def latent(shape: tuple[int, int], common: Any) -> Any:
        return np.sqrt(kappa) * common + np.sqrt(1 - kappa) * rng.standard_normal(shape)

    u_common = rng.standard_normal((pairs, layout.images))
    e_common = rng.standard_normal((pairs, len(p_a)))
    out = []
    for p in (p_a, p_b):
        u = latent(u_common.shape, u_common)
        z = np.sqrt(rho) * u[:, layout.image] + np.sqrt(1 - rho) * latent(e_common.shape, e_common)
        out.append(z < _thresholds(p))
    return out[0], out[1]


def outcomes(layout: Layout, right: Any) -> list[Outcome]:
    """One run's booleans as the scorer's outcomes (the strict protocol's: every question once)."""
    return [(q, q.answer if ok else None, q.answer, bool(ok)) for q, ok in zip(layout.questions, right.tolist())]


def vectors(layout: Layout, right: Any, columns: list[str]) -> dict[str, dict[str, list[int]]]:
    """One run's image count vectors, exactly as the scorer builds them (eval.aggregate.image_vectors)."""
    return image_vectors(outcomes(layout, right), columns)


def averages(layout: Layout, right: Any, sources: list[str], columns: list[str]) -> Any:
    """The Average each run scores (a vector over the rows of `right`), by the scorer's own
    arithmetic (eval.bootstrap.table_series) on every run's counts at once."""
    import numpy as np

    position = {column: 2 * i for i, column in enumerate(columns)}
    detection = 2 * len(columns)
    sums = {}
    for source in sources:
        rows = [i for i, q in enumerate(layout.questions) if q.source == source]
        correct = np.zeros((len(rows), detection + 4), dtype=np.int64)
        totals = np.zeros(detection + 4, dtype=np.int64)
        for j, i in enumerate(rows):
            q = layout.questions[i]
            slots = [position[q.subtask]] + ([detection + (0 if q.normal else 2)] if q.subtask == AD else [])
            for slot in slots:
                correct[j, slot] = 1
                totals[slot + 1] += 1
        sums[source] = right[:, rows].astype(np.int64) @ correct + totals
    return bootstrap.table_series(sums, columns)["average",]


def expected_score(layout: Layout, p: Any, sources: list[str], columns: list[str]) -> float:
    """The macro average a run scores in expectation: the table arithmetic on expected counts
    (every count is a sum of Bernoulli variables; each ratio has a fixed denominator)."""
    cells: dict[tuple[str, str], list[float]] = {}
    for q, x in zip(layout.questions, p.tolist()):
        part = q.subtask + (".normal" if q.normal else ".abnormal") * (q.subtask == AD)
        cells.setdefault((q.source, part), []).append(x)

    def mean_p(source: str, part: str) -> float:
        values = cells.get((source, part), [0.0])
        return sum(values) / len(values)

    rows = []
    for source in sources:
        row = [(mean_p(source, AD + ".normal") + mean_p(source, AD + ".abnormal")) / 2 if c == AD
               else mean_p(source, c) for c in columns]
        rows.append(sum(row) / len(row))
    return sum(rows) / len(rows) * 100


def plausible_skill(question: Question) -> float:
    """A plausible model's success probability, 0.45–0.9: differing by subtask, by source and (for
    anomaly discrimination) by class, as published runs do. Simulations of runs share this profile."""
    base = {"anomaly_discrimination": 0.7, "defect_classification": 0.6, "defect_localization": 0.55,
            "defect_description": 0.65, "defect_analysis": 0.75, "object_classification": 0.85,
            "object_analysis": 0.8}[question.subtask]
    if question.subtask == "anomaly_discrimination":
        base += 0.15 if question.normal else -0.15
    return base + {"DS-MVTec": 0.05, "MVTec-LOCO": -0.05, "VisA": 0.0, "GoodsAD": -0.1}[question.source]
