"""What the stores promise, pinned where mutation testing found no test looking: the files written
byte for byte, the errors an operator reads, claims that go stale only when they should, and the Hub
store's commits, retries and mirror on the fake Hub (tests/fake_hub.py)."""

from __future__ import annotations

import json
import os
import stat
import time
from datetime import datetime, timezone

import pytest

from space import index, storage
from space.storage import (DuplicateSubmission, Files, HubStore, LocalStore, StorageError, Stored, check_id,
                           check_predictions_name, claim_path, index_entries, mirror_folder, new_submission_id,
                           rescored_files)

REPO = "mmad-board/submissions"
SID = "20260301T120000Z-0123456789"
CLAIM = "content-" + "ab" * 32


def _records(content: bytes, shard: str) -> dict:
    """The records of an index shard as the store wrote it (None if the board would call it damaged)."""
    return index.decode_shard(content, shard)


def _files(submission_id: str, average: float = 50.0, claims: tuple[str, ...] = (), **metadata) -> Files:
    return Files.for_submission(submission_id, b'{"question_id": "a#0", "answer": "A"}\n', "predictions.jsonl",
                                {"model_name": "M", "user": "u", "predictions_file": "predictions.jsonl", **metadata},
                                {"official": {"average": average}}, claims)


def _pretty(data: dict) -> bytes:
    """How every stored JSON file is written: indented, keys sorted, UTF-8 as is, one final newline."""
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


# --- ids, names, the files of one submission ----------------------------------------------------------

def test_a_new_id_is_the_time_then_ten_random_hex_digits():
    now = datetime(2026, 3, 1, 12, 0, 5, tzinfo=timezone.utc)
    made = {new_submission_id(now) for _ in range(20)}
    assert len(made) == 20 and all(storage.SUBMISSION_ID.fullmatch(m) and m.startswith("20260301T120005Z-")
                                   for m in made)
    assert new_submission_id()[:8] == datetime.now(timezone.utc).strftime("%Y%m%d")


def test_bad_ids_and_names_are_refused_with_a_short_quote():
    with pytest.raises(StorageError, match=r"^not a submission id: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'$"):
        check_id("x" * 100)
    with pytest.raises(StorageError, match=r"^not a submission id: 'None'$"):
        check_id(None)
    assert check_id(SID) == SID
    with pytest.raises(StorageError, match=r"^predictions file name must be one of \('predictions.jsonl', "
                                           r"'predictions.json'\), not 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy'$"):
        check_predictions_name("y" * 100)
    assert [check_predictions_name(n) for n in storage.PREDICTION_NAMES] == ["predictions.jsonl", "predictions.json"]


def test_the_files_of_a_submission_byte_for_byte():
    metadata = {"user": "ü", "model_name": "Ω-VL", "setting": "0-shot", "predictions_file": "predictions.json"}
    files = Files.for_submission(SID, b"[]", "predictions.json", metadata, {"official": {"average": 1.5}},
                                 (CLAIM, "name-" + "cd" * 32))
    assert files.contents == {f"verified/{SID}/predictions.json": b"[]",
                              f"verified/{SID}/metadata.json": _pretty(metadata),
                              f"verified/{SID}/result.json": _pretty({"official": {"average": 1.5}})}
    record = _pretty({"submission_id": SID, "model_name": "Ω-VL", "user": "ü", "setting": "0-shot"})
    assert files.claims == {CLAIM: record, "name-" + "cd" * 32: record}
    assert files.submission_id == SID
    bare = Files.for_submission(SID, b"x", "predictions.jsonl", {}, {}, (CLAIM,))
    assert json.loads(bare.claims[CLAIM]) == {"submission_id": SID, "model_name": "", "user": "", "setting": ""}
    assert Files(bare.contents).claims == {}


@pytest.mark.parametrize("claim", ["content-" + "ab" * 31, "Content-" + "ab" * 32, "-" + "ab" * 32,
                                   "content-" + "AB" * 32, "content_" + "ab" * 32, "content-" + "ab" * 32 + "0"])
def test_a_claim_is_a_kind_and_a_sha256(claim):
    with pytest.raises(StorageError, match=r"^a claim is a kind and a sha256, e\.g\. content-<64 hex>$"):
        Files.for_submission(SID, b"x", "predictions.jsonl", {}, {}, (CLAIM, claim))


def test_paths_of_claims_history_and_mirrors():
    assert claim_path(CLAIM) == f"index/{CLAIM}.json"
    previous = Stored(SID, {}, {"official": {"average": 1.0}}, ({}, {}))
    assert rescored_files(previous, {"official": {"average": 2.0}}) == {
        f"verified/{SID}/history/0002.json": _pretty({"official": {"average": 1.0}}),
        f"verified/{SID}/result.json": _pretty({"official": {"average": 2.0}})}
    assert mirror_folder("/base", "org/name") == __import__("pathlib").Path("/base/org--name")
    assert str(DuplicateSubmission(CLAIM, {"submission_id": SID})) == f"already stored as {SID}"
    assert str(DuplicateSubmission(CLAIM, {})) == "already stored as ?"


def test_the_index_lists_each_entry_once_by_id():
    shards = {"1": {"b1": {"metadata": {"m": 1}, "result": {"r": 1}}}, "2": None, "3": {},
              "0": {"a0": {"metadata": {"m": 0}, "result": {"r": 0}}}}
    assert index_entries(shards) == [Stored("a0", {"m": 0}, {"r": 0}), Stored("b1", {"m": 1}, {"r": 1})]


# --- reading entries back -----------------------------------------------------------------------------

def test_damaged_files_are_named_with_the_problem(tmp_path):
    store = LocalStore(tmp_path)
    store.save(_files(SID))
    folder = tmp_path / "verified" / SID
    (folder / "result.json").write_bytes(b'{"official": {}}')
    with pytest.raises(StorageError, match=rf"^submission {SID} could not be read \(ValueError\)$"):
        store.get(SID)
    assert store.list() == []
    assert store.unreadable == {SID: "ValueError: result.json: official.average: Field required"}
    assert store.health() == (f"1 stored submission(s) could not be read and are not shown "
                              f"({SID}: ValueError: result.json: official.average: Field required)")
    (folder / "result.json").unlink()
    assert store.list() == [] and store.health() == ""  # a folder without its result is no entry yet
    with pytest.raises(StorageError, match=r"\(FileNotFoundError\)$"):
        store.get(SID)


def test_health_names_at_most_three_unreadable_entries(tmp_path):
    store = LocalStore(tmp_path)
    ids = [f"20260301T12000{i}Z-012345678{i}" for i in range(5)]
    for sid in ids:
        store.save(_files(sid))
        (tmp_path / "verified" / sid / "metadata.json").write_bytes(b"[]")
    assert store.list() == []
    assert store.health() == ("5 stored submission(s) could not be read and are not shown ("
                              + "; ".join(f"{sid}: ValueError: metadata.json: not a JSON object" for sid in ids[:3])
                              + ")")


def test_a_long_reason_is_cut_to_eighty_characters(tmp_path):
    store = LocalStore(tmp_path)
    store.save(_files(SID))
    damaged = {"official": {"average": 1.0, "sources": {"S" * 100: {"average": "x"}}}}
    (tmp_path / "verified" / SID / "result.json").write_bytes(_pretty(damaged))
    store.list()
    assert store.unreadable[SID] == "ValueError: " + ("result.json: official.sources." + "S" * 100)[:80]


def test_only_submission_folders_are_entries(tmp_path):
    store = LocalStore(tmp_path)
    store.save(_files(SID))
    stray = tmp_path / "verified" / "notes"
    stray.mkdir()
    for name in ("metadata.json", "result.json"):
        (stray / name).write_bytes((tmp_path / "verified" / SID / name).read_bytes())
    assert [s.id for s in store.list()] == [SID] and [s.id for s in store.summaries()] == [SID]
    assert store.health() == ""
    (tmp_path / "verified" / ".staging-20260301T120000Z-00000000ff").mkdir()  # sorted before every entry
    (tmp_path / "verified" / "20250101T000000Z-0000000000").mkdir()  # an entry still without its result
    assert [s.id for s in store.list()] == [SID] and store.health() == ""


def test_history_is_read_in_order(tmp_path):
    store = LocalStore(tmp_path)
    store.save(_files(SID, 10.0))
    for average in (20.0, 30.0, 40.0):
        [stored] = store.list()
        store.replace_results(rescored_files(stored, {"official": {"average": average}}))
    [stored] = store.list()
    assert [h["official"]["average"] for h in stored.history] == [10.0, 20.0, 30.0]
    assert [h["official"]["average"] for h in store.get(SID).history] == [10.0, 20.0, 30.0]
    assert sorted(p.name for p in (tmp_path / "verified" / SID / "history").iterdir()) == [
        "0000.json", "0001.json", "0002.json"]
    assert [s.result["official"]["average"] for s in store.summaries()] == [40.0]


def test_a_rescore_is_written_history_first_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    store = LocalStore(tmp_path)
    store.save(_files(SID, 10.0))
    [stored] = store.list()
    order, real_replace = [], os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: order.append(os.path.basename(b)) or real_replace(a, b))
    store.replace_results(dict(reversed(rescored_files(stored, {"official": {"average": 20.0}}).items())))
    assert order[:2] == ["0000.json", "result.json"]
    assert sorted(p.name for p in (tmp_path / "verified" / SID).rglob("*") if p.is_file()) == [
        "0000.json", "metadata.json", "predictions.jsonl", "result.json"]


# --- writing and claiming locally -----------------------------------------------------------------------

def test_a_submission_is_one_folder(tmp_path):
    store = LocalStore(tmp_path)
    split = Files({f"verified/{SID}/result.json": b"{}", "verified/20260301T120000Z-9999999999/metadata.json": b"{}"})
    with pytest.raises(StorageError, match="^a submission is written as exactly one folder$"):
        store.save(split)
    store.save(_files(SID))
    with pytest.raises(StorageError, match=f"^submission {SID} already exists$"):
        store.save(_files(SID))
    assert not (tmp_path / "verified" / f".staging-{SID}").exists()


def test_a_failed_write_releases_its_claims_and_says_why(tmp_path, monkeypatch):
    store = LocalStore(tmp_path)
    monkeypatch.setattr(os, "rename", lambda a, b: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(StorageError, match=r"^could not write the submission \(\[Errno 28\] No space left on device\); "
                                           r"nothing was stored$"):
        store.save(_files(SID, claims=(CLAIM,)))
    assert list((tmp_path / "index").iterdir()) == []
    monkeypatch.undo()
    store.save(_files(SID, claims=(CLAIM,)))


def test_claim_files_are_readable_records(tmp_path):
    store = LocalStore(tmp_path)
    store.save(_files(SID, claims=(CLAIM,), setting="1-shot"))
    path = tmp_path / "index" / f"{CLAIM}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert json.loads(path.read_bytes()) == {"submission_id": SID, "model_name": "M", "user": "u", "setting": "1-shot"}
    with pytest.raises(DuplicateSubmission) as caught:
        store.save(_files(new_submission_id(), claims=("name-" + "12" * 32, CLAIM)))
    assert caught.value.claim == CLAIM and caught.value.existing["submission_id"] == SID
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == [f"{CLAIM}.json"]  # the first claim given back
    assert store.save(_files(new_submission_id())) is None  # no claims: no index folder needed
    assert LocalStore(tmp_path / "bare").save(_files(SID)) is None and not (tmp_path / "bare" / "index").exists()


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_claim_whose_submission_never_appeared_goes_stale_after_ten_minutes(tmp_path):
    store = LocalStore(tmp_path)
    orphan = tmp_path / "index" / f"{CLAIM}.json"
    orphan.parent.mkdir()
    orphan.write_bytes(_pretty({"submission_id": "20260301T120000Z-dead00dead"}))
    _age(orphan, storage.STALE_CLAIM_SECONDS - 30)
    with pytest.raises(DuplicateSubmission):
        store.save(_files(SID, claims=(CLAIM,)))
    _age(orphan, storage.STALE_CLAIM_SECONDS + 30)
    store.save(_files(SID, claims=(CLAIM,)))
    assert json.loads(orphan.read_bytes())["submission_id"] == SID
    assert storage.STALE_CLAIM_SECONDS == 600


@pytest.mark.parametrize("record", [b"{not json", b'{"submission_id": "../../x"}', b'{"model_name": "M"}'])
def test_an_old_claim_without_a_readable_stored_submission_goes_stale(tmp_path, record):
    store = LocalStore(tmp_path)
    orphan = tmp_path / "index" / f"{CLAIM}.json"
    orphan.parent.mkdir()
    orphan.write_bytes(record)
    _age(orphan, 3600)
    store.save(_files(SID, claims=(CLAIM,)))


def test_an_old_claim_of_a_stored_submission_never_goes_stale(tmp_path):
    store = LocalStore(tmp_path)
    store.save(_files(SID, claims=(CLAIM,)))
    _age(tmp_path / "index" / f"{CLAIM}.json", 10 * 365 * 86400)
    with pytest.raises(DuplicateSubmission) as caught:
        store.save(_files(new_submission_id(), claims=(CLAIM,)))
    assert caught.value.existing["submission_id"] == SID


def test_predictions_are_read_back_by_their_stored_name(tmp_path):
    store = LocalStore(tmp_path)
    store.save(Files.for_submission(SID, b"[1]", "predictions.json", {"model_name": "M",
                                                                      "predictions_file": "predictions.json"},
                                    {"official": {"average": 1.0}}))
    [stored] = store.list()
    assert store.predictions(stored) == b"[1]"


# --- the Hub store, on the fake Hub ------------------------------------------------------------------------

def _hub(fake_hub, tmp_path, name: str = "m", **options) -> HubStore:
    return HubStore(REPO, token="t", mirror=tmp_path / name, endpoint=fake_hub.url, **options)


def _titles(fake_hub) -> list[str]:
    return [c.title for c in fake_hub.repos[("dataset", REPO)].commits[1:]]


def test_the_submissions_repo_is_created_private_and_reused(fake_hub, tmp_path):
    store = _hub(fake_hub, tmp_path)
    assert fake_hub.repos[("dataset", REPO)].private
    store.save(_files(SID))
    again = _hub(fake_hub, tmp_path, "m2")
    assert [s.id for s in again.summaries()] == [SID] and again.health() == ""
    assert (again.describe(), again.outage) == (f"Hub dataset {REPO}", "")
    assert (tmp_path / "m2" / "mmad-board--submissions" / ".mirrored-revision").read_text() == (
        fake_hub.repos[("dataset", REPO)].head.oid + "\n")


def test_a_store_not_asked_to_create_its_repo_reads_an_existing_one(fake_hub, tmp_path):
    _hub(fake_hub, tmp_path).save(_files(SID))
    requests = len(fake_hub.requests)
    reader = _hub(fake_hub, tmp_path, "m2", create=False)
    assert not any("/repos/create" in path for _, path in fake_hub.requests[requests:])
    assert [s.id for s in reader.summaries()] == [SID]


def test_commits_say_what_they_do(fake_hub, tmp_path):
    store = _hub(fake_hub, tmp_path)
    store.save(_files(SID))
    [stored] = store.list()
    store.replace_results({})  # nothing to re-score: no commit
    store.replace_results(rescored_files(stored, {"official": {"average": 60.0}}))
    assert _titles(fake_hub) == [f"Add submission {SID}", "Re-score 1 submissions"]
    assert fake_hub.files(REPO)[f"verified/{SID}/history/0000.json"] == _pretty({"official": {"average": 50.0}})
    shard = _records(fake_hub.files(REPO)[f"summary/{SID[-1]}.json"], SID[-1])
    assert shard[SID]["result"]["official"]["average"] == 60.0
    assert sorted(shard[SID]["files"]) == ["history/0000.json", "metadata", "result"]
    assert store.list()[0].result["official"]["average"] == 60.0
    assert [s.result["official"]["average"] for s in store.summaries()] == [60.0]


def test_a_hub_outage_is_said_with_the_revision_shown(fake_hub, tmp_path):
    from fake_hub_faults import HubFaults

    with HubFaults(fake_hub).outage():
        empty = _hub(fake_hub, tmp_path, "empty", create=False)
    assert empty.health() == (f"the Hub did not answer ({empty.outage}); showing the local mirror (empty)")
    assert empty.outage.startswith("could not read the repo's head on the Hub (HfHubHTTPError: ")
    store = _hub(fake_hub, tmp_path)
    store.save(_files(SID))
    store.refresh()
    head = fake_hub.repos[("dataset", REPO)].head.oid
    (tmp_path / "m" / "mmad-board--submissions" / "verified" / SID / "metadata.json").write_bytes(b"[]")
    with HubFaults(fake_hub).outage():
        store.refresh()
        assert [s.id for s in store.summaries()] == [SID]  # the mirror's index, while the Hub is down
        assert store.list() == []  # read whole: the damaged file is skipped and named
        assert store.health() == (f"the Hub did not answer ({store.outage}); showing the local mirror of revision "
                                  f"{head[:12]}; 1 stored submission(s) could not be read and are not shown "
                                  f"({SID}: ValueError: metadata.json: not a JSON object)")
    store.refresh()
    assert store.outage == "" and store.health().startswith("1 stored submission(s) could not be read")


def test_while_the_hub_is_down_a_mirror_without_an_index_is_read_whole(fake_hub, tmp_path):
    from fake_hub_faults import HubFaults

    store = _hub(fake_hub, tmp_path)
    store.save(_files(SID))
    for shard in (tmp_path / "m" / "mmad-board--submissions" / "summary").glob("*.json"):
        shard.unlink()  # a mirror made by a version without the index
    with HubFaults(fake_hub).outage():
        restarted = _hub(fake_hub, tmp_path)
        assert [s.id for s in restarted.summaries()] == [SID]
    assert _hub(fake_hub, tmp_path, "other").summaries() != []


def test_a_hub_error_says_what_failed_on_its_first_line(fake_hub, tmp_path):
    store = _hub(fake_hub, tmp_path)
    fake_hub.fail_commits(500)
    with pytest.raises(StorageError) as caught:
        store.save(_files(SID))
    message = str(caught.value)
    assert message.startswith("could not commit on the Hub (HfHubHTTPError: Server error '500 Internal Server Error'")
    assert "\n" not in message and message.endswith(")")


def test_a_commit_overtaken_is_retried_on_the_new_head(fake_hub, tmp_path, monkeypatch):
    store = _hub(fake_hub, tmp_path)
    other = _hub(fake_hub, tmp_path, "other")
    real_commit, overtaken = HubStore._commit, []

    def overtake_once(self, contents, message, parent=None):
        if self is store and not overtaken:
            overtaken.append(parent)
            other.save(_files("20260301T120000Z-00000000f1"))  # lands first: `parent` is no longer the head
        return real_commit(self, contents, message, parent)

    monkeypatch.setattr(HubStore, "_commit", overtake_once)
    store.save(_files(SID))
    assert _titles(fake_hub) == ["Add submission 20260301T120000Z-00000000f1", f"Add submission {SID}"]
    shard = _records(fake_hub.files(REPO)["summary/9.json"], "9")
    assert sorted(shard) == [SID]
    both = _hub(fake_hub, tmp_path, "fresh")
    assert sorted(s.id for s in both.summaries()) == sorted([SID, "20260301T120000Z-00000000f1"])


def test_a_repo_that_keeps_moving_gives_up_after_fifty_tries(fake_hub, tmp_path, monkeypatch):
    store = _hub(fake_hub, tmp_path)
    fake_hub.fail_commits(412, count=storage.COMMIT_ATTEMPTS)
    naps = []
    monkeypatch.setattr(storage.time, "sleep", lambda seconds: naps.append(seconds))
    with pytest.raises(StorageError, match="^the submissions repo kept moving; 50 commits were overtaken, nothing was "
                                           "stored; submit again$"):
        store.save(_files(SID))
    assert len(naps) == 50 and all(0 <= n < 0.1 for n in naps) and len(set(naps)) > 1
    assert storage.COMMIT_ATTEMPTS == 50
    fake_hub.fail_commits(412, count=storage.COMMIT_ATTEMPTS - 1)
    store.save(_files(SID))
    assert [s.id for s in store.summaries()] == [SID]


def test_other_commit_errors_are_not_retried(fake_hub, tmp_path):
    store = _hub(fake_hub, tmp_path)
    fake_hub.fail_commits(409, count=2)
    with pytest.raises(StorageError, match="409"):
        store.save(_files(SID))
    with pytest.raises(StorageError, match="409"):  # the second failure is still queued: no retry used it
        store.save(_files(SID))
    store.save(_files(SID))
    assert _titles(fake_hub) == [f"Add submission {SID}"]


def test_a_commit_timeout_names_the_seconds(fake_hub, tmp_path):
    store = _hub(fake_hub, tmp_path, commit_timeout=0.25)
    fake_hub.stall_commits(1.0)
    with pytest.raises(StorageError, match=r"^the Hub did not confirm the commit within 0.25 s\. If it lands later the "
                                           r"row appears after a refresh; otherwise submit again \(a landed copy is "
                                           r"detected as a duplicate\)$"):
        store.save(_files(SID))
    assert _hub(fake_hub, tmp_path, "t2").commit_timeout == 60.0


def test_a_claim_held_on_the_hub_names_its_submission(fake_hub, tmp_path):
    store = _hub(fake_hub, tmp_path)
    store.save(_files(SID, claims=(CLAIM,), setting="0-shot"))
    assert json.loads(fake_hub.files(REPO)[f"index/{CLAIM}.json"]) == {
        "submission_id": SID, "model_name": "M", "user": "u", "setting": "0-shot"}
    other = _hub(fake_hub, tmp_path, "m2")
    with pytest.raises(DuplicateSubmission) as caught:
        other.save(_files(new_submission_id(), claims=("name-" + "12" * 32, CLAIM)))
    assert caught.value.claim == CLAIM and caught.value.existing == {
        "submission_id": SID, "model_name": "M", "user": "u", "setting": "0-shot"}
    assert _titles(fake_hub) == [f"Add submission {SID}"]


def test_a_hub_entry_without_its_files_is_refused_and_a_misshapen_one_stored_unindexed(fake_hub, tmp_path):
    store = _hub(fake_hub, tmp_path)
    with pytest.raises(StorageError, match="^a submission needs its metadata.json and result.json; nothing was stored$"):
        store.save(Files({f"verified/{SID}/predictions.jsonl": b"x", f"verified/{SID}/metadata.json": b"{}"}))
    store.save(Files.for_submission(SID, b"x", "predictions.jsonl", {"model_name": "M"}, {}))
    assert f"verified/{SID}/result.json" in fake_hub.files(REPO) and f"summary/{SID[-1]}.json" not in fake_hub.files(REPO)
    fresh = _hub(fake_hub, tmp_path, "fresh")
    assert fresh.summaries() == [] and SID in fresh.health()


def test_one_entry_is_read_whole_from_the_hub(fake_hub, tmp_path):
    _hub(fake_hub, tmp_path).save(_files(SID, 10.0))
    reader = _hub(fake_hub, tmp_path, "reader")
    assert not (tmp_path / "reader" / "mmad-board--submissions" / "verified" / SID / "result.json").exists()
    entry = reader.get(SID)
    assert entry.result == {"official": {"average": 10.0}} and entry.metadata["model_name"] == "M"
    assert reader.predictions(entry) == b'{"question_id": "a#0", "answer": "A"}\n'
    assert reader.verify_summaries() == 0
    with pytest.raises(StorageError, match="could not download verified/20260301T120000Z-00000000aa/metadata.json on "
                                           "the Hub"):
        reader.get("20260301T120000Z-00000000aa")
    with pytest.raises(StorageError, match="not a submission id"):
        reader.get("../../x")


def test_generation_follows_the_mirror(fake_hub, tmp_path):
    store = _hub(fake_hub, tmp_path)
    before = store.generation()
    assert before == store.mirror.generation()
    store.save(_files(SID))
    assert store.generation() != before and store.generation() == store.mirror.generation()


def test_the_mirror_follows_deletions_on_the_hub(fake_hub, tmp_path):
    from huggingface_hub import HfApi

    store = _hub(fake_hub, tmp_path)
    kept, gone = SID, "20260301T120000Z-00000000a3"
    store.save(_files(kept))
    store.save(_files(gone))
    api = HfApi(endpoint=fake_hub.url, token="t")
    api.delete_folder(f"verified/{gone}", repo_id=REPO, repo_type="dataset")
    api.delete_file(f"summary/{gone[-1]}.json", repo_id=REPO, repo_type="dataset")
    store.refresh()
    mirror = tmp_path / "m" / "mmad-board--submissions"
    assert sorted(p.name for p in (mirror / "verified").iterdir()) == [kept]
    assert sorted(p.name for p in (mirror / "summary").glob("*.json")) == [f"{kept[-1]}.json"]
    assert [s.id for s in store.summaries()] == [kept] and [s.id for s in store.list()] == [kept]


def test_an_index_rebuilt_at_refresh_is_committed_back(fake_hub, tmp_path):
    from huggingface_hub import HfApi

    writer = _hub(fake_hub, tmp_path)
    ids = [f"20260301T1200{i:02d}Z-00000000{i:02x}" for i in range(3)]
    for sid in ids:
        writer.save(_files(sid))
    [first] = [s for s in writer.list() if s.id == ids[1]]
    writer.replace_results(rescored_files(first, {"official": {"average": 70.0}}))
    HfApi(endpoint=fake_hub.url, token="t").delete_file(f"summary/{ids[1][-1]}.json", repo_id=REPO, repo_type="dataset")
    reader = _hub(fake_hub, tmp_path, "reader")
    assert [s.id for s in reader.summaries()] == ids
    assert _titles(fake_hub)[-1] == "Rebuild the summary index"
    rebuilt = _records(fake_hub.files(REPO)[f"summary/{ids[1][-1]}.json"], ids[1][-1])
    assert sorted(rebuilt) == [ids[1]] and sorted(rebuilt[ids[1]]["files"]) == ["history/0000.json", "metadata", "result"]
    assert rebuilt[ids[1]]["result"]["official"]["average"] == 70.0
    commits = len(_titles(fake_hub))
    reader.refresh()  # the rebuilt index matches the repo: nothing more to repair
    assert len(_titles(fake_hub)) == commits
    mirrored = tmp_path / "reader" / "mmad-board--submissions" / "verified"
    assert not list(mirrored.rglob("predictions.*"))  # the mirror holds metadata and results, never predictions


def test_a_rebuilt_index_holds_the_entries_at_the_mirrored_revision(fake_hub, tmp_path, monkeypatch):
    """A re-score lands while a refresh rebuilds the index: the board shows the revision it mirrored, then the next."""
    from huggingface_hub import HfApi

    writer = _hub(fake_hub, tmp_path)
    writer.save(_files(SID, 10.0))
    [stored] = writer.list()
    HfApi(endpoint=fake_hub.url, token="t").delete_file(f"summary/{SID[-1]}.json", repo_id=REPO, repo_type="dataset")
    head = fake_hub.repos[("dataset", REPO)].head.oid
    real_download = HubStore._download

    def rescored_meanwhile(self, revision, patterns):
        if any(p.startswith("verified/") for p in patterns) and not stored.history:
            writer.replace_results(rescored_files(stored, {"official": {"average": 20.0}}))
            object.__setattr__(stored, "history", ({},))  # once
        return real_download(self, revision, patterns)

    monkeypatch.setattr(HubStore, "_download", rescored_meanwhile)
    reader = _hub(fake_hub, tmp_path, "reader", create=False)
    assert (tmp_path / "reader" / "mmad-board--submissions" / ".mirrored-revision").read_text() == head + "\n"
    shard = _records(fake_hub.files(REPO)[f"summary/{SID[-1]}.json"], SID[-1])  # the stale rebuild never overwrote it
    assert shard[SID]["result"]["official"]["average"] == 20.0
    assert reader.health() == ""  # its rebuild commit was overtaken: no outage for that
    assert [s.result["official"]["average"] for s in reader.summaries()] == [10.0]
    reader.refresh()
    assert [s.result["official"]["average"] for s in reader.summaries()] == [20.0]


def test_every_hub_request_carries_the_stores_token_and_endpoint(fake_hub, tmp_path, monkeypatch):
    """A private submissions repo on a configured endpoint: the process-wide defaults are never used."""
    import huggingface_hub.constants as hub_constants

    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "no-login"))
    monkeypatch.setattr(hub_constants, "ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setattr(hub_constants, "HUGGINGFACE_CO_URL_TEMPLATE", "http://127.0.0.1:9/{repo_id}/resolve/{revision}/{filename}")
    writer = HubStore(REPO, token="store-token", mirror=tmp_path / "w", endpoint=fake_hub.url)
    writer.save(_files(SID, claims=(CLAIM,)))
    reader = HubStore(REPO, token="store-token", mirror=tmp_path / "r", endpoint=fake_hub.url)
    entry = reader.get(SID)
    assert reader.predictions(entry).startswith(b'{"question_id"') and [s.id for s in reader.list()] == [SID]
    with pytest.raises(DuplicateSubmission):
        reader.save(_files(new_submission_id(), claims=(CLAIM,)))
    assert reader.health() == "" and set(fake_hub.authorizations) == {"Bearer store-token"}


def test_one_entry_is_read_at_the_revision_the_board_shows(fake_hub, tmp_path):
    """Row detail matches the row: a re-score committed by another instance shows after the next refresh."""
    writer = _hub(fake_hub, tmp_path)
    writer.save(_files(SID, 10.0))
    reader = _hub(fake_hub, tmp_path, "reader")
    [stored] = writer.list()
    writer.replace_results(rescored_files(stored, {"official": {"average": 20.0}}))
    assert reader.get(SID).result["official"]["average"] == 10.0
    assert [s.result["official"]["average"] for s in reader.summaries()] == [10.0]
    assert [s.result["official"]["average"] for s in reader.list()] == [10.0]
    assert not list((tmp_path / "reader").rglob("predictions.*"))  # read whole: metadata and results, never predictions
    reader.refresh()
    assert reader.get(SID).result["official"]["average"] == 20.0


def test_predictions_gone_from_the_hub_are_a_clear_error(fake_hub, tmp_path):
    from huggingface_hub import HfApi

    store = _hub(fake_hub, tmp_path)
    store.save(_files(SID))
    [stored] = store.list()
    HfApi(endpoint=fake_hub.url, token="t").delete_file(f"verified/{SID}/predictions.jsonl", repo_id=REPO,
                                                        repo_type="dataset")
    with pytest.raises(StorageError, match=rf"^could not download verified/{SID}/predictions.jsonl on the Hub \("):
        store.predictions(stored)


@pytest.mark.parametrize("where", ["local", "fake hub"])
def test_a_rescore_is_indexed_whatever_the_order_of_its_files(where, tmp_path, request):
    store = LocalStore(tmp_path / "l") if where == "local" else _hub(request.getfixturevalue("fake_hub"), tmp_path)
    store.save(_files(SID, 10.0))
    [stored] = store.list()
    files = rescored_files(stored, {"official": {"average": 20.0}})
    store.replace_results(dict(reversed(files.items())))  # the result first, its history after
    assert [s.result["official"]["average"] for s in store.summaries()] == [20.0]
    assert [h["official"]["average"] for h in store.list()[0].history] == [10.0]
    if where == "fake hub":  # the index committed with it, not only the mirror's
        shard = _records(request.getfixturevalue("fake_hub").files(REPO)[f"summary/{SID[-1]}.json"], SID[-1])
        assert shard[SID]["result"]["official"]["average"] == 20.0


def test_a_stale_claim_dropped_meanwhile_by_another_instance_is_no_error(tmp_path, monkeypatch):
    store = LocalStore(tmp_path)
    orphan = tmp_path / "index" / f"{CLAIM}.json"
    orphan.parent.mkdir()
    orphan.write_bytes(_pretty({"submission_id": "20260301T120000Z-dead00dead"}))
    _age(orphan, 3600)
    real_record = LocalStore._claim_record

    def read_then_lose(path):
        found = real_record(path)
        path.unlink(missing_ok=True)  # the other instance drops it between our read and our unlink
        return found

    monkeypatch.setattr(LocalStore, "_claim_record", staticmethod(read_then_lose))
    store.save(_files(SID, claims=(CLAIM,)))
    assert json.loads(orphan.read_bytes())["submission_id"] == SID


def test_a_local_store_says_what_it_is(tmp_path):
    assert LocalStore(tmp_path).describe() == "local folder"


def test_a_new_store_folder_has_no_entries(tmp_path):
    store = LocalStore(tmp_path / "new")
    assert (store.list(), store.summaries(), store.verify_summaries(), store.health()) == ([], [], 0, "")


def _written_at(path, ns: int) -> None:
    os.utime(path, ns=(ns, ns))


@pytest.mark.parametrize("part", ["metadata.json", "history/0000.json"])
def test_a_file_damaged_by_hand_after_its_index_is_caught_at_the_next_read(tmp_path, part):
    """Even rewritten in place within the clock tick of the index's write (same mtime)."""
    store = LocalStore(tmp_path)
    store.save(_files(SID, 10.0))
    [stored] = store.list()
    store.replace_results(rescored_files(stored, {"official": {"average": 20.0}}))
    assert [s.id for s in store.summaries()] == [SID]
    shard = tmp_path / "summary" / f"{SID[-1]}.json"
    damaged = tmp_path / "verified" / SID / part
    damaged.write_bytes(b"[]")
    for path in (damaged.parent, tmp_path / "verified" / SID, damaged):
        _written_at(path, shard.stat().st_mtime_ns - 10**9)  # as if written before the index ...
    assert [s.id for s in store.summaries()] == [SID]  # ... then it is trusted until the background check
    _written_at(damaged, shard.stat().st_mtime_ns)  # the same tick as the index: it may be newer
    assert store.summaries() == [] and SID in store.health()


def test_a_repo_listing_names_the_entries_and_their_files():
    other = "20260301T120000Z-00000000b2"
    listing = {f"verified/{SID}/metadata.json": "m1", f"verified/{SID}/result.json": "r1",
               f"verified/{SID}/predictions.jsonl": "p1", f"verified/{SID}/history/0000.json": "h0",
               f"verified/{SID}/history/0001.json": "h1", f"verified/{SID}/history/notes.txt": "x",
               f"verified/{SID}/history/deeper/0002.json": "x", f"verified/{other}/result.json": "r2",
               "verified/20260301T120000Z-00000000c3/predictions.jsonl": "p3", "verified/not-an-id/metadata.json": "x",
               f"elsewhere/{SID}/metadata.json": "x", "verified/metadata.json": "x", f"index/{CLAIM}.json": "x",
               "summary/9.json": "x", ".gitattributes": "x"}
    assert storage._listed_entries(listing) == {
        SID: {"metadata": "m1", "result": "r1", "history/0000.json": "h0", "history/0001.json": "h1"},
        other: {"result": "r2"}}
    assert storage._listed_entries({f"verified/{SID}/history/0000.json": "h0"}) == {}


def test_reading_whole_entries_while_the_hub_goes_down_serves_the_mirror(fake_hub, tmp_path):
    from fake_hub_faults import HubFaults

    store = _hub(fake_hub, tmp_path)
    store.save(_files(SID))
    with HubFaults(fake_hub).outage():  # down since the last refresh: the store does not know yet
        assert [s.id for s in store.list()] == [SID]
    other = "20260301T120000Z-00000000c4"
    _hub(fake_hub, tmp_path, "writer").save(_files(other))
    store.refresh()
    fake_hub.cut_downloads(f"verified/{other}/metadata.json", after=3, count=20)  # the connection drops mid-file
    assert SID in [s.id for s in store.list()]


def test_many_entries_missing_from_the_index_are_all_read(fake_hub, tmp_path):
    """More than twenty to read: fetched with one pattern for all (every pattern is matched against every file)."""
    from huggingface_hub import CommitOperationAdd, HfApi

    _hub(fake_hub, tmp_path)
    ids = [f"20260301T1200{i:02d}Z-00000000{i:02x}" for i in range(21)]
    operations = [CommitOperationAdd(path_in_repo=path, path_or_fileobj=content)
                  for sid in ids for path, content in _files(sid).contents.items()]
    HfApi(endpoint=fake_hub.url, token="t").create_commit(REPO, operations, commit_message="by hand", repo_type="dataset")
    reader = _hub(fake_hub, tmp_path, "reader")
    assert [s.id for s in reader.summaries()] == ids and reader.health() == ""


def test_a_damaged_shard_of_no_entry_is_rewritten_empty(fake_hub, tmp_path):
    from huggingface_hub import HfApi

    _hub(fake_hub, tmp_path).save(_files(SID))
    HfApi(endpoint=fake_hub.url, token="t").upload_file(path_or_fileobj=b"{garbage", path_in_repo="summary/7.json",
                                                        repo_id=REPO, repo_type="dataset")
    reader = _hub(fake_hub, tmp_path, "reader")
    assert [s.id for s in reader.summaries()] == [SID]
    assert _records(fake_hub.files(REPO)["summary/7.json"], "7") == {}


# --- a re-score never brings back an entry removed while it ran ----------------------------------------

def test_a_rescore_does_not_bring_back_a_local_entry_removed_while_it_ran(tmp_path):
    store = LocalStore(tmp_path)
    kept, removed = SID, "20260301T120000Z-00000000a3"
    store.save(_files(kept, 10.0))
    store.save(_files(removed, 10.0))
    listed = store.list()  # the re-scorer reads every entry, then scores them one by one...
    import shutil

    shutil.rmtree(tmp_path / "verified" / removed)  # ...while a moderator removes one
    store.replace_results({path: content for stored in listed
                           for path, content in rescored_files(stored, {"official": {"average": 20.0}}).items()})
    assert sorted(p.name for p in (tmp_path / "verified").iterdir()) == [kept]
    assert [(s.id, s.result["official"]["average"]) for s in store.summaries()] == [(kept, 20.0)]
    assert store.health() == ""


def test_a_rescore_does_not_bring_back_a_hub_entry_removed_while_it_ran(fake_hub, tmp_path):
    from huggingface_hub import HfApi

    store = _hub(fake_hub, tmp_path)
    kept, removed = SID, "20260301T120000Z-00000000a3"
    store.save(_files(kept, 10.0))
    store.save(_files(removed, 10.0))
    listed = store.list()
    api = HfApi(endpoint=fake_hub.url, token="t")
    api.delete_folder(f"verified/{removed}", repo_id=REPO, repo_type="dataset")
    api.delete_file(f"summary/{removed[-1]}.json", repo_id=REPO, repo_type="dataset")
    store.refresh()
    store.replace_results({path: content for stored in listed
                           for path, content in rescored_files(stored, {"official": {"average": 20.0}}).items()})
    assert not [path for path in fake_hub.files(REPO) if removed in path]
    assert _titles(fake_hub)[-1] == "Re-score 1 submissions"
    assert [(s.id, s.result["official"]["average"]) for s in store.summaries()] == [(kept, 20.0)]
