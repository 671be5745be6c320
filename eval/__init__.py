"""Score MMAD prediction files: the upstream (official) protocol reproduced exactly, and a strict one.

    key = load_key(path)                       # parse once, reuse for many files
    preds = read_predictions(path_or_bytes, key)
    result = score(preds, key, protocol="both")
    print(format_table(result))

Standard library only at import time; numpy is imported when a bootstrap interval is computed.
"""

from __future__ import annotations

from .errors import ScoringError
from .key import AnswerKey
from .key_cache import load_key
from .predictions import Predictions, read_predictions
from .report import format_table
from .score import PROTOCOLS, SCORER_VERSION, score

__all__ = ["SCORER_VERSION", "PROTOCOLS", "ScoringError", "AnswerKey", "Predictions", "load_key",
           "read_predictions", "score", "format_table"]
