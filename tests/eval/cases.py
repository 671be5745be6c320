"""Shared test inputs: a hand-made mini benchmark (13 questions, numbers worked out by hand in the
tests), a set of answers to it, and an upstream-style record builder."""

from __future__ import annotations

import json
from pathlib import Path

YES_NO = {"A": "Yes.", "B": "No."}
NO_YES = {"A": "No.", "B": "Yes."}
FOUR = {"A": "Scratch.", "B": "Crack.", "C": "Stain.", "D": "Dent."}
PLACES = {"A": "Top left.", "B": "Center.", "C": "Bottom right.", "D": "Top right."}


def _qa(qtype: str, options: dict[str, str], answer: str) -> dict:
    return {"Question": f"{qtype}?", "Options": options, "Answer": answer, "type": qtype}


#: 7 images, 13 questions. Expected numbers in the tests are worked out by hand from this table.
MINI_MMAD = {
    "DS-MVTec/bottle/image/good/000.png": [_qa("Anomaly Detection", YES_NO, "B"),
                                           _qa("Object Classification", FOUR, "C")],
    "DS-MVTec/bottle/image/broken_large/000.png": [_qa("Anomaly Detection", YES_NO, "A"),
                                                   _qa("Defect Classification", FOUR, "D")],
    "DS-MVTec/bottle/image/good/001.png": [_qa("Anomaly Detection", YES_NO, "B"),
                                           _qa("Object Structure", FOUR, "A")],
    "VisA/candle/test/bad/000.JPG": [_qa("Anomaly Detection", NO_YES, "B"),
                                     _qa("Defect Localization", PLACES, "B")],
    "GoodsAD/drink_can/test/good/000_000.jpg": [_qa("Anomaly Detection", YES_NO, "B"),
                                                _qa("Object Details", FOUR, "D")],
    "GoodsAD/drink_can/test/dent/000_001.jpg": [_qa("Defect Description", FOUR, "A")],
    "MVTec-LOCO/pushpins/test/logical_anomalies/000.png": [_qa("Anomaly Detection", YES_NO, "A"),
                                                           _qa("Defect Analysis", FOUR, "C")],
}


def write_mini(folder: Path) -> Path:
    path = folder / "mmad.json"
    body = {key: {"conversation": conversation, "random_templates": [], "similar_templates": [], "mask_path": ""}
            for key, conversation in MINI_MMAD.items()}
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


MINI_ANSWERS = [  # key order; ✓ right, ✗ wrong
    {"answer": "B"}, {"answer": "C"},                  # DS-MVTec good/000: AD ✓ normal, OC ✓
    {"answer": "B"}, {"answer": "D"},                  # DS-MVTec broken_large: AD ✗ abnormal, DC ✓
    {"answer": "A"}, {"answer": "A"},                  # DS-MVTec good/001: AD ✗ normal, Object Structure ✓
    {"answer": None}, {"answer": "A"},                 # VisA bad: AD no answer (dropped), DL ✗ (skipped)
    {"answer": "B"}, {"answer": "D"},                  # GoodsAD good: AD ✓ normal, Object Details ✓
    {"response": "The answer is A."},                  # GoodsAD dent: Defect Description ✓
    {"response": "A crack is visible."}, {"answer": "B"},  # LOCO: AD ✓ upstream ("A"), strict refuses; DA ✗
]


def mini_lines(key) -> str:
    return "\n".join(json.dumps({"question_id": q.qid, **fields}) for q, fields in zip(key.questions, MINI_ANSWERS))


def record(question, correct, given) -> dict:
    return {"image": question.image, "question": {"type": "text", "text": "Question 1: ..."},
            "question_type": question.question_type, "correct_answer": correct, "gpt_answer": given}


