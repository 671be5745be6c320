"""The official protocol equals the upstream scorer: against a transcription of it (the oracle) on
random and adversarial files, and against hand-computed tables. (The authors' published CSVs are
reproduced end to end in test_published_csv.py.)"""

from __future__ import annotations

import json
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eval import load_key, read_predictions, score
from mmad_dataset import LETTERS, TYPE_TO_SUBTASK
from cases import MINI_ANSWERS, YES_NO, mini_lines, record
from upstream_oracle import caculate_accuracy_mmad

TOL = 1e-9
DETECTION = {"Overkill": "overkill", "Miss": "miss", "Recall": "recall", "Precision": "precision", "F1": "f1"}


def official(records_or_lines, key, **kwargs):
    """Upstream's behaviour, file gold included (`--trust-file-gold`): what the oracle computes."""
    if isinstance(records_or_lines, list):
        data = json.dumps(records_or_lines).encode()
    else:
        data = records_or_lines.encode()
    return score(read_predictions(data, key, trust_file_gold=True), key, "official", resamples=0, **kwargs)


def assert_matches_oracle(result: dict, table) -> None:
    """Every row, every column, the Average row: within 1e-9."""
    rows = [row for row in table.index if row != "Average"]
    assert set(result["sources"]) == set(rows)
    columns = [c for c in table.columns if c != "Average" and c not in DETECTION]
    assert set(result["subtasks"]) == {TYPE_TO_SUBTASK[c] for c in columns}
    for row in [*rows, "Average"]:
        mine = result if row == "Average" else result["sources"][row]
        for column in columns:
            assert abs(mine["subtasks"][TYPE_TO_SUBTASK[column]] - table.at[row, column]) <= TOL, (row, column)
        assert abs(mine["average"] - table.at[row, "Average"]) <= TOL, row
        for column, field in DETECTION.items():
            assert abs(mine[field] - table.at[row, column]) <= TOL, (row, column)


def oracle(records):
    with warnings.catch_warnings():  # pandas deprecates the `.at` enlargement upstream relies on
        warnings.simplefilter("ignore")
        return caculate_accuracy_mmad(records, show_overkill_miss=True)


# -- hand-computed ------------------------------------------------------------------------------

def test_skip_after_drop_counts_only_records_0_and_5(mini_key):
    """gpt answers ['B', '', 'B', '', '', 'C']: 1 and 3 are dropped, 2 and 4 skipped unseen."""
    questions = mini_key.questions[:6]  # DS-MVTec: good/000, broken_large/000, good/001 (2 each)
    answers = ["B", "", "B", "", "", "C"]
    records = [record(q, q.answer, a) for q, a in zip(questions, answers)]
    result = official(records, mini_key)
    row = result["sources"]["DS-MVTec"]
    # counted: #0 (normal AD, right) and #5 (Object Structure, wrong). Columns come from all 6 records.
    assert row["subtasks"] == {"anomaly_discrimination": 50.0, "defect_classification": 0.0,
                               "object_classification": 0.0, "object_analysis": 0.0}
    assert row["average"] == 12.5 and result["average"] == 12.5
    assert (row["overkill"], row["miss"], row["precision"], row["recall"], row["f1"]) == (0.0, 100.0, 0, 0, 0)
    assert result["counts"] == {"questions": 13, "scored": 2, "invalid": 2, "missing": 7, "skipped": 2,
                                "answered": 2}
    assert_matches_oracle(result, oracle(records))


def test_skip_depends_on_record_order(mini_key):
    normal_ad, abnormal_ad = mini_key.questions[0], mini_key.questions[2]
    dropped_first = official([record(normal_ad, "B", ""), record(abnormal_ad, "A", "A")], mini_key)
    dropped_last = official([record(abnormal_ad, "A", "A"), record(normal_ad, "B", "")], mini_key)
    assert dropped_first["counts"]["scored"] == 0 and dropped_first["average"] == 0.0
    assert dropped_last["counts"]["scored"] == 1 and dropped_last["average"] == 50.0


def test_hand_computed_official_table(mini_key):
    result = official(mini_lines(mini_key), mini_key)
    ds, visa, goods, loco = (result["sources"][s] for s in ("DS-MVTec", "VisA", "GoodsAD", "MVTec-LOCO"))
    assert ds["subtasks"]["anomaly_discrimination"] == 25.0  # (normal 1/2 + abnormal 0/1) / 2
    assert ds["average"] == pytest.approx(325 / 7, abs=TOL)  # (25 + 100 + 100 + 100 + 0 + 0 + 0) / 7
    assert visa["average"] == 0.0 and visa["overkill"] == 100.0  # both VisA records left the table
    assert goods["average"] == pytest.approx(250 / 7, abs=TOL)
    assert loco["average"] == pytest.approx(50 / 7, abs=TOL)
    assert (loco["precision"], loco["recall"], loco["f1"]) == (100.0, 100.0, 100.0)
    assert (ds["precision"], ds["overkill"], ds["miss"]) == (0.0, 50.0, 100.0)
    assert result["average"] == pytest.approx(625 / 28, abs=TOL)
    assert result["subtasks"]["anomaly_discrimination"] == pytest.approx(31.25, abs=TOL)
    assert result["counts"] == {"questions": 13, "scored": 11, "invalid": 1, "missing": 0, "skipped": 1,
                                "answered": 11}


def test_jsonl_feeds_upstream_in_key_order(mini_key):
    """The documented mapping: key order, gold from the key, letter = answer or upstream extraction."""
    letters = [f.get("answer") or "" for f in MINI_ANSWERS]
    letters[10], letters[11] = "A", "A"
    records = [record(q, q.answer, letter) for q, letter in zip(mini_key.questions, letters)]
    assert_matches_oracle(official(mini_lines(mini_key), mini_key), oracle(records))


def test_normal_flag_is_case_sensitive(tmp_path):
    """'GoodsAD' is not 'good': only the good/ folder makes a GoodsAD image normal.

    Two GoodsAD images with an anomaly question each, both answered "Yes, defective": the defect
    image is right and the good one wrong. By hand: normal 0/1, abnormal 1/1, AD = (0 + 100) / 2.
    A case-insensitive rule would make both images normal: normal 1/2, no abnormal, AD = 25.
    """
    ad = {"Question": "Is there any defect in the object?", "Options": YES_NO, "type": "Anomaly Detection"}
    body = {"GoodsAD/drink_can/test/good/000_000.jpg": {"conversation": [{**ad, "Answer": "B"}]},
            "GoodsAD/drink_can/test/dent/000_001.jpg": {"conversation": [{**ad, "Answer": "A"}]}}
    (tmp_path / "mmad.json").write_text(json.dumps(body), encoding="utf-8")
    key = load_key(tmp_path, cache=False)
    assert [(q.qid, q.normal) for q in key.questions] == [("GoodsAD/drink_can/test/good/000_000.jpg#0", True),
                                                           ("GoodsAD/drink_can/test/dent/000_001.jpg#0", False)]
    lines = "\n".join(json.dumps({"question_id": q.qid, "answer": "A"}) for q in key.questions)
    both = score(read_predictions(lines.encode(), key), key, resamples=0)
    for protocol in ("official", "strict"):
        row = both[protocol]["sources"]["GoodsAD"]
        assert (row["normal_accuracy"], row["abnormal_accuracy"]) == (0.0, 100.0), protocol
        assert row["subtasks"]["anomaly_discrimination"] == 50.0 and row["overkill"] == 100.0, protocol


def test_missing_sources_leave_the_table(mini_key):
    """Upstream averages over the sources present in the file; strict always has every source."""
    visa = [q for q in mini_key.questions if q.source == "VisA"]
    lines = "\n".join(json.dumps({"question_id": q.qid, "answer": q.answer}) for q in visa)
    both = score(read_predictions(lines.encode(), mini_key), mini_key, resamples=0)
    # all right, but VisA has no normal image: AD = (0 + 100) / 2 = 50, average (50 + 100) / 2
    assert list(both["official"]["sources"]) == ["VisA"] and both["official"]["average"] == 75.0
    assert len(both["strict"]["sources"]) == 4 and both["strict"]["average"] < 100.0


# -- against the oracle, on random and adversarial files ------------------------------------------

_ODD = ["", None, "F", "a", "AB", " A", 1, ["A"], {"x": 1}, "Answer: A"]


@st.composite
def upstream_files(draw, key):
    images = draw(st.lists(st.sampled_from(sorted(key.by_image)), min_size=1, max_size=25, unique=True))
    queues = [list(key.by_image[image][:draw(st.integers(1, len(key.by_image[image])))]) for image in images]
    records = []
    while any(queues):
        queue = draw(st.sampled_from([q for q in queues if q]))
        question = queue.pop(0)
        correct = draw(st.sampled_from([question.answer] * 6 + list(LETTERS) + _ODD[:3]))
        given = draw(st.sampled_from(list(question.options) * 3 + list(LETTERS) + _ODD))
        records.append(record(question, correct, given))
    return records


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_official_equals_upstream_on_random_files(small_key, data):
    records = data.draw(upstream_files(small_key))
    assert_matches_oracle(official(records, small_key), oracle(records))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_official_equals_upstream_on_random_jsonl(small_key, data):
    chosen = data.draw(st.lists(st.sampled_from(small_key.questions), min_size=1, max_size=60,
                                       unique_by=lambda q: q.qid))
    answers = [data.draw(st.sampled_from([None, "", *q.options, q.answer])) for q in chosen]
    lines = "\n".join(json.dumps({"question_id": q.qid, "answer": a}) for q, a in zip(chosen, answers))
    given_by_id = {q.qid: a or "" for q, a in zip(chosen, answers)}
    records = [record(q, q.answer, given_by_id[q.qid]) for q in small_key.questions if q.qid in given_by_id]
    assert_matches_oracle(official(lines, small_key), oracle(records))


def test_every_record_invalid(small_key):
    records = [record(q, q.answer, "") for q in small_key.questions[:9]]
    result = official(records, small_key)
    assert result["average"] == 0.0 and result["counts"]["scored"] == 0
    assert result["counts"]["invalid"] + result["counts"]["skipped"] == 9
    assert_matches_oracle(result, oracle(records))
