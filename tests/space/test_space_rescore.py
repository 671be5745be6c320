"""`mmad rescore`: every stored file re-scored with the key parsed once; old results kept as history."""

from __future__ import annotations

import json

import pytest

import space.scoring
from mmad.cli import main
from space.storage import LocalStore
from space.submit import Submitter

META = {"model_name": "R", "model_type": "open", "setting": "1-shot", "training_exposure": "none declared"}


@pytest.fixture
def filled_store(tmp_path, key_info, make_predictions):
    store = LocalStore(tmp_path / "store")
    submitter = Submitter(store, key_info, max_per_day=10)
    for seed in range(3):
        submitter.submit(make_predictions(seed=seed), {**META, "model_name": f"R{seed}"}, "alice")
    return store


def test_cli_rescores_everything_with_one_key_parse(filled_store, small_root, monkeypatch, capsys):
    parses = []
    real_load_key = space.scoring.load_key
    monkeypatch.setattr(space.scoring, "load_key", lambda path: parses.append(path) or real_load_key(path))
    before = {s.id: s.result["scored_at"] for s in filled_store.list()}
    assert main(["rescore", "--store", str(filled_store.root), "--key", str(small_root),
                 "--data-revision", "fixed-key-v2"]) == 0
    assert len(parses) == 1
    assert "Re-scored 3 submission(s); 0 failed" in capsys.readouterr().out
    for stored in filled_store.list():
        assert stored.result["data_revision"] == "fixed-key-v2"
        assert [h["scored_at"] for h in stored.history] == [before[stored.id]]
        assert stored.history[0]["data_revision"] == "test-revision"


def test_a_file_that_no_longer_validates_keeps_its_result_and_is_reported(filled_store, small_root, capsys):
    victim = filled_store.list()[0]
    path = filled_store.root / "verified" / victim.id / "predictions.jsonl"
    path.write_text("not json\n")
    assert main(["rescore", "--store", str(filled_store.root), "--key", str(small_root)]) == 1
    out = capsys.readouterr().out
    assert "2 submission(s); 1 failed" in out and victim.id in out
    after = {s.id: s for s in filled_store.list()}
    assert after[victim.id].result == victim.result and after[victim.id].history == ()


def test_cli_without_key_is_a_clear_error(tmp_path, monkeypatch, capsys):
    for name in ("MMAD_DATA_DIR", "MMAD_DATA_REPO", "MMAD_DEMO"):
        monkeypatch.delenv(name, raising=False)
    assert main(["rescore", "--store", str(tmp_path)]) == 2
    assert "no answer key" in capsys.readouterr().err


def test_rescore_on_the_hub_is_one_commit(fake_hub, tmp_path, key_info, make_predictions, small_root):
    from space.storage import HubStore

    store = HubStore("board/subs", token="t", mirror=tmp_path / "mirror", endpoint=fake_hub.url)
    submitter = Submitter(store, key_info, max_per_day=10)
    for seed in range(3):
        submitter.submit(make_predictions(seed=seed), {**META, "model_name": f"H{seed}"}, "bob")
    commits = fake_hub.commit_count("board/subs")
    assert main(["rescore", "--repo", "board/subs", "--key", str(small_root)]) == 0
    assert fake_hub.commit_count("board/subs") == commits + 1
    files = fake_hub.files("board/subs")
    assert sum(path.endswith("/history/0000.json") for path in files) == 3
    assert all(json.loads(files[p])["data_revision"] == f"local:{small_root.name}"
               for p in files if p.endswith("result.json"))


def _age(store: LocalStore, submission_id: str) -> None:
    """Make a stored result look as if an older scorer had computed and stored it (through the store,
    as that scorer's app did, so its summary index says so too)."""
    path = f"verified/{submission_id}/result.json"
    result = json.loads((store.root / path).read_text())
    result["scorer_version"] = "0.0.1"
    store.replace_results({path: json.dumps(result).encode()})


def test_stale_only_rescores_results_of_another_scorer_version(filled_store, small_root, capsys):
    old = filled_store.list()[1]
    _age(filled_store, old.id)
    assert main(["rescore", "--store", str(filled_store.root), "--key", str(small_root), "--stale-only"]) == 0
    assert "Re-scored 1 submission(s)" in capsys.readouterr().out
    after = {s.id: s for s in filled_store.list()}
    assert after[old.id].history[0]["scorer_version"] == "0.0.1"
    assert after[old.id].result["scorer_version"] == space.scoring.SCORER_VERSION
    assert all(s.history == () for sid, s in after.items() if sid != old.id)


def test_the_app_rescores_stale_results_when_it_starts(filled_store, key_info, settings):
    from space.app import build_demo

    old = filled_store.list()[0]
    _age(filled_store, old.id)
    build_demo(settings, store=filled_store, key=key_info, enable_login=False)
    refreshed = {s.id: s for s in filled_store.list()}[old.id]
    assert refreshed.result["scorer_version"] == space.scoring.SCORER_VERSION
    assert refreshed.history[0]["scorer_version"] == "0.0.1"


def _corrected_key(small_root, tmp_path):
    """A copy of the key with one answer corrected (the kind of fix a new data revision brings)."""
    mmad = json.loads((small_root / "mmad.json").read_text(encoding="utf-8"))
    item = next(iter(mmad.values()))["conversation"][0]
    item["Answer"] = next(letter for letter in item["Options"] if letter != item["Answer"])
    root = tmp_path / "corrected"
    root.mkdir()
    (root / "mmad.json").write_text(json.dumps(mmad), encoding="utf-8")
    return root


def test_stale_only_rescores_results_against_another_answer_key(filled_store, small_root, tmp_path, capsys):
    """Same scorer version, corrected key: every stored result is stale and must be re-scored."""
    before = {s.id: s.result["answer_key_sha256"] for s in filled_store.list()}
    corrected = _corrected_key(small_root, tmp_path)
    assert main(["rescore", "--store", str(filled_store.root), "--key", str(corrected), "--stale-only"]) == 0
    assert "Re-scored 3 submission(s); 0 failed" in capsys.readouterr().out
    new_sha = space.scoring.load_key(corrected).sha256
    assert new_sha not in before.values()
    for stored in filled_store.list():
        assert stored.result["answer_key_sha256"] == new_sha
        assert stored.history[0]["answer_key_sha256"] == before[stored.id]
    assert main(["rescore", "--store", str(filled_store.root), "--key", str(corrected), "--stale-only"]) == 0
    assert "Re-scored 0 submission(s)" in capsys.readouterr().out


def test_every_rescore_keeps_every_earlier_result(filled_store, small_root, capsys):
    for revision in ("v2", "v3"):
        assert main(["rescore", "--store", str(filled_store.root), "--key", str(small_root),
                     "--data-revision", revision]) == 0
    for stored in filled_store.list():
        assert [h["data_revision"] for h in stored.history] == ["test-revision", "v2"]
        assert stored.result["data_revision"] == "v3"
