"""Hand-made board entries in the reported schema and verified rows, shared by the board's tests."""

from __future__ import annotations

import json

from mmad_dataset import SOURCES, SUBTASKS
from space import populate, ranking
from space.envs import REPORTED_DIR

BUNDLED = [populate.row_from_reported(json.loads(p.read_text(encoding="utf-8")))
           for p in sorted(REPORTED_DIR.glob("*.json"))]


#: Every comparability field stated by the source (quantisation honestly unknown).
STATED_BASIS = {"setting": {"basis": "stated"}, "protocol": {"basis": "stated"}, "coverage": {"basis": "stated"},
                "training_exposure": {"basis": "stated"}, "quantisation": {"basis": "not stated"}}


def presumed_basis(**reasons: str) -> dict:
    """STATED_BASIS with the named fields presumed for the given reasons."""
    return {**STATED_BASIS, **{name: {"basis": "presumed", "reason": reason} for name, reason in reasons.items()}}


def entry(id="m-1-shot", model="Model-7B", average=70.0, **changes) -> dict:
    """A comparable reported entry in the board schema; `changes` override any field."""
    base = {
        "id": id, "model": model, "model_version": None, "size": "7B", "type": "open", "link": "https://e.org/m",
        "status": "reported", "setting": "1-shot", "setting_detail": "", "protocol": "official",
        "protocol_detail": "", "coverage": "full", "coverage_detail": "", "training_exposure": "none declared",
        "training_detail": "", "quantisation": "not stated", "quantisation_detail": "",
        "measured_by": "benchmark authors", "basis": STATED_BASIS, "run_note": "", "notes": "", "flags": [],
        "sources": [{"title": "MMAD paper (ICLR 2025)", "kind": "paper table", "locator": "Table 2",
                     "link": "https://arxiv.org/abs/2410.09453", "measured": True, "average": average,
                     "precision": 2, "confidence": "high"}],
        "rescorable": False, "rescorable_reason": "reported",
        "result": {"average": average, "subtasks": {s: average for s in SUBTASKS}},
    }
    return {**base, **changes}


def row(**kwargs) -> ranking.Row:
    return populate.row_from_reported(entry(**kwargs))


def verified(name="Mine <b>x</b>", average=80.0, coverage=100.0, exposure="none declared", link="https://e.org/m",
             synthetic=False, setting="1-shot") -> ranking.Row:
    result = {"scored_at": "2026-01-02T00:00:00Z", "data_revision": "rev",
              "official": {"average": average, "subtasks": {s: average for s in SUBTASKS}, "coverage": coverage,
                           "sources": {src: {"average": average - 1, "subtasks": {s: average - 1 for s in SUBTASKS},
                                             "overkill": 12.0, "miss": 8.0} for src in SOURCES},
                           "overkill": 12.5, "miss": 7.5, "scorer_version": "1.0.0", "answer_key_sha256": "ab" * 32,
                           "categories": {name: {"questions": 9, "accuracy": 50.0,
                                                 "subtasks": {s: 50.0 for s in SUBTASKS}}
                                          for name in ("VisA/candle", "DS-MVTec/bottle", "MVTec-LOCO/pushpins")}},
              "strict": {"average": average - 2, "sources": {}}}
    metadata = {"model_name": name, "link": link, "size": "7B", "model_type": "open", "setting": setting,
                "training_exposure": exposure, "user": "u", "submitted_at": "2026-01-02T00:00:00Z",
                "notes": "greedy decoding"}
    return populate.row_from_submission("20260102T000000Z-0123456789", metadata, result, synthetic=synthetic)
