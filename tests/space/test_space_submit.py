"""The submission pipeline: validation, scoring, rate limit, duplicates, concurrency, persistence."""

from __future__ import annotations

import json
import threading

import pytest

from eval import ScoringError
from space.storage import LocalStore
from space.submit import SubmissionRejected, Submitter

META = {"model_name": "Tiny-VL", "link": "https://example.org/tiny", "license": "mit", "size": "7B",
        "model_type": "open", "setting": "1-shot", "training_exposure": "none declared", "notes": "greedy decoding"}


@pytest.fixture
def submitter(tmp_path, key_info):
    return Submitter(LocalStore(tmp_path / "store"), key_info, max_per_day=3, max_bytes=2_000_000)


def test_submission_is_scored_and_stored_as_one_folder(submitter, make_predictions, tmp_path):
    path = make_predictions(accuracy=1.0)
    stored = submitter.submit(path, META, "alice")
    folder = tmp_path / "store" / "verified" / stored.id
    assert sorted(p.name for p in folder.iterdir()) == ["metadata.json", "predictions.jsonl", "result.json"]
    assert (folder / "predictions.jsonl").read_bytes() == path.read_bytes()
    result = json.loads((folder / "result.json").read_text())
    assert result["official"]["average"] == pytest.approx(100.0)
    assert result["answer_key_sha256"] == submitter.key.key.sha256 and result["data_revision"] == "test-revision"
    assert result["scorer_version"] and result["strict"]["coverage"] == pytest.approx(100.0)
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["user"] == "alice" and metadata["model_name"] == "Tiny-VL"
    assert submitter.store.list()[0].id == stored.id
    assert submitter.attempts[0].status == "scored"


def test_scorer_message_reaches_the_user_and_nothing_is_stored(submitter, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question_id": "nope#0", "answer": "A"}\nnot json\n')
    with pytest.raises(ScoringError) as caught:
        submitter.submit(bad, META, "alice")
    assert "line" in str(caught.value)
    assert submitter.store.list() == []
    assert submitter.attempts[0].status == "failed" and submitter.attempts[0].detail == str(caught.value)


@pytest.mark.parametrize("field, value, message", [
    ("model_name", "  ", "model name is required"),
    ("link", "javascript:alert(1)", r"http\(s\) URL"),
    ("size", "huge", "parameter count"),
    ("setting", "5-shot-ish", "setting must be one of"),
    ("notes", "x" * 2001, "longer than 2000"),
])
def test_metadata_is_validated(submitter, make_predictions, field, value, message):
    with pytest.raises(SubmissionRejected, match=message):
        submitter.submit(make_predictions(), {**META, field: value}, "alice")


def test_oversize_upload_is_refused_before_scoring(tmp_path, key_info, make_predictions):
    small = Submitter(LocalStore(tmp_path / "s"), key_info, max_bytes=1000)
    with pytest.raises(SubmissionRejected, match="over the limit"):
        small.submit(make_predictions(), META, "alice")


def test_no_key_means_no_submissions(tmp_path, make_predictions):
    with pytest.raises(SubmissionRejected, match="no answer key"):
        Submitter(LocalStore(tmp_path), None).submit(make_predictions(), META, "alice")


def test_duplicate_file_is_refused_even_from_another_user(submitter, make_predictions):
    path = make_predictions(seed=1)
    submitter.submit(path, META, "alice")
    with pytest.raises(SubmissionRejected, match="these predictions were already submitted"):
        submitter.submit(path, {**META, "model_name": "Other"}, "bob")


def test_same_user_name_and_setting_is_a_duplicate_but_another_setting_is_not(submitter, make_predictions):
    submitter.submit(make_predictions(seed=1), META, "alice")
    with pytest.raises(SubmissionRejected, match="(?i)already submitted 'tiny-vl'"):
        submitter.submit(make_predictions(seed=2), {**META, "model_name": "tiny-vl"}, "alice")
    submitter.submit(make_predictions(seed=3), {**META, "setting": "0-shot"}, "alice")
    submitter.submit(make_predictions(seed=4), META, "bob")
    assert len(submitter.store.list()) == 3


def test_rate_limit_per_user_per_day(submitter, make_predictions):
    for seed in range(3):
        submitter.submit(make_predictions(seed=seed), {**META, "model_name": f"m{seed}"}, "alice")
    with pytest.raises(SubmissionRejected, match="rate limit.*limit 3"):
        submitter.submit(make_predictions(seed=9), {**META, "model_name": "m9"}, "alice")
    submitter.submit(make_predictions(seed=9), {**META, "model_name": "m9"}, "bob")


def test_twenty_concurrent_submissions_are_all_stored_once(tmp_path, key_info, make_predictions):
    submitter = Submitter(LocalStore(tmp_path / "store"), key_info, max_per_day=100)
    paths = [make_predictions(seed=i) for i in range(20)]
    errors: list[Exception] = []
    barrier = threading.Barrier(20)

    def one(i: int) -> None:
        barrier.wait()
        try:
            submitter.submit(paths[i], {**META, "model_name": f"model-{i}"}, f"user{i % 3}")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = submitter.store.list()
    assert len(stored) == 20 and len({s.id for s in stored}) == 20
    assert sorted(s.metadata["model_name"] for s in stored) == sorted(f"model-{i}" for i in range(20))


def test_concurrent_duplicates_store_exactly_one(tmp_path, key_info, make_predictions):
    submitter = Submitter(LocalStore(tmp_path / "store"), key_info, max_per_day=100)
    path = make_predictions(seed=5)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def one(i: int) -> None:
        barrier.wait()
        try:
            submitter.submit(path, {**META, "model_name": f"copy-{i}"}, f"user{i}")
            outcomes.append("stored")
        except SubmissionRejected:
            outcomes.append("duplicate")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate"] * 7 + ["stored"]
    assert len(submitter.store.list()) == 1
