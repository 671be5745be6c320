"""The summary index the board starts from: whatever happens to it, the board shows the rows a full
read of the entries gives (damaged, missing or stale index; concurrent writers; a third instance
starting while two submit), locally and on the fake Hub (tests/fake_hub.py)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys
import threading

import pytest

from space import index
from space.populate import Board, row_from_submission, scored_on
from space.scoring import key_caveats, score_bytes
from space.storage import Files, HubStore, LocalStore, new_submission_id

REPO = "mmad-board/submissions"


@pytest.fixture(scope="module")
def results(key_info, small_root, tmp_path_factory) -> list[dict]:
    """Three real results of distinct quality (scoring costs time: done once)."""
    from space.scoring import sample_predictions

    folder = tmp_path_factory.mktemp("index-predictions")
    return [score_bytes(sample_predictions(small_root, folder / f"{seed}.jsonl", accuracy, seed).read_bytes(),
                        key_info, max_bytes=10**8)
            for seed, accuracy in ((0, 0.4), (1, 0.6), (2, 0.8))]


def entry(results: list[dict], i: int, shard: str = "") -> Files:
    """A stored submission (`shard`: forced into that index shard, to make writers collide)."""
    sid = new_submission_id()
    sid = sid[:-1] + shard if shard else sid
    metadata = {"model_name": f"model-{i}", "user": f"user-{i}", "setting": "1-shot", "size": "7B",
                "predictions_file": "predictions.jsonl", "submission_id": sid}
    return Files.for_submission(sid, b"{}\n", "predictions.jsonl", metadata, results[i % len(results)])


def table(rows) -> list[dict]:
    """What the table shows of verified rows (the per-category breakdown is the row detail's)."""
    return sorted(({k: v for k, v in dataclasses.asdict(r).items() if k != "categories"} for r in rows
                   if r.status == "verified"), key=lambda r: r["id"])


def full_read(store) -> list[dict]:
    """The rows a full read of every entry gives: the truth the board must match."""
    return table(row_from_submission(s.id, s.metadata, s.result, caveats=key_caveats(None, s.result),
                                     scored_on=scored_on(None, s.result)) for s in store.list())


def board_rows(store) -> list[dict]:
    return table(Board(store, verify=False).verified)


def filled(tmp_path, results, count: int = 6) -> LocalStore:
    store = LocalStore(tmp_path / "store")
    for i in range(count):
        store.save(entry(results, i))
    return store


def test_the_index_holds_what_the_table_needs_and_is_small(tmp_path, results):
    store = filled(tmp_path, results)
    assert board_rows(store) == full_read(store) and len(full_read(store)) == 6
    indexed = sum(p.stat().st_size for p in (store.root / "summary").glob("*.json"))
    entries = sum(p.stat().st_size for p in (store.root / "verified").glob("*/result.json"))
    assert indexed < entries / 5  # the breakdowns stay in the entries
    [one] = [s for s in store.summaries() if s.metadata["model_name"] == "model-0"]
    assert "categories" not in one.result["official"] and "categories" in store.get(one.id).result["official"]



def test_a_rows_detail_reads_its_whole_entry_and_falls_back_to_the_index(tmp_path, results):
    """The table's rows come from the index (no per-category breakdown); a row's detail reads its entry whole,
    a reported row is its own detail, and an entry gone since its row was listed keeps its indexed numbers."""
    store = filled(tmp_path, results, 2)
    board = Board(store, verify=False)
    [first, second] = sorted(board.verified, key=lambda r: r.model)
    reported = board.reported[0]
    assert board.find(first.id) is first and board.find(reported.id) is reported and board.find("nope") is None
    detailed = board.detailed(first.id)
    assert first.categories == {} and detailed.categories and detailed.average == first.average
    assert board.detailed(reported.id) is reported and board.detailed("nope") is None
    shutil.rmtree(store.root / "verified" / second.id)
    assert board.detailed(second.id) is board.find(second.id)

def test_a_rescore_updates_the_index_with_the_entry(tmp_path, results):
    store = filled(tmp_path, results, 3)
    stored = store.list()[0]
    rescored = {**stored.result, "official": {**stored.result["official"], "average": 12.34}}
    store.replace_results({f"verified/{stored.id}/result.json": json.dumps(rescored).encode()})
    assert {s.id: s.result["official"]["average"] for s in store.summaries()}[stored.id] == 12.34
    assert board_rows(store) == full_read(store)


DAMAGES = {
    "truncated": lambda content: content[: len(content) // 2],
    "garbage": lambda content: b"\x00\xffnot json at all",
    "empty file": lambda content: b"",
    "another format": lambda content: _signed(content.partition(b"\n")[2], fmt=99),
    "an old format-1 file": lambda content: json.dumps({"format": 1, "entries": json.loads(_body(content))}).encode(),
    "header not JSON": lambda content: b"{oops\n" + _body(content),
    "no header line": lambda content: _body(content),
    "one digit changed": lambda content: content.replace(b'"average":', b'"average":1', 1),
    "average not a number": lambda content: content.replace(b'"average":', b'"average":"high","was":', 1),
    "metadata not an object": lambda content: _edit(content, lambda rec: rec.update(metadata="x")),
    "user off the schema": lambda content: _edit(content, lambda rec: rec["metadata"].update(user=["a"])),
    "average over 100": lambda content: _edit(content, lambda rec: rec["result"]["official"].update(average=150.0)),
    "record in the wrong shard": lambda content: _move_to_wrong_shard(content),
    # written with a correct checksum (a writer that bypasses `index.record`): the shape is still checked
    "entries not an object, checksum right": lambda content: _signed(b"[]"),
    "files missing, checksum right": lambda content: _edit(content, lambda rec: rec.pop("files"), sign=True),
    "result not an object, checksum right": lambda content: _edit(content, lambda rec: rec.update(result=[1]),
                                                                   sign=True),
    "record in the wrong shard, checksum right": lambda content: _move_to_wrong_shard(content, sign=True),
}


def _body(content: bytes) -> bytes:
    return content.partition(b"\n")[2]


def _signed(body: bytes, fmt: int = index.FORMAT) -> bytes:
    """A shard file whose header's checksum matches `body`."""
    return json.dumps({"format": fmt, "sha256": hashlib.sha256(body).hexdigest()}).encode() + b"\n" + body


def _edit(content: bytes, change, *, sign: bool = False) -> bytes:
    """The shard with its first record changed: by hand (the header left as it was), or `sign`ed again."""
    head, _, body = content.partition(b"\n")
    data = json.loads(body)
    change(next(iter(data.values())))
    edited = json.dumps(data).encode()
    return _signed(edited) if sign else head + b"\n" + edited


def _move_to_wrong_shard(content: bytes, *, sign: bool = False) -> bytes:
    head, _, body = content.partition(b"\n")
    data = json.loads(body)
    sid = next(iter(data))
    wrong = next(c for c in index.SHARDS if c != sid[-1])
    data[sid[:-1] + wrong] = data.pop(sid)
    edited = json.dumps(data).encode()
    return _signed(edited) if sign else head + b"\n" + edited


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_shard_is_rebuilt_from_the_entries(tmp_path, results, damage):
    store = filled(tmp_path, results)
    truth = full_read(store)
    shard = store.root / index.shard_path(store.list()[0].id[-1])
    shard.write_bytes(DAMAGES[damage](shard.read_bytes()))
    assert board_rows(store) == truth
    assert index.decode_shard(shard.read_bytes(), shard.stem) is not None  # rewritten whole


def test_a_missing_index_is_rebuilt_from_the_entries(tmp_path, results):
    store = filled(tmp_path, results)
    truth = full_read(store)
    shutil.rmtree(store.root / "summary")
    assert board_rows(store) == truth
    assert sorted(p.stem for p in (store.root / "summary").glob("*.json")) == sorted({r["id"][-1] for r in truth})


def test_entries_added_or_removed_behind_the_index_show_at_once(tmp_path, results):
    store = filled(tmp_path, results, 3)
    board = Board(store, verify=False)
    generation = board.current()
    removed = store.list()[0].id
    by_hand = entry(results, 7)
    for path, content in by_hand.contents.items():  # written by hand: no index update
        (store.root / path).parent.mkdir(parents=True, exist_ok=True)
        (store.root / path).write_bytes(content)
    shutil.rmtree(store.root / "verified" / removed)
    assert board.current() > generation  # the running board noticed (one stat per shard and the folder)
    assert table(board.verified) == full_read(store) and by_hand.submission_id in {r.id for r in board.verified}
    assert removed not in {r.id for r in board.verified}


def test_an_entry_changed_by_hand_is_caught_by_the_background_check(tmp_path, results):
    store = filled(tmp_path, results, 3)
    board = Board(store, verify=False)
    victim = store.list()[1]
    path = store.root / "verified" / victim.id / "result.json"
    changed = {**victim.result, "official": {**victim.result["official"], "average": 1.5}}
    path.write_text(json.dumps(changed))
    assert board.verify() == 1  # what Board runs in a background thread after start
    assert table(board.verified) == full_read(store)
    assert {r.id: r.average for r in board.verified}[victim.id] == 1.5
    assert board.verify() == 0


def test_an_unreadable_entry_is_left_out_and_named(tmp_path, results):
    store = filled(tmp_path, results, 3)
    victim = store.list()[0].id
    shutil.rmtree(store.root / "summary")
    (store.root / "verified" / victim / "result.json").write_text("{broken")
    assert board_rows(store) == full_read(store) and len(full_read(store)) == 2
    assert victim in store.health()


def _submit_concurrently(stores, results, per_writer: int, during=None) -> None:
    """Each store saves `per_writer` entries in its own thread; `during()` runs while they do."""
    def write(store, offset):
        for i in range(per_writer):
            store.save(entry(results, offset + i, shard="7"))  # one shard: every write races for it
    threads = [threading.Thread(target=write, args=(s, n * 100)) for n, s in enumerate(stores)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so that unguarded read-modify-writes would interleave
    try:
        for thread in threads:
            thread.start()
        seen = during() if during else None
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    return seen


def test_two_instances_on_one_folder_and_a_third_starting_meanwhile(tmp_path, results):
    root = tmp_path / "store"
    first, second = LocalStore(root), LocalStore(root)
    third = _submit_concurrently([first, second], results, 20, during=lambda: Board(LocalStore(root), verify=False))
    indexed = {sid for records in LocalStore(root).index.shards().values() for sid in records}
    assert indexed == set(os.listdir(root / "verified"))  # no writer's update was lost (nothing repaired yet)
    truth = full_read(LocalStore(root))
    assert len(truth) == 40
    third.current()
    assert table(third.verified) == truth and board_rows(LocalStore(root)) == truth


def test_two_instances_on_the_fake_hub_and_a_third_starting_meanwhile(fake_hub, tmp_path, results):
    first = HubStore(REPO, token="t", mirror=tmp_path / "m1", endpoint=fake_hub.url)
    second = HubStore(REPO, token="t", mirror=tmp_path / "m2", endpoint=fake_hub.url)
    third = _submit_concurrently([first, second], results, 3, during=lambda: HubStore(
        REPO, token="t", mirror=tmp_path / "m3", endpoint=fake_hub.url))
    third.refresh()
    fresh = HubStore(REPO, token="t", mirror=tmp_path / "m4", endpoint=fake_hub.url)
    truth = full_read(fresh)
    assert len(truth) == 6
    assert board_rows(third) == truth and board_rows(fresh) == truth
    files = fake_hub.files(REPO)
    shards = {p: index.decode_shard(c, p[-6]) for p, c in files.items() if p.startswith("summary/")}
    assert sum(len(s) for s in shards.values()) == 6  # every commit carried its record: none lost


@pytest.mark.parametrize("damage", ["garbage", "missing"])
def test_a_damaged_or_missing_index_on_the_hub_is_rebuilt_and_committed(fake_hub, tmp_path, results, damage):
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

    writer = HubStore(REPO, token="t", mirror=tmp_path / "m1", endpoint=fake_hub.url)
    for i in range(4):
        writer.save(entry(results, i))
    shards = [p for p in fake_hub.files(REPO) if p.startswith("summary/")]
    operations = ([CommitOperationDelete(p) for p in shards] if damage == "missing"
                  else [CommitOperationAdd(p, b"garbage") for p in shards])
    HfApi(endpoint=fake_hub.url, token="t").create_commit(REPO, operations, commit_message="damage",
                                                          repo_type="dataset")
    commits = fake_hub.commit_count(REPO)
    restarted = HubStore(REPO, token="t", mirror=tmp_path / "m2", endpoint=fake_hub.url)
    assert board_rows(restarted) == full_read(restarted) and len(full_read(restarted)) == 4
    assert fake_hub.commit_count(REPO) == commits + 1  # the repaired index, committed once
    again = HubStore(REPO, token="t", mirror=tmp_path / "m3", endpoint=fake_hub.url)
    assert fake_hub.commit_count(REPO) == commits + 1 and board_rows(again) == full_read(again)


def test_a_submission_reaches_the_board_of_this_instance_and_of_another_at_once(settings, key_info, make_predictions):
    """Two apps on one folder: each one's /leaderboard (answers kept per store generation) lists a
    submission made through either, on the next call; a third app started afterwards lists both."""
    from gradio_client import Client, handle_file

    from space.app import build_demo, launch_options

    def launch():
        demo = build_demo(settings, key=key_info, enable_login=False)
        _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True,
                                **launch_options(settings))
        return demo, Client(url, verbose=False, download_files=False)

    def models(client) -> set[str]:
        table = client.predict(show="all entries", api_name="/leaderboard")
        column = table["headers"].index("Model")
        return {cells[column] for cells in table["data"] if "Twin" in cells[column]}

    apps = [launch(), launch()]
    try:
        assert models(apps[0][1]) == models(apps[1][1]) == set()  # answers now kept for this generation
        apps[0][1].predict(handle_file(str(make_predictions(seed=1))), "Twin-A", api_name="/submit")
        assert models(apps[0][1]) == models(apps[1][1]) == {"Twin-A"}
        apps[1][1].predict(handle_file(str(make_predictions(seed=2))), "Twin-B", api_name="/submit")
        apps.append(launch())
        assert models(apps[0][1]) == models(apps[1][1]) == models(apps[2][1]) == {"Twin-A", "Twin-B"}
    finally:
        for demo, _ in apps:
            demo.close()



def test_a_verified_row_says_who_submitted_it_and_on_which_day(results):
    metadata = {"model_name": "m", "user": "alice", "submitted_at": "2026-03-01T12:00:00Z"}
    assert row_from_submission("20260301T120000Z-0123456789", metadata, results[0]).submitted == "alice on 2026-03-01"
    assert row_from_submission("20260301T120000Z-0123456789", {"model_name": "m"}, results[0]).submitted == "? on ?"


# --- what the index folder says and repairs (mutation testing found these unpinned) ---------------------

def test_a_damaged_shard_without_entries_is_rewritten_empty(results, tmp_path):
    store = LocalStore(tmp_path)
    stored = entry(results, 0, shard="9")
    store.save(stored)
    (tmp_path / index.shard_path("3")).write_bytes(b"not a shard")  # no entry id ends in 3
    assert [s.id for s in store.summaries()] == [stored.submission_id]
    assert index.decode_shard((tmp_path / index.shard_path("3")).read_bytes(), "3") == {}


def test_verifying_counts_each_record_read_again_and_each_dropped(results, tmp_path):
    store = LocalStore(tmp_path)
    edited, removed, kept = (entry(results, i, shard=s) for i, s in ((0, "1"), (1, "2"), (2, "3")))
    for files in (edited, removed, kept):
        store.save(files)
    result = tmp_path / "verified" / edited.submission_id / "result.json"
    shard_time = os.stat(tmp_path / index.shard_path("1")).st_mtime_ns
    result.write_bytes(result.read_bytes().replace(b"\n}", b', "note": "edited by hand"\n}', 1))
    os.utime(result, ns=(shard_time - 10**9, shard_time - 10**9))  # older than the shard: only a full check sees it
    shutil.rmtree(tmp_path / "verified" / removed.submission_id)
    assert store.verify_summaries() == 2  # one record read again, one dropped
    assert sorted(s.id for s in store.summaries()) == sorted([edited.submission_id, kept.submission_id])
    assert store.verify_summaries() == 0


def test_an_entry_that_cannot_be_read_is_named_with_its_error_type_and_80_characters_of_it(results, tmp_path):
    store = LocalStore(tmp_path)
    stored = entry(results, 0)
    store.save(stored)
    damaged = {"official": {"average": 50, "subtasks": {"Anomaly Discrimination": "high"}}}
    (tmp_path / "verified" / stored.submission_id / "result.json").write_text(json.dumps(damaged))
    (tmp_path / index.shard_path(stored.submission_id[-1])).unlink()
    assert store.summaries() == []
    assert store.unreadable == {stored.submission_id: "ValueError: result.json: official.subtasks.Anomaly "
                                                      "Discrimination: Input should be a valid n"}  # 80 characters
    assert stored.submission_id in store.health()


def test_an_entry_gone_while_indexed_is_named_incomplete():
    from space.index_folder import IndexFolder

    def gone(sid: str) -> index.Record:
        raise FileNotFoundError(sid)

    folder = IndexFolder(None, gone, lambda sid: False)
    assert folder.read_all(["20260301T120000Z-0123456789"]) == (
        {}, {"20260301T120000Z-0123456789": "FileNotFoundError: incomplete entry"})


def test_shards_rebuilt_elsewhere_are_not_fatal_where_the_folder_cannot_be_written(tmp_path):
    from space.index_folder import IndexFolder

    (tmp_path / "file").write_text("not a folder")
    folder = IndexFolder(tmp_path / "file", lambda sid: {}, lambda sid: True)
    folder.replace({"3": {}})  # the Hub store's repair of a mirror it cannot write: the board still answers
    folder.put({"20260301T120000Z-0123456783": {"metadata": {}, "result": {}, "files": {}}})
    assert folder.shard("3") is None  # unreadable, as a damaged shard: rebuilt by the next reconciliation
