"""What the board promises beyond its first-order tests, driven through the served app (HTTP,
gradio_client), the submission pipeline and the store's files on disk:

- ranks follow the averages at the precision the board shows (2 decimals), not one more or less;
- a stored submission's claims never expire, whatever their age, across app instances;
- two instances committing the same file at once on one (fake) Hub repo store it once;
- damage to any stored file skips that submission and says so; the board stays up;
- every echo of a user's text (search, model name, notes, file content) reaches the page inert.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from space import taxonomy
from space.scoring import score_bytes
from space.storage import Files, HubStore, LocalStore, new_submission_id
from space.submit import SubmissionRejected, Submitter

NONE = taxonomy.NO_EXPOSURE
META = {"model_name": "Claim-VL", "link": "https://example.org/claim", "license": "mit", "size": "7B",
        "model_type": "open", "setting": "1-shot", "training_exposure": NONE, "notes": ""}
#: What a visitor types to inject markup: raw HTML, a markdown link and image, a javascript: URL.
HOSTILE = ('<script>alert(1)</script> [click](javascript:alert(2)) ![x](https://evil.example/p.png) '
           '<img src=x onerror=alert(3)>')



def _stored(store: LocalStore, result: dict, name: str, **metadata) -> str:
    """A verified submission written straight into the store, as a past run of the app left it."""
    sid = new_submission_id()
    time.sleep(0.001)  # ids carry the time; keep them distinct
    store.save(Files.for_submission(sid, b"{}\n", "predictions.jsonl",
                                    {"model_name": name, "setting": "1-shot", "training_exposure": NONE,
                                     "model_type": "open", "predictions_file": "predictions.jsonl", **metadata},
                                    result))
    return sid


def _with_average(result: dict, average: float) -> dict:
    """The scored result with its official average (and a strict one next to it) set to `average`."""
    changed = json.loads(json.dumps(result))
    changed["official"]["average"] = average
    changed["strict"]["average"] = average - 1.0
    return changed


def _column(table: dict, name: str) -> list:
    column = table["headers"].index(name)
    return [row[column] for row in table["data"]]


@pytest.fixture
def scored(key_info, make_predictions) -> dict:
    """One real scored result against the board's key (so a copy of it ranks)."""
    return score_bytes(make_predictions(seed=11).read_bytes(), key_info, max_bytes=10**8)


# --- ties at the displayed precision ---------------------------------------------------------------


def test_ranks_tie_at_the_two_decimals_shown_and_no_coarser(serve, settings, key_info, scored):
    """80.04 and 80.01 differ on the board, so they must not share a rank; 80.01 and 80.012 both
    show as 80.01, so they must."""
    store = LocalStore(settings.store_dir)
    for name, average in (("Tie-High", 80.04), ("Tie-Low", 80.01), ("Tie-Twin", 80.012)):
        _stored(store, _with_average(scored, average), name)
    table = serve(key_info).predict(search="Tie-", api_name="/leaderboard")
    # the rank cell is "2 (1–7)": the rank, then its range of plausible ranks
    ranks = dict(zip(_column(table, "Model"), (int(str(r).split()[0]) for r in _column(table, "Rank"))))
    shown = dict(zip(_column(table, "Model"), (row[table["headers"].index("Average")] for row in table["display"])))
    assert shown == {"Tie-High": "80.04", "Tie-Low": "80.01", "Tie-Twin": "80.01"}
    assert ranks["Tie-Low"] == ranks["Tie-Twin"] == ranks["Tie-High"] + 1


# --- claims over time and across instances ---------------------------------------------------------


def _age(folder: Path, seconds: float) -> None:
    """Make every claim file of a store look `seconds` old."""
    then = time.time() - seconds
    for path in (folder / "index").glob("*.json"):
        os.utime(path, (then, then))


class Clock:
    """A settable clock for a Submitter (its rate-limit and failure windows)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _running_instance(store: LocalStore | HubStore, key_info, make_predictions, clock=None) -> Submitter:
    """An app instance that has been serving for a while: it read the store (by taking a submission)."""
    instance = Submitter(store, key_info, clock=clock) if clock else Submitter(store, key_info)
    instance.submit(make_predictions(seed=40), {**META, "model_name": "Warm-Up-VL"}, "carol")
    return instance


@pytest.mark.parametrize("age", [0, 11 * 60, 400 * 24 * 3600])
def test_a_stored_submissions_claims_never_expire_for_a_running_second_instance(tmp_path, key_info,
                                                                                make_predictions, age):
    """The second instance read the store before the first stored the file: only the store's claims,
    however old, can tell it the file and the user's model name are taken."""
    second = _running_instance(LocalStore(tmp_path / "store"), key_info, make_predictions)
    Submitter(LocalStore(tmp_path / "store"), key_info).submit(make_predictions(seed=3), META, "alice")
    _age(tmp_path / "store", age)
    with pytest.raises(SubmissionRejected, match="these predictions were already submitted"):
        second.submit(make_predictions(seed=3), {**META, "model_name": "Copy-VL"}, "bob")
    with pytest.raises(SubmissionRejected, match="already submitted"):
        second.submit(make_predictions(seed=4), {**META, "model_name": " claim-vl\u200b"}, "alice")
    assert sorted(s.metadata["model_name"] for s in LocalStore(tmp_path / "store").list()) == ["Claim-VL",
                                                                                              "Warm-Up-VL"]


@pytest.mark.parametrize("index", ["kept", "absent (a store from before the claims index)"])
def test_claims_hold_for_an_instance_started_a_year_later(tmp_path, key_info, make_predictions, monkeypatch,
                                                          index):
    """A fresh instance whose clock (and the process's) is a year on: daily limits have reset, duplicates have not."""
    then = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    Submitter(LocalStore(tmp_path / "store"), key_info, clock=Clock(then)).submit(make_predictions(seed=3), META,
                                                                                  "alice")
    if index != "kept":
        shutil.rmtree(tmp_path / "store" / "index")
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 365 * 24 * 3600)
    later = Submitter(LocalStore(tmp_path / "store"), key_info, clock=Clock(then + timedelta(days=365)))
    with pytest.raises(SubmissionRejected, match="these predictions were already submitted"):
        later.submit(make_predictions(seed=3), {**META, "model_name": "Copy-VL"}, "bob")
    with pytest.raises(SubmissionRejected, match="already submitted"):
        later.submit(make_predictions(seed=5), {**META, "model_name": "CLAIM-VL"}, "alice")
    running = _running_instance(LocalStore(tmp_path / "store"), key_info, make_predictions,
                                Clock(then + timedelta(days=366)))
    with pytest.raises(SubmissionRejected, match="these predictions were already submitted"):
        running.submit(make_predictions(seed=3), {**META, "model_name": "Copy-VL"}, "bob")


def test_fake_hub_claims_never_expire_for_a_second_instance(fake_hub, tmp_path, key_info, make_predictions):
    later = _running_instance(HubStore("board/subs", token="t", mirror=tmp_path / "m2", endpoint=fake_hub.url),
                              key_info, make_predictions)
    first = Submitter(HubStore("board/subs", token="t", mirror=tmp_path / "m1", endpoint=fake_hub.url), key_info)
    first.submit(make_predictions(seed=3), META, "alice")
    _age(tmp_path / "m1", 400 * 24 * 3600)
    with pytest.raises(SubmissionRejected, match="these predictions were already submitted"):
        later.submit(make_predictions(seed=3), {**META, "model_name": "Copy-VL"}, "bob")
    with pytest.raises(SubmissionRejected, match="already submitted"):
        later.submit(make_predictions(seed=4), {**META, "model_name": "ＣＬＡＩＭ-ＶＬ"}, "alice")


# --- two instances racing on one Hub repo -------------------------------------------------------


def test_fake_hub_two_instances_committing_one_file_at_once_store_it_once(fake_hub, tmp_path, key_info,
                                                                          make_predictions):
    """Both instances find the file unclaimed at the same head; the first commit is held at the fake
    Hub while the second lands. The held one is then refused (its parent moved) and, re-checked, is
    a duplicate: one folder in the repo, one stored, one refused."""
    from fake_hub_faults import HubFaults

    faults = HubFaults(fake_hub)
    stores = [HubStore("board/subs", token="t", mirror=tmp_path / f"m{i}", endpoint=fake_hub.url) for i in (1, 2)]
    first, second = (Submitter(store, key_info) for store in stores)
    outcome: list[object] = []

    def slow() -> None:
        try:
            outcome.append(first.submit(make_predictions(seed=3), META, "alice"))
        except SubmissionRejected as exc:
            outcome.append(exc)

    with faults.stall_next_commit() as stall:
        racer = threading.Thread(target=slow)
        racer.start()
        assert stall.reached.wait(30)  # alice's commit is at the Hub, made on the head it checked
        landed = second.submit(make_predictions(seed=3), {**META, "model_name": "Copy-VL"}, "bob")
        stall.release()
        racer.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], SubmissionRejected)
    assert "these predictions were already submitted" in str(outcome[0])
    folders = {p.split("/")[1] for p in fake_hub.files("board/subs") if p.startswith("verified/")}
    assert folders == {landed.id}


# --- damage to each stored file -------------------------------------------------------------------

#: Each damage: the file it hits and its new content from the file's current JSON.
DAMAGE = {
    "result.json is {}": ("result.json", lambda old: {}),
    "result.json has no official average": ("result.json", lambda old: {**old, "official": {"coverage": 100.0}}),
    "result.json's average is text": ("result.json", lambda old: {**old, "official": {**old["official"],
                                                                                        "average": "80.0"}}),
    "result.json's official part is a list": ("result.json", lambda old: {**old, "official": [80.0]}),
    "result.json's strict part is text": ("result.json", lambda old: {**old, "strict": "n/a"}),
    "result.json's subtasks are a list": ("result.json", lambda old: {**old, "official": {**old["official"],
                                                                                           "subtasks": [1, 2]}}),
    "result.json is a list": ("result.json", lambda old: [old]),
    "result.json is not JSON": ("result.json", lambda old: b"{ not json"),
    "metadata.json is {}": ("metadata.json", lambda old: {}),
    "metadata.json's model name is a number": ("metadata.json", lambda old: {**old, "model_name": 7}),
    "metadata.json's exposure is a list": ("metadata.json", lambda old: {**old, "training_exposure": [NONE]}),
    "metadata.json's submission time is a number": ("metadata.json", lambda old: {**old, "submitted_at": 20260101}),
    "a history file is a list": ("history/1.json", lambda old: [1]),
}


def _damage(folder: Path, name: str) -> None:
    file, change = DAMAGE[name]
    path = folder / file
    new = change(json.loads(path.read_text()) if path.is_file() else {})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(new if isinstance(new, bytes) else json.dumps(new).encode())


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damage_to_any_stored_file_skips_that_submission_and_the_board_stays_up(serve, settings, key_info,
                                                                                scored, damage):
    store = LocalStore(settings.store_dir)
    _stored(store, _with_average(scored, 75.0), "Intact-VL", submitted_at="2026-01-02T00:00:00Z")
    broken = _stored(store, _with_average(scored, 76.0), "Broken-VL", submitted_at="2026-01-03T00:00:00Z")
    _damage(settings.store_dir / "verified" / broken, damage)
    client = serve(key_info)
    meta, status = client.predict(api_name="/header")
    table = client.predict(api_name="/leaderboard")
    assert "Intact-VL" in " ".join(map(str, _column(table, "Model")))
    assert "Broken-VL" not in json.dumps(table)
    assert "1 stored submission(s) could not be read" in meta and broken in meta
    assert [row[2] for row in status["data"]] == ["Intact-VL"]


# --- every echo of user text is inert ---------------------------------------------------------------


def _no_live_html(text: str) -> None:
    """What an error pop-up renders as HTML holds no tag."""
    assert "<script" not in text and "<img" not in text and "<b>" not in text


def _no_live_markup(text: str) -> None:
    """What the page renders as markdown holds no tag, no link or image and no javascript: target."""
    _no_live_html(text)
    assert "](javascript:" not in text and "![x](" not in text and "[click](" not in text


@pytest.mark.parametrize("search", [HOSTILE, "<b>bold</b>", "[a](javascript:alert(1))", "x" * 61 + "<script>"])
def test_the_no_results_note_quotes_the_search_inert_and_bounded(serve, search):
    note = serve(None).predict(search=search, api_name="/leaderboard")["note"]
    assert note.startswith("**No results**")
    _no_live_markup(note)
    assert len(note) < 400


def test_names_notes_and_links_of_a_submission_reach_every_view_inert(serve, key_info, make_predictions,
                                                                     tmp_path):
    client = serve(key_info)
    with pytest.raises(AppError, match="link must be an http"):
        client.predict(handle_file(str(make_predictions(seed=21))), "Evil-Link", link="javascript:alert(9)",
                       api_name="/submit")
    message, status, _ = client.predict(handle_file(str(make_predictions(seed=21))), "Evil " + HOSTILE[:60],
                                        link="https://example.org/a)(javascript:alert(9)", notes=HOSTILE,
                                        training_exposure=NONE, api_name="/submit")
    _no_live_markup(message)
    table = client.predict(search="Evil", show="all entries", api_name="/leaderboard")
    assert len(table["data"]) == 1
    for value in table["data"][0]:
        _no_live_markup(str(value))
    _no_live_markup(table["note"])
    meta, _ = client.predict(api_name="/header")
    _no_live_markup(meta)


def test_a_files_content_is_never_echoed_as_markup_in_the_error(serve, key_info, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question_id": HOSTILE * 50, "answer": "A"}) + "\n")
    client = serve(key_info)
    with pytest.raises(AppError) as caught:
        client.predict(handle_file(str(bad)), "Bad-File-VL", api_name="/submit")
    _no_live_html(str(caught.value))  # a pop-up renders HTML, not markdown
    assert len(str(caught.value)) < 1200


def test_a_stored_files_content_quoted_by_the_admin_rescore_is_inert(serve, settings, key_info, scored):
    """A stored prediction file that no longer scores (here: ids the key does not have) is named in the
    re-score summary, which the page renders as markdown: the file's text must arrive inert."""
    store = LocalStore(settings.store_dir)
    sid = new_submission_id()
    hostile = json.dumps({"question_id": HOSTILE, "answer": "A"}) + "\n"
    store.save(Files.for_submission(sid, hostile.encode(), "predictions.jsonl",
                                    {"model_name": "Stale-VL", "setting": "1-shot", "training_exposure": NONE,
                                     "model_type": "open", "predictions_file": "predictions.jsonl"}, scored))
    summary, _ = serve(key_info, admin_token="operator-secret").predict("operator-secret", api_name="/rescore")
    assert "Re-scored 0 submission(s); 1 failed." in summary and sid in summary
    _no_live_markup(summary)
    assert len(summary) < 1000


def test_an_unknown_view_asked_through_the_api_falls_back_and_is_never_echoed(serve):
    client = serve(None)
    for search in ("no-such-model-xyz", ""):
        table = client.predict(search=search, view=HOSTILE, api_name="/leaderboard")
        _no_live_markup(table["note"])
        assert "All sources" in table["note"]
