"""Both stores: atomic writes, layout, ids, and the Hub store's contract against the fake Hub."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from space.storage import (DuplicateSubmission, Files, HubStore, LocalStore, StorageError, Stored, check_id,
                           new_submission_id, rescored_files)

REPO = "mmad-board/submissions"


def _files(submission_id: str, average: float = 50.0) -> Files:
    return Files.for_submission(submission_id, b'{"question_id": "a#0", "answer": "A"}\n', "predictions.jsonl",
                                {"model_name": "M", "user": "u", "predictions_file": "predictions.jsonl"},
                                {"official": {"average": average}})


def test_local_store_round_trip_and_history(tmp_path):
    store = LocalStore(tmp_path)
    sid = new_submission_id()
    store.save(_files(sid))
    [stored] = store.list()
    assert stored.metadata["model_name"] == "M" and store.predictions(stored).startswith(b'{"question_id"')
    store.replace_results(rescored_files(stored, {"official": {"average": 60.0}}))
    [again] = store.list()
    assert again.result["official"]["average"] == 60.0 and again.history == ({"official": {"average": 50.0}},)
    with pytest.raises(StorageError, match="already exists"):
        store.save(_files(sid))


def test_local_store_failure_leaves_nothing_behind(tmp_path, monkeypatch):
    store = LocalStore(tmp_path)

    def broken_rename(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "rename", broken_rename)
    with pytest.raises(StorageError, match="nothing was stored"):
        store.save(_files(new_submission_id()))
    assert store.list() == [] and list((tmp_path / "verified").iterdir()) == []



def test_local_store_shows_nothing_of_a_submission_while_it_is_written_or_after_it_is_cut(tmp_path, monkeypatch):
    """The store is inspected during each file write; the third write fails like a full disk."""
    store, sid = LocalStore(tmp_path), new_submission_id()
    final = tmp_path / "verified" / sid
    seen: list[tuple[bool, list]] = []
    real_write = Path.write_bytes

    def inspecting_write(path: Path, data: bytes) -> int:
        seen.append((final.exists(), store.list()))
        if len(seen) == 3:
            raise OSError(28, "No space left on device")
        return real_write(path, data)

    monkeypatch.setattr(Path, "write_bytes", inspecting_write)
    with pytest.raises(StorageError, match="nothing was stored"):
        store.save(_files(sid))
    assert seen == [(False, [])] * 3
    monkeypatch.undo()
    assert not final.exists() and store.list() == []
    assert [p.name for p in (tmp_path / "verified").iterdir()] == []
    store.save(_files(sid))
    assert [s.id for s in store.list()] == [sid]


def test_a_tampered_metadata_file_name_reads_nothing_outside_the_submission(tmp_path):
    store, sid = LocalStore(tmp_path), new_submission_id()
    store.save(_files(sid))
    [stored] = store.list()
    tampered = Stored(sid, {**stored.metadata, "predictions_file": "../../../../etc/passwd"}, stored.result)
    with pytest.raises(StorageError, match="predictions file name must be one of"):
        store.predictions(tampered)

@pytest.mark.parametrize("bad", ["../../etc", "a/b", "", "20260101T000000Z-../../x", "x" * 30])
def test_ids_never_become_paths_outside_the_store(tmp_path, bad):
    with pytest.raises(StorageError):
        check_id(bad)
    with pytest.raises(StorageError):
        LocalStore(tmp_path).predictions(Stored(bad, {"predictions_file": "predictions.jsonl"}, {}))
    with pytest.raises(StorageError):
        _files(bad)


def test_only_known_prediction_file_names_are_written():
    with pytest.raises(StorageError):
        Files.for_submission(new_submission_id(), b"x", "../../evil.sh", {}, {})


def test_hub_store_writes_one_commit_per_submission_and_reads_back(fake_hub, tmp_path):
    store = HubStore(REPO, token="t", mirror=tmp_path / "m1", endpoint=fake_hub.url)
    before = fake_hub.commit_count(REPO)
    sid = new_submission_id()
    store.save(_files(sid))
    assert fake_hub.commit_count(REPO) == before + 1
    assert sorted(fake_hub.files(REPO)) == ([".gitattributes", f"summary/{sid[-1]}.json"] + [
        f"verified/{sid}/{n}" for n in ("metadata.json", "predictions.jsonl", "result.json")])
    fresh = HubStore(REPO, token="t", mirror=tmp_path / "m2", endpoint=fake_hub.url)
    [stored] = fresh.list()
    assert stored.id == sid and fresh.predictions(stored) == _files(sid).contents[f"verified/{sid}/predictions.jsonl"]
    fresh.replace_results(rescored_files(stored, {"official": {"average": 70.0}}))
    assert fake_hub.commit_count(REPO) == before + 2
    third = HubStore(REPO, token="t", mirror=tmp_path / "m3", endpoint=fake_hub.url)
    assert third.list()[0].result["official"]["average"] == 70.0 and len(third.list()[0].history) == 1
    assert [s.result["official"]["average"] for s in third.summaries()] == [70.0]  # the re-score's commit indexed it


def test_hub_commit_failure_loses_nothing_and_says_why(fake_hub, tmp_path):
    store = HubStore(REPO, token="t", mirror=tmp_path / "m", endpoint=fake_hub.url)
    fake_hub.fail_commits(500)
    sid = new_submission_id()
    with pytest.raises(StorageError, match="500"):
        store.save(_files(sid))
    assert store.list() == [] and not any(p.startswith("verified/") for p in fake_hub.files(REPO))
    store.save(_files(sid))
    assert [s.id for s in store.list()] == [sid]


def test_hub_commit_timeout_is_reported_and_a_late_commit_lands_once(fake_hub, tmp_path):
    store = HubStore(REPO, token="t", mirror=tmp_path / "m", endpoint=fake_hub.url, commit_timeout=0.3)
    fake_hub.stall_commits(1.0)
    sid = new_submission_id()
    with pytest.raises(StorageError, match="did not confirm the commit within 0.3 s"):
        store.save(_files(sid))
    assert store.list() == []
    deadline = time.monotonic() + 10
    while not any(p.startswith(f"verified/{sid}/") for p in fake_hub.files(REPO)) and time.monotonic() < deadline:
        time.sleep(0.05)
    store.refresh()
    assert [s.id for s in store.list()] == [sid]


def test_fake_hub_outage_at_start_serves_the_mirror_and_says_so(fake_hub, tmp_path):
    from fake_hub_faults import HubFaults

    sid = new_submission_id()
    HubStore(REPO, token="t", mirror=tmp_path / "m", endpoint=fake_hub.url).save(_files(sid))
    with HubFaults(fake_hub).outage():
        restarted = HubStore(REPO, token="t", mirror=tmp_path / "m", endpoint=fake_hub.url)
        assert [s.id for s in restarted.list()] == [sid]
        assert "the Hub did not answer" in restarted.health() and "showing the local mirror" in restarted.health()
        restarted.refresh()
        assert [s.id for s in restarted.list()] == [sid] and "did not answer" in restarted.health()
    restarted.refresh()
    assert restarted.health() == ""


def test_unreachable_hub_at_start_is_not_fatal(tmp_path):
    store = HubStore(REPO, token="t", mirror=tmp_path / "m", endpoint="http://127.0.0.1:9")
    assert store.list() == [] and "could not create the submissions repo on the Hub" in store.health()


def test_fake_hub_mirror_is_per_repo_and_pruned_to_what_the_repo_holds(fake_hub, tmp_path):
    from huggingface_hub import HfApi

    full = HubStore(REPO, token="t", mirror=tmp_path / "m", endpoint=fake_hub.url)
    kept, deleted = new_submission_id(), new_submission_id()
    full.save(_files(kept))
    full.save(_files(deleted))
    empty = HubStore("mmad-board/other", token="t", mirror=tmp_path / "m", endpoint=fake_hub.url)
    assert empty.list() == []
    HfApi(endpoint=fake_hub.url, token="t").delete_folder(f"verified/{deleted}", repo_id=REPO, repo_type="dataset")
    full.refresh()
    assert [s.id for s in full.list()] == [kept]
    restarted = HubStore(REPO, token="t", mirror=tmp_path / "m", endpoint=fake_hub.url)
    assert [s.id for s in restarted.list()] == [kept]


@pytest.mark.parametrize("damage", [b'{"model_name": "M", "us', b"[]", b""])
def test_corrupt_entry_at_start_is_skipped_and_reported(tmp_path, damage):
    store = LocalStore(tmp_path)
    good, bad = new_submission_id(), new_submission_id()
    store.save(_files(good))
    store.save(_files(bad))
    (tmp_path / "verified" / bad / "metadata.json").write_bytes(damage)
    assert [s.id for s in store.list()] == [good]
    assert bad in store.health() and "1 stored submission(s) could not be read" in store.health()


def test_fake_hub_corrupt_entry_is_skipped_and_reported(fake_hub, tmp_path):
    from huggingface_hub import HfApi

    good, bad = new_submission_id(), new_submission_id()
    HubStore(REPO, token="t", mirror=tmp_path / "a", endpoint=fake_hub.url).save(_files(good))
    HfApi(endpoint=fake_hub.url, token="t").upload_file(path_or_fileobj=b"{truncated", repo_id=REPO,
                                                        path_in_repo=f"verified/{bad}/metadata.json",
                                                        repo_type="dataset")
    HfApi(endpoint=fake_hub.url, token="t").upload_file(path_or_fileobj=b"{}", repo_id=REPO,
                                                        path_in_repo=f"verified/{bad}/result.json",
                                                        repo_type="dataset")
    store = HubStore(REPO, token="t", mirror=tmp_path / "b", endpoint=fake_hub.url)
    assert [s.id for s in store.list()] == [good] and bad in store.health()


def test_claims_make_a_second_copy_a_duplicate_in_both_stores(fake_hub, tmp_path):
    claim = "content-" + "ab" * 32
    for store in (LocalStore(tmp_path / "local"), HubStore(REPO, token="t", mirror=tmp_path / "m",
                                                            endpoint=fake_hub.url)):
        first = new_submission_id()
        store.save(Files.for_submission(first, b"x", "predictions.jsonl", {"model_name": "M"}, {}, (claim,)))
        with pytest.raises(DuplicateSubmission) as caught:
            store.save(Files.for_submission(new_submission_id(), b"x", "predictions.jsonl", {"model_name": "M"}, {},
                                            (claim,)))
        assert caught.value.existing["submission_id"] == first


def test_fake_hub_lost_reply_commit_is_found_on_resubmission(fake_hub, tmp_path):
    """The commit lands but the reply is a 500: submitting again must not store a second copy."""
    from fake_hub_faults import HubFaults

    store = HubStore(REPO, token="t", mirror=tmp_path / "m", endpoint=fake_hub.url)
    claim = "content-" + "cd" * 32
    HubFaults(fake_hub).land_then_fail()
    first = new_submission_id()
    with pytest.raises(StorageError, match="500"):
        store.save(Files.for_submission(first, b"x", "predictions.jsonl", {"model_name": "M"}, {}, (claim,)))
    with pytest.raises(DuplicateSubmission) as caught:
        store.save(Files.for_submission(new_submission_id(), b"x", "predictions.jsonl", {"model_name": "M"}, {},
                                        (claim,)))
    assert caught.value.existing["submission_id"] == first
    assert sorted({p.split("/")[1] for p in fake_hub.files(REPO) if p.startswith("verified/")}) == [first]


def test_describe_reveals_no_server_path(tmp_path):
    assert str(tmp_path) not in LocalStore(tmp_path / "secret-place").describe()
