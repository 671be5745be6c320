"""Every stored file is checked against one schema when read: a misshapen entry is skipped and named,
never fatal, in the local store and the Hub store, and nothing non-finite reaches the page or a download."""

from __future__ import annotations

import json

import pytest

from space import ranking, render
from space.populate import Board
from space.ui.callbacks import Exports
from space.storage import Files, HubStore, LocalStore, new_submission_id

REPO = "mmad-board/submissions"
GOOD_RESULT = {"official": {"average": 50.0, "subtasks": {"anomaly_discrimination": 50.0}, "coverage": 100.0},
               "strict": {"average": 49.0}}
GOOD_METADATA = {"model_name": "M", "user": "u", "setting": "1-shot", "model_type": "open", "size": "7B",
                 "training_exposure": "none declared", "predictions_file": "predictions.jsonl"}


def _official(**changes) -> bytes:
    return json.dumps({**GOOD_RESULT, "official": {**GOOD_RESULT["official"], **changes}}).encode()


#: (stored file, its damaged content): each is skipped and named, whatever the file.
DAMAGE = {
    "subtasks not an object": ("result.json", _official(subtasks="x")),
    "sources of the wrong type": ("result.json", _official(sources="x")),
    "a source's average a string": ("result.json", _official(sources={"VisA": {"average": "high"}})),
    "categories a list": ("result.json", _official(categories=[1, 2])),
    "strict a string": ("result.json", json.dumps({**GOOD_RESULT, "strict": "x"}).encode()),
    "empty result": ("result.json", b"{}"),
    "no official average": ("result.json", _official(average=None)),
    "average a boolean": ("result.json", _official(average=True)),
    "average over 100": ("result.json", _official(average=150.0)),
    "average Infinity": ("result.json", b'{"official": {"average": Infinity}}'),
    "average NaN": ("result.json", b'{"official": {"average": NaN}}'),
    "average 1e999": ("result.json", b'{"official": {"average": 1e999}}'),
    "Infinity in an unshown field": ("result.json", b'{"official": {"average": 50, "f1": -Infinity}}'),
    "deeply nested": ("result.json", b"[" * 100_000),
    "model name a number": ("metadata.json", json.dumps({**GOOD_METADATA, "model_name": 5}).encode()),
    "user a list": ("metadata.json", json.dumps({**GOOD_METADATA, "user": ["a"]}).encode()),
    "link an object": ("metadata.json", json.dumps({**GOOD_METADATA, "link": {"href": "x"}}).encode()),
    "metadata a list": ("metadata.json", b"[]"),
    "history entry misshapen": ("history/0000.json", b'{"official": {"average": "x"}}'),
}


def _files(submission_id: str) -> Files:
    return Files.for_submission(submission_id, b"{}\n", "predictions.jsonl", GOOD_METADATA, GOOD_RESULT)


@pytest.mark.parametrize("case", DAMAGE)
def test_local_misshapen_entry_is_skipped_and_named(tmp_path, case):
    name, content = DAMAGE[case]
    store = LocalStore(tmp_path)
    good, bad = new_submission_id(), new_submission_id()
    store.save(_files(good))
    store.save(_files(bad))
    target = tmp_path / "verified" / bad / name
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(content)
    board = Board(store)  # start-up must not raise
    assert [s.id for s in board.stored] == [good]
    assert bad in store.health() and name.rsplit("/", 1)[-1] in store.health()


@pytest.mark.parametrize("case", ["subtasks not an object", "categories a list", "average Infinity",
                                  "model name a number"])
def test_fake_hub_misshapen_entry_is_skipped_and_named(fake_hub, tmp_path, case):
    from huggingface_hub import HfApi

    name, content = DAMAGE[case]
    good, bad = new_submission_id(), new_submission_id()
    writer = HubStore(REPO, token="t", mirror=tmp_path / "a", endpoint=fake_hub.url)
    writer.save(_files(good))
    writer.save(_files(bad))
    HfApi(endpoint=fake_hub.url, token="t").upload_file(path_or_fileobj=content, repo_id=REPO, repo_type="dataset",
                                                        path_in_repo=f"verified/{bad}/{name}")
    store = HubStore(REPO, token="t", mirror=tmp_path / "b", endpoint=fake_hub.url)
    assert [s.id for s in Board(store).stored] == [good] and bad in store.health()


def test_an_infinite_average_never_breaks_the_json_download(tmp_path):
    store = LocalStore(tmp_path)
    good, bad = new_submission_id(), new_submission_id()
    store.save(_files(good))
    store.save(_files(bad))
    (tmp_path / "verified" / bad / "result.json").write_bytes(b'{"official": {"average": Infinity}}')
    board = Board(store)
    shown = ranking.board_view(board.rows, ranking.Filters(show=ranking.ALL_ENTRIES), ranking.OVERALL)
    path = Exports().write(render.plain_table(shown, "Average"), "json")
    records = json.loads(open(path, encoding="utf-8").read(), parse_constant=lambda c: pytest.fail(c))
    assert good in {r.get("id") for r in records} and bad not in {r.get("id") for r in records}


def test_a_misshapen_claim_counts_as_held_without_a_record(tmp_path):
    from space.storage import DuplicateSubmission

    store = LocalStore(tmp_path)
    claim = "content-" + "ab" * 32
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / f"{claim}.json").write_bytes(b'{"submission_id": 5, "model_name": NaN}')
    with pytest.raises(DuplicateSubmission) as caught:
        store.save(Files.for_submission(new_submission_id(), b"x", "predictions.jsonl", GOOD_METADATA, GOOD_RESULT,
                                        (claim,)))
    assert caught.value.existing == {}
