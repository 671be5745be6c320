"""`score()` edges that mutation testing (docs/mutation.md) found unguarded."""

from __future__ import annotations

from eval import score
from eval.predictions import Predictions


def test_strict_score_of_parsed_predictions_with_no_record_is_zero_with_no_invalid_rate(mini_key):
    # read_predictions refuses an empty file, but score() also takes parsed Predictions.
    nothing = Predictions("jsonl", "0" * 64, mini_key.sha256, (), {})
    result = score(nothing, mini_key, "strict", resamples=0)
    assert result["invalid_rate"] == 0.0 and result["coverage"] == 0.0 and result["average"] == 0.0
    assert result["counts"]["missing"] == len(mini_key)
