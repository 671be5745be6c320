"""The strict protocol, the breakdowns, the bootstrap interval and the shape of `score`'s result."""

from __future__ import annotations

import json

import pytest

from cases import MINI_ANSWERS, mini_lines, record
from eval import SCORER_VERSION, ScoringError, load_key, read_predictions, score

TOL = 1e-9


def strict(data: str | list, key, **kwargs) -> dict:
    raw = json.dumps(data) if isinstance(data, list) else data
    return score(read_predictions(raw.encode(), key), key, "strict", resamples=kwargs.pop("resamples", 0), **kwargs)


def test_hand_computed_strict_table(mini_key):
    result = strict(mini_lines(mini_key), mini_key)
    ds, visa, goods, loco = (result["sources"][s] for s in ("DS-MVTec", "VisA", "GoodsAD", "MVTec-LOCO"))
    assert ds["average"] == pytest.approx(325 / 7, abs=TOL)  # nothing invalid in DS-MVTec: as official
    assert visa["average"] == 0.0  # the unanswered AD question is wrong, not dropped; DL is wrong
    assert goods["average"] == pytest.approx(250 / 7, abs=TOL)
    assert loco["average"] == 0.0 and loco["abnormal_accuracy"] == 0.0  # "A crack is visible." is refused
    assert result["average"] == pytest.approx(575 / 28, abs=TOL)
    assert result["counts"] == {"questions": 13, "scored": 13, "invalid": 2, "missing": 0, "skipped": 0,
                                "answered": 11}
    assert result["coverage"] == pytest.approx(1100 / 13, abs=TOL)  # the 2 invalid are not answers
    assert result["invalid_rate"] == pytest.approx(200 / 13, abs=TOL)


def test_missing_questions_are_wrong(mini_key):
    """The skip-after-drop file: strict counts all 13 questions; 7 were never predicted."""
    answers = ["B", "", "B", "", "", "C"]
    records = [record(q, q.answer, a) for q, a in zip(mini_key.questions[:6], answers)]
    result = strict(records, mini_key)
    # DS-MVTec AD: normal 1 of 2 right, abnormal 0 of 1 -> 25; every other cell 0; 7 columns; 4 sources
    assert result["sources"]["DS-MVTec"]["subtasks"]["anomaly_discrimination"] == 25.0
    assert result["average"] == pytest.approx(25 / 7 / 4, abs=TOL)
    assert result["counts"] == {"questions": 13, "scored": 13, "invalid": 3, "missing": 7, "skipped": 0,
                                "answered": 3}
    assert result["coverage"] == pytest.approx(300 / 13, abs=TOL) and result["invalid_rate"] == 50.0


def test_out_of_options_letter_from_a_response_is_wrong(mini_key):
    first = mini_key.questions[0]  # two options
    result = score(read_predictions(json.dumps({"question_id": first.qid, "response": "Answer: D"}).encode(),
                                    mini_key), mini_key, resamples=0)
    assert result["strict"]["counts"]["invalid"] == 1 and result["strict"]["average"] == 0.0
    # upstream only checks A-E: D is a valid, wrong answer there
    assert result["official"]["counts"]["invalid"] == 0 and result["official"]["counts"]["scored"] == 1


def test_upstream_file_with_shuffled_options_only_under_trust_file_gold(mini_key):
    """Shuffling scripts record the gold letter the model saw; only --trust-file-gold judges against it."""
    first = mini_key.questions[0]  # gold B in the key
    with pytest.raises(ScoringError, match="correct_answer other than the answer key's"):
        read_predictions(json.dumps([record(first, "A", "A")]).encode(), mini_key)
    trusted = read_predictions(json.dumps([record(first, "A", "A")]).encode(), mini_key, trust_file_gold=True)
    result = score(trusted, mini_key, "strict", resamples=0)
    assert result["sources"]["DS-MVTec"]["normal_accuracy"] == 50.0  # 1 of its 2 normal images; 0 by the key
    assert any("gold letter other than the key's" in note for note in result["notes"])


def test_upstream_raw_reply_as_answer_is_extracted_by_strict(mini_key):
    """Some upstream scripts store the raw reply when no letter was found: strict still reads it."""
    first = mini_key.questions[0]
    both = score(read_predictions(json.dumps([record(first, "B", "No, it looks fine.")]).encode(), mini_key),
                 mini_key, resamples=0)
    assert both["strict"]["sources"]["DS-MVTec"]["normal_accuracy"] == 50.0  # 1 of its 2 normal images
    assert both["official"]["counts"]["invalid"] == 1  # upstream drops it


def test_breakdowns(mini_key):
    result = strict(mini_lines(mini_key), mini_key)
    bottle = result["categories"]["DS-MVTec/bottle"]
    assert bottle["questions"] == 6 and bottle["accuracy"] == pytest.approx(400 / 6, abs=TOL)
    assert bottle["subtasks"]["anomaly_discrimination"] == pytest.approx(100 / 3, abs=TOL)  # plain, not balanced
    assert result["defects"]["DS-MVTec/bottle/good"] == {
        "questions": 4, "accuracy": 75.0,
        "subtasks": {"anomaly_discrimination": 50.0, "object_classification": 100.0, "object_analysis": 100.0}}
    assert result["defects"]["DS-MVTec/bottle/broken_large"]["accuracy"] == 50.0
    assert set(result["categories"]) == {"DS-MVTec/bottle", "VisA/candle", "GoodsAD/drink_can", "MVTec-LOCO/pushpins"}


def test_position_bias(mini_key):
    bias = strict(mini_lines(mini_key), mini_key)["position_bias"]
    # 11 valid predictions: A 4, B 4, C 1, D 2; gold of the 13 questions: A 4, B 5, C 2, D 2
    assert {letter: v["predicted"] for letter, v in bias.items()} == pytest.approx(
        {"A": 400 / 11, "B": 400 / 11, "C": 100 / 11, "D": 200 / 11})
    assert {letter: v["correct"] for letter, v in bias.items()} == pytest.approx(
        {"A": 400 / 13, "B": 500 / 13, "C": 200 / 13, "D": 200 / 13})


def test_always_a_shows_in_position_bias(small_key):
    lines = "\n".join(json.dumps({"question_id": q.qid, "answer": "A"}) for q in small_key.questions)
    bias = strict(lines, small_key)["position_bias"]
    assert bias["A"]["predicted"] == 100.0 and bias["B"]["predicted"] == 0.0
    assert 0 < bias["A"]["correct"] < 100


def perfect(key) -> str:
    return "\n".join(json.dumps({"question_id": q.qid, "answer": q.answer}) for q in key.questions)


def noisy(key) -> str:
    wrong = {q.qid: next(letter for letter in q.options if letter != q.answer) for q in key.questions}
    return "\n".join(json.dumps({"question_id": q.qid, "answer": wrong[q.qid] if i % 3 == 0 else q.answer})
                     for i, q in enumerate(key.questions))


def test_bootstrap_interval(small_key):
    result = strict(noisy(small_key), small_key, resamples=300, seed=1)
    ci = result["bootstrap"]
    assert ci["low"] < result["average"] < ci["high"]
    assert ci["high"] - ci["low"] < 20
    assert (ci["resamples"], ci["seed"], ci["level"]) == (300, 1, 0.95)
    again = strict(noisy(small_key), small_key, resamples=300, seed=1)["bootstrap"]
    other = strict(noisy(small_key), small_key, resamples=300, seed=2)["bootstrap"]
    assert again == ci and other != ci


def test_bootstrap_of_a_perfect_run_is_a_point(small_key):
    ci = strict(perfect(small_key), small_key, resamples=50)["bootstrap"]
    assert ci["low"] == ci["high"] == pytest.approx(100.0)


def test_bootstrap_can_be_disabled(mini_key):
    assert strict(mini_lines(mini_key), mini_key, resamples=0)["bootstrap"] is None


def test_result_shape_and_provenance(mini_key, mini_key_path, tmp_path):
    path = tmp_path / "preds.jsonl"
    path.write_text(mini_lines(mini_key))
    both = score(path, mini_key_path, resamples=10)  # paths are read at the edge
    assert set(both) == {"official", "strict"}
    for protocol, result in both.items():
        assert result["benchmark"] == "MMAD" and result["protocol"] == protocol
        assert result["scorer_version"] == SCORER_VERSION
        assert result["answer_key_sha256"] == mini_key.sha256
        assert len(result["predictions_sha256"]) == 64
        for source in result["sources"].values():
            assert {"average", "subtasks", "normal_accuracy", "abnormal_accuracy", "overkill", "miss",
                    "precision", "recall", "f1"} <= set(source)
        assert set(result["counts"]) == {"questions", "scored", "invalid", "missing", "skipped", "answered"}
    assert json.loads(json.dumps(both)) == both


def test_unknown_protocol_and_foreign_key(mini_key, small_key):
    predictions = read_predictions(mini_lines(mini_key).encode(), mini_key)
    with pytest.raises(ScoringError, match="unknown protocol"):
        score(predictions, mini_key, "lenient")
    with pytest.raises(ScoringError, match="different answer key"):
        score(predictions, small_key)


def test_key_hash_is_the_same_whatever_the_form(small_root, small_key, tmp_path):
    import mmad_dataset

    rows = mmad_dataset.load_rows(small_root)
    exported = tmp_path / "export"
    exported.mkdir()
    with open(exported / "answer_key.jsonl", "w", encoding="utf-8") as handle:
        for row in reversed(rows):  # order does not matter either
            handle.write(json.dumps(row) + "\n")
    assert load_key(small_root / "mmad.json").sha256 == small_key.sha256
    assert load_key(exported).sha256 == small_key.sha256
    assert load_key(exported / "answer_key.jsonl").sha256 == small_key.sha256
    rows[0]["answer"] = next(letter for letter in "ABCD" if rows[0][letter] and letter != rows[0]["answer"])
    with open(exported / "answer_key.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)
    assert load_key(exported).sha256 != small_key.sha256


def test_mini_answers_cover_the_key(mini_key):
    assert len(MINI_ANSWERS) == len(mini_key)


def test_a_key_may_be_a_subset(small_root, tmp_path):
    """A filtered answer_key.jsonl (here: anomaly questions only) is a benchmark of its own."""
    import mmad_dataset

    rows = [row for row in mmad_dataset.load_rows(small_root) if row["subtask"] == "anomaly_discrimination"]
    path = tmp_path / "answer_key.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    key = load_key(path)
    result = strict(perfect(key), key)
    assert len(key) == len(rows) and list(result["subtasks"]) == ["anomaly_discrimination"]
    assert result["average"] == 100.0 and result["counts"]["missing"] == 0
