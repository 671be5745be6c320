"""`score()`: predictions + answer key → the result dict of one protocol, or of both. Pure when given
parsed objects; paths and bytes are read at this edge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import bootstrap, breakdowns, protocols
from .aggregate import add, image_vectors, macro_table
from .errors import ScoringError
from .gc_pause import gc_paused
from .key import AnswerKey
from .key_cache import load_key
from .predictions import Predictions, read_predictions

SCORER_VERSION = "1.1.0"  # 1.1: coverage counts readable answers only
PROTOCOLS: tuple[str, ...] = tuple(protocols.PROTOCOLS)
BOTH = "both"


@gc_paused
def score(predictions: Predictions | str | Path | bytes, key: AnswerKey | str | Path, protocol: str = BOTH, *,
          resamples: int = bootstrap.DEFAULT_RESAMPLES, seed: int = 0) -> dict[str, Any]:
    """One protocol's result, or {"official": ..., "strict": ...} for protocol="both".

    `resamples` sets the bootstrap interval's resample count (0 disables it); `seed` makes it
    reproducible.
    """
    if protocol != BOTH and protocol not in PROTOCOLS:
        raise ScoringError(f"unknown protocol {protocol!r}; choose from {', '.join((*PROTOCOLS, BOTH))}")
    if not isinstance(key, AnswerKey):
        key = load_key(key)
    if not isinstance(predictions, Predictions):
        predictions = read_predictions(predictions, key)
    if predictions.key_sha256 != key.sha256:
        raise ScoringError("the predictions were mapped onto a different answer key; read them with this key")
    if protocol == BOTH:
        return {name: _score(name, predictions, key, resamples, seed) for name in PROTOCOLS}
    return _score(protocol, predictions, key, resamples, seed)


def _score(protocol: str, predictions: Predictions, key: AnswerKey, resamples: int, seed: int) -> dict[str, Any]:
    counted = protocols.PROTOCOLS[protocol](predictions, key)
    columns = counted.columns
    vectors = image_vectors(counted.outcomes, columns)
    width = 2 * len(columns) + 4
    totals = {source: add(vectors.get(source, {}).values(), width) for source in counted.sources}
    questions = len(key)
    categories, defects = breakdowns.by_category_and_defect(vectors, key, columns)
    return {
        "benchmark": "MMAD", "protocol": protocol, "scorer_version": SCORER_VERSION,
        "answer_key_sha256": key.sha256, "predictions_sha256": predictions.sha256,
        "predictions_format": predictions.format,
        **macro_table(totals, columns),
        "counts": {"questions": questions, "scored": len(counted.outcomes), "invalid": counted.invalid,
                   "missing": questions - counted.predicted, "skipped": counted.skipped,
                   "answered": counted.answered},
        "coverage": counted.answered / questions * 100,
        "invalid_rate": counted.invalid / counted.predicted * 100 if counted.predicted else 0.0,
        "bootstrap": bootstrap.interval(vectors, counted.sources, columns, resamples=resamples, seed=seed),
        "categories": categories, "defects": defects,
        "position_bias": breakdowns.position_bias(counted.outcomes),
        "notes": list(predictions.notes),
    }
