"""What the submission pipeline promises, pinned where mutation testing found no test looking: each
form field's limit to the character, the wording of every refusal, the windows of the daily and
failure limits at their edges, and what the status list records."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from eval import ScoringError
from space import submit as submit_module
from space.messages import prefix
from space.storage import LocalStore
from space.submit import (SubmissionRejected, Submitter, TooManyFailures, clean_metadata, normalised_name,
                          predictions_name)

META = {"model_name": "Tiny-VL", "setting": "1-shot"}
START = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def submitter(tmp_path, key_info, clock):
    return Submitter(LocalStore(tmp_path / "store"), key_info, max_per_day=2, clock=clock)


# --- the form ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("field, limit, value", [("model_name", 120, "m"), ("link", 500, "https://e.org/"),
                                                 ("license", 80, "l"), ("size", 16, "0"), ("notes", 2000, "n")])
def test_each_field_is_accepted_up_to_its_limit_and_no_further(field, limit, value):
    text = value.ljust(limit - 1, "0") + ("B" if field == "size" else "x")
    assert clean_metadata({**META, field: text})[field] == text
    with pytest.raises(SubmissionRejected, match=f"^{field.replace('_', ' ')} is longer than {limit} characters$"):
        clean_metadata({**META, field: text + "x"})


def test_the_cleaned_form_with_its_defaults():
    assert clean_metadata({"model_name": " \u200bTiny\x00-VL\x7f "}) == {
        "model_name": "Tiny-VL", "link": "", "license": "", "size": "", "notes": "", "model_type": "open",
        "setting": "1-shot", "training_exposure": "unknown", "measured_by": "scored here"}
    full = clean_metadata({"model_name": "M", "link": "https://example.org/m", "license": "mit", "size": "7B",
                           "notes": "a\tb\nc\x0bd", "model_type": "API", "setting": "0-shot",
                           "training_exposure": "MMAD questions", "measured_by": "benchmark authors"})
    assert full == {"model_name": "M", "link": "https://example.org/m", "license": "mit", "size": "7B",
                    "notes": "a\tb\ncd", "model_type": "API", "setting": "0-shot",
                    "training_exposure": "MMAD questions", "measured_by": "scored here"}
    assert clean_metadata({"model_name": 42})["model_name"] == "42"


@pytest.mark.parametrize("raw, message", [
    ({"model_name": "\u200b\x01 "}, "^model name is required$"),
    ({"model_name": "M", "link": "ftp://x"}, r"^link must be an http\(s\) URL$"),
    ({"model_name": "M", "size": "big" * 5}, "^size 'bigbigbigbigbig' is not a parameter count like '7B' or '500M'$"),
    ({"model_name": "M", "model_type": "closed"}, "^model type must be one of: open, API, industrial-specialised$"),
    ({"model_name": "M", "setting": "2-shot"}, "^setting must be one of: 0-shot, 1-shot, 1-shot\\+, k-shot, "),
    ({"model_name": "M", "training_exposure": "all of it"}, "^training exposure must be one of: none declared, "),
])
def test_each_refusal_of_the_form_says_what_to_change(raw, message):
    with pytest.raises(SubmissionRejected, match=message):
        clean_metadata(raw)


def test_names_compare_by_what_shows():
    assert normalised_name("  ＴＩＮＹ\u200b \t VL\u202e ") == "tiny vl"
    assert normalised_name("Straße") == "strasse"


def test_the_stored_name_follows_the_format():
    assert predictions_name(b" \n [ {} ]") == "predictions.json"
    assert predictions_name(b'{"question_id": "x"}\n[') == "predictions.jsonl"
    assert predictions_name(b"") == "predictions.jsonl"


def test_the_defaults_of_a_submitter(tmp_path, key_info):
    made = Submitter(LocalStore(tmp_path), key_info)
    assert (made.max_per_day, made.max_bytes, made.cpu_seconds) == (5, 32 * 1024 * 1024, 60)
    assert submit_module.utc_now().tzinfo == timezone.utc


# --- the upload -------------------------------------------------------------------------------------------

def test_the_upload_is_read_to_its_limit_and_refused_beyond(submitter, tmp_path):
    read = submit_module._read_upload
    path = tmp_path / "p.jsonl"
    path.write_bytes(b"x" * 10)
    assert read(path, 10) == b"x" * 10 and read(str(path), 10) == b"x" * 10
    assert read(bytearray(b"abc"), 3) == b"abc"
    with pytest.raises(SubmissionRejected, match=r"^the file is over the limit of 9e-06 MB$"):
        read(path, 9)
    with pytest.raises(SubmissionRejected, match=r"^the file is over the limit of 2 MB$"):
        read(b"x" * 2_000_001, 2_000_000)
    with pytest.raises(SubmissionRejected, match="^no prediction file was uploaded$"):
        read(tmp_path, 10)
    with pytest.raises(SubmissionRejected, match="^no prediction file was uploaded$"):
        read(tmp_path / "absent.jsonl", 10)
    for empty in (b"", b" \n\t"):
        with pytest.raises(SubmissionRejected, match="^the prediction file is empty$"):
            read(empty, 10)


# --- limits and duplicates --------------------------------------------------------------------------------

def test_the_daily_limit_message_names_the_first_of_the_day(submitter, make_predictions, clock):
    submitter.submit(make_predictions(seed=1), {**META, "model_name": "a"}, "alice")
    clock.now += timedelta(hours=3)
    submitter.submit(make_predictions(seed=2), {**META, "model_name": "b"}, "alice")
    clock.now = START + timedelta(days=1) - timedelta(seconds=1)
    with pytest.raises(SubmissionRejected, match=r"^rate limit: alice already submitted 2 times in the last 24 hours "
                                                 r"\(limit 2\); try again 24 h after 2026-03-01T12:00:00Z$"):
        submitter.submit(make_predictions(seed=3), {**META, "model_name": "c"}, "alice")
    clock.now = START + timedelta(days=1)  # exactly 24 hours after the first: it still counts
    with pytest.raises(SubmissionRejected, match="rate limit"):
        submitter.submit(make_predictions(seed=3), {**META, "model_name": "c"}, "alice")
    clock.now += timedelta(seconds=1)
    submitter.submit(make_predictions(seed=3), {**META, "model_name": "c"}, "alice")


def test_the_daily_slots_of_the_store_say_the_day(tmp_path, key_info, make_predictions, clock):
    """A second instance that has not read the store meets the slots the first one took."""
    first = Submitter(LocalStore(tmp_path / "s"), key_info, max_per_day=1, clock=clock)
    second = Submitter(LocalStore(tmp_path / "s"), key_info, max_per_day=1, clock=clock)
    second._stored_metadata()
    first.submit(make_predictions(seed=1), {**META, "model_name": "a"}, "alice")
    with pytest.raises(SubmissionRejected, match=r"^rate limit: alice already submitted 1 times on 2026-03-01 \(UTC; "
                                                 r"limit 1 a day\); try again after midnight UTC$"):
        second.submit(make_predictions(seed=2), {**META, "model_name": "b"}, "alice")
    second.submit(make_predictions(seed=2), {**META, "model_name": "b"}, "bob")


def _refuses_both_duplicates(submitter: Submitter, stored, name: str, make_predictions) -> None:
    """The same predictions under another name, and the same user + model (any case) with other ones, are
    both refused with messages naming the stored submission."""
    with pytest.raises(SubmissionRejected, match=rf"^duplicate: these predictions were already submitted as "
                                                 rf"'{re.escape(name)}' \({stored.id}\)$"):
        submitter.submit(make_predictions(seed=1), {**META, "model_name": "Other"}, "bob")
    with pytest.raises(SubmissionRejected, match=rf"^duplicate: alice already submitted '{re.escape(name)}' in the "
                                                 rf"1-shot setting \({stored.id}\)$"):
        submitter.submit(make_predictions(seed=2), {**META, "model_name": name.upper()}, "alice")


def test_duplicate_messages_name_the_stored_submission(submitter, make_predictions):
    stored = submitter.submit(make_predictions(seed=1), {**META, "model_name": "<First>"}, "alice")
    _refuses_both_duplicates(submitter, stored, "<First>", make_predictions)


def test_a_second_instance_words_the_store_claims_the_same_way(tmp_path, key_info, make_predictions):
    first = Submitter(LocalStore(tmp_path / "s"), key_info)
    second = Submitter(LocalStore(tmp_path / "s"), key_info)
    second._stored_metadata()
    stored = first.submit(make_predictions(seed=1), {**META, "model_name": "First"}, "alice")
    _refuses_both_duplicates(second, stored, "First", make_predictions)
    assert len(first.store.list()) == 1


def test_claims_are_the_users_name_day_and_scores(tmp_path, key_info, make_predictions, clock):
    submitter = Submitter(LocalStore(tmp_path / "s"), key_info, clock=clock)
    stored = submitter.submit(make_predictions(seed=1), {**META, "model_name": " Tiny\u200b-VL "}, "alice")
    claims = {p.name.removesuffix(".json") for p in (tmp_path / "s" / "index").iterdir()}

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    numbers = {p: {"average": stored.result[p]["average"], "subtasks": stored.result[p]["subtasks"],
                   "coverage": stored.result[p]["coverage"]} for p in ("official", "strict")}
    assert claims == {f"content-{stored.metadata['content_sha256']}", "name-" + sha("alice\ntiny-vl\n1-shot"),
                      "daily-" + sha("alice\n2026-03-01\n0"),
                      "score-" + sha("alice\n" + json.dumps(numbers, sort_keys=True))}


def test_what_is_stored_with_a_submission(submitter, make_predictions, clock, tmp_path):
    stored = submitter.submit(make_predictions(seed=1), {**META, "model_name": "M"}, "alice")
    metadata = json.loads((tmp_path / "store" / "verified" / stored.id / "metadata.json").read_bytes())
    assert metadata == stored.metadata
    assert (metadata["user"], metadata["submitted_at"], metadata["predictions_file"], metadata["submission_id"]) == (
        "alice", "2026-03-01T12:00:00Z", "predictions.jsonl", stored.id)
    assert stored.id.startswith("20260301T120000Z-")
    assert metadata["predictions_sha256"] == hashlib.sha256(make_predictions(seed=1).read_bytes()).hexdigest()
    assert len(metadata["content_sha256"]) == 64 and metadata["content_sha256"] != metadata["predictions_sha256"]
    assert submitter._pending == {}


# --- failures and the status list -------------------------------------------------------------------------

def test_the_status_list_records_each_attempt(submitter, make_predictions, clock):
    stored = submitter.submit(make_predictions(seed=1), {**META, "model_name": "M", "setting": "0-shot"}, "alice")
    first = submitter.attempts[0]
    official = stored.result["official"]
    assert (first.at, first.user, first.model, first.setting, first.status) == (
        "2026-03-01T12:00:00Z", "alice", "M", "0-shot", "scored")
    assert first.detail == f"average {official['average']:.2f}, coverage {official['coverage']:.1f}%"
    clock.now += timedelta(minutes=5)
    with pytest.raises(SubmissionRejected):
        submitter.submit(b"", {"model_name": "N" * 300, "setting": "s" * 300}, "bob" * 100)
    failed = submitter.attempts[0]
    assert (failed.at, failed.status, failed.detail) == ("2026-03-01T12:05:00Z", "failed",
                                                         "model name is longer than 120 characters")
    assert failed.model == "N" * 120 + "…" and failed.setting == "s" * 40 + "…"
    assert failed.user == prefix("bob" * 100) and failed.user.endswith("…")
    with pytest.raises(SubmissionRejected):
        submitter.submit(b"", {"model_name": None}, "carol")
    assert (submitter.attempts[0].model, submitter.attempts[0].setting) == ("", "")


def test_failures_count_per_user_for_an_hour(submitter, make_predictions, clock):
    for _ in range(submit_module.MAX_FAILURES):
        with pytest.raises(SubmissionRejected):
            submitter.submit(b" ", META, "mallory")
    clock.now += timedelta(minutes=30)
    for _ in range(3):
        with pytest.raises(TooManyFailures, match=r"^too many failed attempts \(10 in the last hour\); try again after "
                                                  r"2026-03-01T13:00:00Z$"):
            submitter.submit(make_predictions(), META, "mallory")
    clock.now = START + timedelta(hours=1)  # the first failures are an hour old: they no longer count
    submitter.submit(make_predictions(), META, "mallory")
    assert (submit_module.MAX_FAILURES, submit_module.MAX_FAILURES_PER_ADDRESS) == (10, 50)


def test_unidentified_visitors_are_limited_per_address_only(submitter, make_predictions):
    for i in range(submit_module.MAX_FAILURES):
        with pytest.raises(SubmissionRejected):
            submitter.submit(b" ", META, "local", client=f"10.0.0.{i}", identified=False)
    submitter.submit(make_predictions(), META, "local", client="10.0.0.99", identified=False)
    for _ in range(submit_module.MAX_FAILURES):
        with pytest.raises(SubmissionRejected):
            submitter.submit(b" ", META, "nobody", identified=False)  # no address: the user is all there is
    with pytest.raises(TooManyFailures):
        submitter.submit(make_predictions(seed=1), META, "nobody", identified=False)


def test_an_address_allows_more_failures_than_a_user(submitter, clock):
    for i in range(submit_module.MAX_FAILURES_PER_ADDRESS):
        with pytest.raises(SubmissionRejected) as caught:
            submitter.submit(b" ", META, f"u{i}", client="10.0.0.1")
        assert not isinstance(caught.value, TooManyFailures)
    with pytest.raises(TooManyFailures, match=r"\(50 in the last hour\)"):
        submitter.submit(b" ", META, "fresh", client="10.0.0.1")


def test_the_oldest_failures_are_forgotten_first(submitter, monkeypatch):
    monkeypatch.setattr(submit_module, "FAILURE_KEYS_KEPT", 3)
    for user in ("a", "b", "a", "c", "d"):
        with pytest.raises(SubmissionRejected):
            submitter.submit(b" ", META, user)
    assert list(submitter._failures) == ["user:a", "user:c", "user:d"]
    assert [len(submitter._failures[k]) for k in submitter._failures] == [2, 1, 1]


def test_a_scorer_error_is_counted_and_a_refusal_for_failures_is_not(submitter, clock):
    for _ in range(submit_module.MAX_FAILURES):
        with pytest.raises(ScoringError):
            submitter.submit(b"not json", META, "mallory")
    for _ in range(5):
        with pytest.raises(TooManyFailures):
            submitter.submit(b"not json", META, "mallory")
    assert len(submitter._failures["user:mallory"]) == submit_module.MAX_FAILURES
    assert [a.status for a in submitter.attempts][:5] == ["failed"] * 5


def test_no_key_refuses_before_reading(tmp_path):
    with pytest.raises(SubmissionRejected, match=r"^no answer key is configured, so nothing can be scored \(see the "
                                                 r"Submit tab\)$"):
        Submitter(LocalStore(tmp_path), None).submit(b"", {"model_name": ""}, "alice")


def test_a_known_store_learns_each_new_submission(submitter, make_predictions):
    assert submitter._stored_metadata() == []
    stored = submitter.submit(make_predictions(seed=1), {**META, "model_name": "M"}, "alice")
    assert submitter._known == [stored.metadata]
    submitter.reload()
    assert submitter._known is None and submitter._stored_metadata()[0]["submission_id"] == stored.id
