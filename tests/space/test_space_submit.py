"""The submission pipeline: validation, scoring, rate limit, duplicates, concurrency, persistence."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest

from eval import ScoringError
from space import taxonomy
from space.storage import HubStore, LocalStore
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


def test_oversize_bytes_are_refused_before_scoring_and_nothing_is_stored(tmp_path, key_info, make_predictions):
    """The API hands bytes, not a path: the same limit holds, to the byte."""
    content = make_predictions().read_bytes()
    exact = Submitter(LocalStore(tmp_path / "s"), key_info, max_bytes=len(content) - 1)
    with pytest.raises(SubmissionRejected, match="over the limit"):
        exact.submit(content, META, "alice")
    assert exact.store.list() == []
    assert Submitter(LocalStore(tmp_path / "t"), key_info, max_bytes=len(content)).submit(content, META, "alice")


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


def submit_all_at_once(submitter: Submitter, paths: list) -> list[Exception]:
    """Submit each file from its own thread, all released together (model-i by user{i % 3}); the errors raised."""
    barrier, errors = threading.Barrier(len(paths)), []

    def one(i: int) -> None:
        barrier.wait()
        try:
            submitter.submit(paths[i], {**META, "model_name": f"model-{i}"}, f"user{i % 3}")
        except Exception as exc:  # collected and returned
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(paths))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_twenty_concurrent_submissions_are_all_stored_once(tmp_path, key_info, make_predictions):
    submitter = Submitter(LocalStore(tmp_path / "store"), key_info, max_per_day=100)
    paths = [make_predictions(seed=i) for i in range(20)]
    assert submit_all_at_once(submitter, paths) == []
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


# --- issue 9: submissions that cannot be gamed, lost or doubled -----------------------------------


class Clock:
    """A settable clock for the time windows (daily limit, failed attempts)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def _lines(path) -> list[str]:
    return path.read_text().splitlines()


def test_two_line_file_is_stored_as_a_subset_and_never_comparable(submitter, key_info, tmp_path):
    """Two right anomaly answers scored official 100 and ranked first."""
    right = [q for q in key_info.key.questions if q.subtask == "anomaly_discrimination"][:2]
    two = tmp_path / "two.jsonl"
    two.write_text("\n".join(json.dumps({"question_id": q.qid, "answer": q.answer}) for q in right))
    stored = submitter.submit(two, META, "alice")
    entry = {**stored.metadata, **stored.result}
    assert entry["coverage"] == "subset" and entry["answered_share"] == pytest.approx(2 / len(key_info.key))
    assert "of the questions answered" in entry["coverage_detail"]
    assert not taxonomy.comparable(entry) and taxonomy.invalid_fields(entry) == []


def test_complete_file_is_full_coverage_and_comparable_when_it_declares_no_exposure(submitter, make_predictions):
    stored = submitter.submit(make_predictions(accuracy=0.5), META, "alice")
    entry = {**stored.metadata, **stored.result}
    assert entry["coverage"] == "full" and entry["measured_by"] == "scored here"
    assert taxonomy.comparable(entry) and taxonomy.invalid_fields(entry) == []


def test_default_training_exposure_is_unknown_not_trained_on_mmad(submitter, make_predictions):
    stored = submitter.submit(make_predictions(), {"model_name": "Quiet-VL"}, "alice")
    assert stored.metadata["training_exposure"] == "unknown"
    assert stored.metadata["setting"] == "1-shot" and stored.metadata["setting"] in taxonomy.SETTINGS
    with pytest.raises(SubmissionRejected, match="training exposure must be one of"):
        submitter.submit(make_predictions(seed=1), {**META, "training_exposure": "trained a bit"}, "alice")


def test_forged_login_is_refused_outside_a_space(settings, key_info):
    """Outside a Space Gradio mocks OAuth: MMAD_REQUIRE_LOGIN=1 would log anyone in as the token's owner."""
    import dataclasses

    from space.app import build_demo
    from space.envs import load_settings
    from space.identity import ConfigurationError, check_admin, may_administer, user

    with pytest.raises(ConfigurationError, match="needs a Hugging Face Space"):
        build_demo(dataclasses.replace(settings, require_login=True), key=key_info, enable_login=False)

    class Profile:
        username = "root"

    local = load_settings({"MMAD_ADMINS": "root", "MMAD_LOCAL_USER": "root"})
    assert user(Profile(), local) == "root" and not may_administer(None, local)
    with pytest.raises(Exception, match="not an admin"):
        check_admin(Profile(), local, "")
    operator = load_settings({"MMAD_ADMIN_TOKEN": "s3cret"})
    assert check_admin(None, operator, "s3cret") == "operator"
    with pytest.raises(Exception, match="token is wrong"):
        check_admin(None, operator, "s3cre")
    space = load_settings({"SPACE_ID": "org/board", "SYSTEM": "spaces", "MMAD_ADMINS": "root",
                           "MMAD_ADMIN_TOKEN": "s3cret"})
    with pytest.raises(Exception, match="Log in"):
        check_admin(None, space, "s3cret")
    assert check_admin(Profile(), space, "") == "root"



def test_space_id_alone_is_not_a_space_and_its_mocked_login_is_refused():
    """Gradio uses real OAuth only where SYSTEM=spaces; a SPACE_ID set by hand leaves the login mocked
    (anyone becomes the token's owner), so it must neither count as a Space nor enable login."""
    from space.envs import load_settings
    from space.identity import ConfigurationError, check_admin, check_settings

    class Alice:
        username = "alice"

    posing = load_settings({"SPACE_ID": "org/board", "MMAD_ADMINS": "alice"})
    assert not posing.on_space and not posing.login_required
    with pytest.raises(Exception, match="not an admin"):
        check_admin(Alice(), posing, "")
    with pytest.raises(ConfigurationError, match="SYSTEM=spaces"):
        check_settings(load_settings({"SPACE_ID": "org/board", "MMAD_REQUIRE_LOGIN": "1"}))

def test_the_os_user_name_is_never_the_local_user(monkeypatch):
    import getpass

    from space.envs import load_settings

    monkeypatch.setattr(getpass, "getuser", lambda: "server-login-name")
    assert load_settings({}).local_user == "local"


def test_45_mb_of_unknown_ids_gives_a_short_error_and_a_short_status_entry(tmp_path, key_info):
    """5 ids of 9 MB each made a 45 M-character message, kept and re-sent to every visitor."""
    submitter = Submitter(LocalStore(tmp_path / "store"), key_info, max_bytes=50_000_000)
    big = tmp_path / "big.jsonl"
    with big.open("w") as handle:
        for i in range(5):
            handle.write('{"question_id": "%s%d", "answer": "A"}\n' % ("x" * 9_000_000, i))
    with pytest.raises(ScoringError) as caught:
        submitter.submit(big, META, "mallory")
    assert len(str(caught.value)) < 1000 and "5 prediction(s) name questions not in the answer key" in str(caught.value)
    attempt = submitter.attempts[0]
    assert sum(len(str(v)) for v in vars(attempt).values()) < 1000


def test_status_list_is_bounded_in_count(tmp_path, key_info):
    from space.submit import ATTEMPTS_KEPT

    submitter = Submitter(LocalStore(tmp_path / "store"), key_info)
    for i in range(ATTEMPTS_KEPT + 20):
        with pytest.raises(SubmissionRejected):
            submitter.submit(b"", META, f"user{i}")
    assert len(submitter.attempts) == ATTEMPTS_KEPT


def test_failed_attempts_are_limited_per_user_and_per_address(tmp_path, key_info, make_predictions):
    from space.submit import MAX_FAILURES, MAX_FAILURES_PER_ADDRESS

    clock = Clock()
    submitter = Submitter(LocalStore(tmp_path / "store"), key_info, clock=clock)
    for _ in range(MAX_FAILURES):
        with pytest.raises(ScoringError):
            submitter.submit(b"not json", META, "mallory", client="10.0.0.9")
    with pytest.raises(SubmissionRejected, match="too many failed attempts"):
        submitter.submit(make_predictions(), META, "mallory", client="10.0.0.1")
    for i in range(MAX_FAILURES_PER_ADDRESS - MAX_FAILURES):
        with pytest.raises(ScoringError):
            submitter.submit(b"not json", META, f"sock-{i}", client="10.0.0.9")
    with pytest.raises(SubmissionRejected, match="too many failed attempts"):
        submitter.submit(make_predictions(), META, "newcomer", client="10.0.0.9")
    submitter.submit(make_predictions(), META, "alice", client="10.0.0.2")
    clock.now += timedelta(hours=1, seconds=1)
    submitter.submit(make_predictions(seed=1), META, "mallory", client="10.0.0.9")



def test_outside_a_space_one_visitors_failures_do_not_lock_out_the_others(tmp_path, key_info, make_predictions):
    """Every local visitor is the same `local` user: failures count per address only."""
    from space.submit import MAX_FAILURES

    submitter = Submitter(LocalStore(tmp_path / "store"), key_info, clock=Clock())
    for _ in range(MAX_FAILURES):
        with pytest.raises(ScoringError):
            submitter.submit(b"not json", META, "local", client="10.0.0.9", identified=False)
    submitter.submit(make_predictions(), META, "local", client="10.0.0.1", identified=False)

def test_daily_limit_window_expires_after_24_hours(tmp_path, key_info, make_predictions):
    clock = Clock()
    submitter = Submitter(LocalStore(tmp_path / "store"), key_info, max_per_day=2, clock=clock)
    submitter.submit(make_predictions(seed=0), {**META, "model_name": "a"}, "alice")
    clock.now += timedelta(hours=1)
    submitter.submit(make_predictions(seed=1), {**META, "model_name": "b"}, "alice")
    clock.now += timedelta(hours=22, minutes=59)
    with pytest.raises(SubmissionRejected, match="rate limit"):
        submitter.submit(make_predictions(seed=2), {**META, "model_name": "c"}, "alice")
    clock.now += timedelta(minutes=1, seconds=1)  # 24 h after the first
    submitter.submit(make_predictions(seed=2), {**META, "model_name": "c"}, "alice")


@pytest.mark.parametrize("variant", ["trailing newline", "CRLF", "reordered lines", "extra key"])
def test_same_predictions_spelled_differently_are_duplicates(submitter, make_predictions, tmp_path, variant):
    original = make_predictions(seed=7)
    submitter.submit(original, META, "alice")
    lines = _lines(original)
    content = {"trailing newline": "\n".join(lines) + "\n\n",
               "CRLF": "\r\n".join(lines),
               "reordered lines": "\n".join(reversed(lines)),
               "extra key": "\n".join(json.dumps({**json.loads(line), "seconds": 1.5}) for line in lines)}[variant]
    other = tmp_path / "other.jsonl"
    other.write_bytes(content.encode())
    with pytest.raises(SubmissionRejected, match="these predictions were already submitted"):
        submitter.submit(other, {**META, "model_name": "Another"}, "bob")


def test_invisible_and_compatibility_characters_do_not_make_a_new_model_name(submitter, make_predictions):
    submitter.submit(make_predictions(seed=1), META, "alice")
    for disguised in ("Tiny\u200b-VL", "ＴＩＮＹ-ＶＬ", "tiny-vl\u2060", " Tiny-VL "):
        with pytest.raises(SubmissionRejected, match="already submitted"):
            submitter.submit(make_predictions(seed=2), {**META, "model_name": disguised}, "alice")


def test_two_app_instances_on_one_local_store_accept_a_file_once(tmp_path, key_info, make_predictions):
    first = Submitter(LocalStore(tmp_path / "store"), key_info)
    second = Submitter(LocalStore(tmp_path / "store"), key_info)
    second.store.list()  # both instances read the (empty) store before either submits
    first._stored_metadata(), second._stored_metadata()
    first.submit(make_predictions(seed=3), META, "alice")
    with pytest.raises(SubmissionRejected, match="these predictions were already submitted"):
        second.submit(make_predictions(seed=3), {**META, "model_name": "Copy"}, "bob")
    with pytest.raises(SubmissionRejected, match="already submitted"):
        second.submit(make_predictions(seed=4), META, "alice")
    assert len(LocalStore(tmp_path / "store").list()) == 1


def test_two_app_instances_on_one_fake_hub_repo_accept_a_file_once(fake_hub, tmp_path, key_info, make_predictions):
    stores = [HubStore("board/subs", token="t", mirror=tmp_path / f"m{i}", endpoint=fake_hub.url) for i in (1, 2)]
    first, second = (Submitter(store, key_info) for store in stores)
    first._stored_metadata(), second._stored_metadata()
    first.submit(make_predictions(seed=3), META, "alice")
    with pytest.raises(SubmissionRejected, match="these predictions were already submitted"):
        second.submit(make_predictions(seed=3), {**META, "model_name": "Copy"}, "bob")
    assert len({p.split("/")[1] for p in fake_hub.files("board/subs") if p.startswith("verified/")}) == 1


def test_fake_hub_stalled_commit_blocks_no_other_submission(fake_hub, tmp_path, key_info, make_predictions):
    """A commit held at the fake Hub: another user's submission completes while it is held; then both are stored."""
    from fake_hub_faults import HubFaults

    faults = HubFaults(fake_hub)
    submitter = Submitter(HubStore("board/subs", token="t", mirror=tmp_path / "m", endpoint=fake_hub.url), key_info)
    outcome: list[object] = []
    with faults.stall_next_commit() as stall:
        slow = threading.Thread(target=lambda: outcome.append(
            submitter.submit(make_predictions(seed=1), {**META, "model_name": "Slow"}, "alice")))
        slow.start()
        assert stall.reached.wait(30)
        quick = submitter.submit(make_predictions(seed=2), {**META, "model_name": "Quick"}, "bob")
        assert not stall.released.is_set() and slow.is_alive()
        stall.release()
        slow.join(60)
    assert len(outcome) == 1 and quick.id != outcome[0].id
    ids = {p.split("/")[1] for p in fake_hub.files("board/subs") if p.startswith("verified/")}
    assert ids == {quick.id, outcome[0].id}


def test_fake_hub_lost_reply_then_resubmission_is_a_duplicate(fake_hub, tmp_path, key_info, make_predictions):
    from fake_hub_faults import HubFaults

    submitter = Submitter(HubStore("board/subs", token="t", mirror=tmp_path / "m", endpoint=fake_hub.url), key_info)
    HubFaults(fake_hub).land_then_fail()
    with pytest.raises(Exception, match="500"):
        submitter.submit(make_predictions(seed=1), META, "alice")
    with pytest.raises(SubmissionRejected, match="these predictions were already submitted"):
        submitter.submit(make_predictions(seed=1), META, "alice")
    assert len({p.split("/")[1] for p in fake_hub.files("board/subs") if p.startswith("verified/")}) == 1


def test_messages_reach_the_page_inert_and_bounded():
    from space.messages import MESSAGE_LIMIT, for_page

    shown = for_page("duplicate: already submitted as '<img src=x onerror=alert(1)>'")
    assert "<img" not in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown
    assert "'&lt;image key&gt;#&lt;index&gt;'" in for_page("ids look like '<image key>#<index>'")
    assert len(for_page("x" * 10 * MESSAGE_LIMIT)) == MESSAGE_LIMIT + 1


def test_demo_store_folder_is_removed_at_exit():
    import subprocess
    import sys
    from pathlib import Path

    code = ("from space.app import make_store; from space.envs import load_settings; "
            "print(make_store(load_settings({'MMAD_DEMO': '1'})).root)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    folder = Path(out.stdout.strip().splitlines()[-1])
    assert folder.name.startswith("mmad-demo-store-") and not folder.exists()


def test_app_pop_ups_are_inert_and_a_hub_outage_is_said(settings, key_info, make_predictions, fake_hub, tmp_path):
    """Through the app over HTTP: a duplicate's message quotes another user's `<img …>` name as text,
    and a Hub down at start is named in the header."""
    import dataclasses

    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    from fake_hub_faults import HubFaults
    from space.app import build_demo

    hub_settings = dataclasses.replace(settings, submissions_repo="board/subs", hub_endpoint=fake_hub.url,
                                       hf_token="t")
    HubStore("board/subs", token="t", mirror=tmp_path / "m", endpoint=fake_hub.url)
    faults = HubFaults(fake_hub)
    with faults.outage():
        down = HubStore("board/subs", token="t", mirror=tmp_path / "m", endpoint=fake_hub.url)
        demo = build_demo(hub_settings, store=down, key=key_info, enable_login=False)
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    try:
        client = Client(url, verbose=False, download_files=False)
        with faults.outage():
            _, meta = client.predict(api_name="/refresh")
        assert "the Hub did not answer" in meta and "showing the local mirror" in meta
        _, meta = client.predict(api_name="/refresh")
        assert "the Hub did not answer" not in meta
        named = tmp_path / "inert-check-upload.jsonl"
        named.write_bytes(make_predictions(seed=11).read_bytes())
        client.predict(handle_file(str(named)), "<img src=x onerror=alert(1)>", api_name="/submit")
        with pytest.raises(AppError) as caught:
            client.predict(handle_file(str(named)), "Other", api_name="/submit")
        assert "&lt;img src=x onerror=alert(1)&gt;" in str(caught.value) and "<img" not in str(caught.value)
    finally:
        demo.close()


def test_twenty_concurrent_submissions_on_the_fake_hub_are_all_stored_once(fake_hub, tmp_path, key_info,
                                                                           make_predictions):
    """Commits race on one branch: each is checked and committed on the head it saw, retried when overtaken."""
    submitter = Submitter(HubStore("board/subs", token="t", mirror=tmp_path / "m", endpoint=fake_hub.url),
                          key_info, max_per_day=100)
    paths = [make_predictions(seed=i) for i in range(20)]
    assert submit_all_at_once(submitter, paths) == []
    stored = HubStore("board/subs", token="t", mirror=tmp_path / "fresh", endpoint=fake_hub.url).list()
    assert sorted(s.metadata["model_name"] for s in stored) == sorted(f"model-{i}" for i in range(20))
    assert len({s.metadata["content_sha256"] for s in stored}) == 20


# --- issue 15: limits that are properties of the store -------------------------------------------


@pytest.mark.parametrize("where", ["local", "fake hub"])
def test_daily_limit_holds_across_two_app_instances_on_one_store(where, tmp_path, key_info, make_predictions,
                                                                 request):
    if where == "local":
        stores = [LocalStore(tmp_path / "store") for _ in range(2)]
    else:
        hub = request.getfixturevalue("fake_hub")
        stores = [HubStore("board/subs", token="t", mirror=tmp_path / f"m{i}", endpoint=hub.url) for i in (1, 2)]
    clock = Clock()
    first, second = (Submitter(store, key_info, max_per_day=3, clock=clock) for store in stores)
    first._stored_metadata(), second._stored_metadata()  # both have read the (empty) store
    accepted = 0
    for seed in range(6):
        instance = (first, second)[seed % 2]
        try:
            instance.submit(make_predictions(seed=seed), {**META, "model_name": f"m{seed}"}, "alice")
            accepted += 1
        except SubmissionRejected as exc:
            assert "rate limit" in str(exc) and "limit 3" in str(exc)
    assert accepted == 3
    clock.now += timedelta(days=1)
    second.submit(make_predictions(seed=9), {**META, "model_name": "m9"}, "alice")  # a new day, new slots


def _wrong_letter_swapped(path, key_info, tmp_path):
    """The same file with one wrong answer replaced by another wrong letter: every number stays the same."""
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        record = json.loads(line)
        question = key_info.key.by_id[record["question_id"]]
        others = [letter for letter in question.options if letter not in (question.answer, record["answer"])]
        if record["answer"] != question.answer and others:
            lines[i] = json.dumps({**record, "answer": others[0]})
            break
    perturbed = tmp_path / "perturbed.jsonl"
    perturbed.write_text("\n".join(lines) + "\n")
    return perturbed


def test_a_score_neutral_perturbation_is_refused_as_a_near_duplicate(submitter, make_predictions, key_info,
                                                                     tmp_path):
    original = make_predictions(seed=1)
    first = submitter.submit(original, META, "alice")
    perturbed = _wrong_letter_swapped(original, key_info, tmp_path)
    with pytest.raises(SubmissionRejected, match="near-duplicate"):
        submitter.submit(perturbed, {**META, "model_name": "Tiny-VL v2"}, "alice")
    other = submitter.submit(perturbed, {**META, "model_name": "Tiny-VL"}, "bob")  # another account may
    assert other.result["official"]["average"] == first.result["official"]["average"]
    assert len(submitter.store.list()) == 2
