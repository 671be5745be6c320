"""What the Space's scoring module promises, pinned where mutation testing found no test looking:
the key's ranking caveats word for word, the fingerprint duplicates are judged by, the provenance a
stored result carries, and where the key comes from (demo, a local folder, a Hub dataset)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
from fake_hub import fake_hub  # noqa: F401  (fixture)

from eval import SCORER_VERSION, ScoringError
from mmad_dataset import ANSWER_KEY_FILE, TEXT_COLUMNS, load_rows
from space.envs import load_settings
from space.scoring import (RESAMPLES, KeyInfo, content_hash, coverage_fields, demo_key, hub_key_path, key_caveats,
                           now_iso, parse, resolve_key, sample_predictions, score_bytes, score_parsed)


def _jsonl(*records: dict) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


# --- the key's own caveat ---------------------------------------------------------------------------------

def test_only_a_key_of_the_whole_benchmarks_size_ranks(key_info):
    assert key_info.unranked_because is None
    small = dataclasses.replace(key_info, full_size=39672)
    assert small.unranked_because == (f"scored against a key of {len(key_info.key):,} questions (synthetic test key), "
                                      "not the benchmark's 39,672")
    assert dataclasses.replace(key_info, demo=True).unranked_because == "scored against the synthetic demo key, not MMAD"


def test_caveats_of_a_stored_result_on_a_board(key_info):
    result = {"official": {"answer_key_sha256": key_info.key.sha256}}
    assert key_caveats(key_info, result) == []
    assert key_caveats(None, result) == ["no answer key is configured here to check its score"]
    small = dataclasses.replace(key_info, full_size=len(key_info.key) + 1)
    assert key_caveats(small, result) == [small.unranked_because]
    # A demo board labels its rows synthetic elsewhere; its own key still checks the result's hash.
    demo = dataclasses.replace(key_info, demo=True, full_size=len(key_info.key) + 1)
    assert key_caveats(demo, result) == []
    other = {"official": {"answer_key_sha256": "abcdef0123456789" * 4}}
    assert key_caveats(key_info, other) == [
        "scored against another answer key (sha256 abcdef012345…), not this board's"]
    unknown = "scored against another answer key (sha256 unknown…), not this board's"
    assert key_caveats(key_info, {"official": {}}) == [unknown]
    assert key_caveats(key_info, {"official": None}) == [unknown]
    assert key_caveats(key_info, {}) == [unknown]


# --- time stamps ------------------------------------------------------------------------------------------

def test_time_stamps_are_utc_to_the_second(monkeypatch):
    assert now_iso(datetime(2024, 2, 3, 4, 5, 6, 789, tzinfo=timezone.utc)) == "2024-02-03T04:05:06Z"
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # nine hours from UTC: a local clock would show
    time.tzset()
    try:
        stamp = datetime.strptime(now_iso(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        assert abs((stamp - datetime.now(timezone.utc)).total_seconds()) < 3600
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


# --- parsing and the fingerprint duplicates are judged by -------------------------------------------------

def test_the_upload_limit_reaches_the_parser(key_info):
    content = _jsonl({"question_id": key_info.key.questions[0].qid, "answer": "A"})
    assert len(parse(content, key_info, max_bytes=len(content)).records) == 1
    with pytest.raises(ScoringError, match="limit|large|MB|bytes"):
        parse(content, key_info, max_bytes=len(content) - 1)


def test_the_fingerprint_is_what_the_file_says_not_how(key_info):
    q = key_info.key.questions
    lines = [{"question_id": q[0].qid, "answer": "A"}, {"question_id": q[1].qid, "answer": None},
             {"question_id": q[2].qid, "response": "I would say B"}]

    def fingerprint(content: bytes) -> str:
        return content_hash(parse(content, key_info, max_bytes=10**6))

    plain = fingerprint(_jsonl(*lines))
    assert fingerprint(_jsonl(*reversed(lines))) == plain
    assert fingerprint(_jsonl(*({**r, "extra": 1} for r in lines)).replace(b"\n", b"\r\n")) == plain
    assert fingerprint(_jsonl(lines[0], lines[1], {**lines[2], "response": "I would say C"})) != plain
    assert fingerprint(_jsonl(lines[0], lines[1])) != plain
    # The documented canonical form: sorted [question id, [given answer, strict letter]] pairs, compact UTF-8 JSON.
    canonical = json.dumps(sorted({q[0].qid: ["A", "A"], q[1].qid: ["", None],
                                   q[2].qid: ["B", "B"]}.items()), ensure_ascii=False,
                           separators=(",", ":"))
    assert plain == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_a_non_text_answer_of_an_upstream_file_is_fingerprinted_as_json(key_info):
    q = key_info.key.questions
    records = [{"image": q[i].image, "question_type": q[i].question_type, "correct_answer": q[i].answer,
                "gpt_answer": given} for i, given in enumerate((["A"], "Réponse"))]
    parsed = parse(json.dumps(records).encode(), key_info, max_bytes=10**6)
    canonical = json.dumps(sorted([[q[0].qid, ['["A"]', None]], [q[1].qid, ["Réponse", None]]]), ensure_ascii=False,
                           separators=(",", ":"))
    assert content_hash(parsed) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- a stored result ------------------------------------------------------------------------------------

def test_a_scored_result_says_what_it_was_computed_with(key_info, make_predictions):
    before = now_iso()
    result = score_bytes(make_predictions(seed=3).read_bytes(), key_info, max_bytes=10**8)
    assert before <= result["scored_at"] <= now_iso()
    assert (result["scorer_version"], result["answer_key_sha256"], result["data_revision"]) == (
        SCORER_VERSION, key_info.key.sha256, "test-revision")
    assert (result["protocol"], result["coverage"], result["coverage_detail"], result["answered_share"]) == (
        "official", "full", "", 1.0)
    for protocol in ("official", "strict"):
        assert result[protocol]["bootstrap"]["resamples"] == RESAMPLES == 200
        assert result[protocol]["average"] is not None
    parsed = parse(make_predictions(seed=3).read_bytes(), key_info, max_bytes=10**8)
    assert score_parsed(parsed, key_info)["official"] == result["official"]


def test_coverage_fields_of_a_partial_result():
    assert coverage_fields({"official": {"coverage": 40.0}, "strict": {"coverage": 25.0}}) == {
        "protocol": "official", "answered_share": 0.25, "coverage": "subset",
        "coverage_detail": "25.00% of the questions answered"}


def test_the_sample_file_answers_about_seventy_percent_the_same_each_time(small_root, key_info, tmp_path):
    first = sample_predictions(small_root, tmp_path / "a.jsonl")
    again = sample_predictions(small_root, tmp_path / "b.jsonl", 0.7, 0)
    assert first.read_bytes() == again.read_bytes()
    assert sample_predictions(small_root, tmp_path / "c.jsonl", 0.7, 1).read_bytes() != first.read_bytes()
    gold = {q.qid: q.answer for q in key_info.key.questions}
    answers = [json.loads(line) for line in first.read_text(encoding="utf-8").splitlines()]
    right = sum(a["answer"] == gold[a["question_id"]] for a in answers) / len(answers)
    assert len(answers) == len(gold) and 0.6 < right < 0.8


# --- where the key comes from ---------------------------------------------------------------------------

def test_the_demo_key_is_the_synthetic_mini_benchmark_with_a_sample(tmp_path, key_info):
    info = demo_key(tmp_path)
    assert (info.description, info.data_revision, info.demo) == (
        "synthetic demo benchmark (mmad synth, scale 0.02, seed 0)", "synthetic-demo-scale0.02-seed0", True)
    assert info.key.sha256 == key_info.key.sha256  # the same synthetic benchmark as `mmad synth --scale 0.02 --seed 0`
    assert info.sample_predictions == tmp_path / "sample_predictions.jsonl"
    assert info.unranked_because == "scored against the synthetic demo key, not MMAD"
    assert demo_key().sample_predictions.parent.name.startswith("mmad-demo-")  # a throwaway folder, named for what it is
    from PIL import Image

    image = next((tmp_path / "synthetic_root").rglob("*.png"))
    with Image.open(image) as opened:
        assert opened.size == (8, 8)


def test_a_local_data_folder_is_the_key(small_root, key_info):
    settings = dataclasses.replace(load_settings({}), data_dir=str(small_root))
    info = resolve_key(settings)
    assert (info.key.sha256, info.description, info.data_revision, info.demo) == (
        key_info.key.sha256, f"local data {small_root.name}", f"local:{small_root.name}", False)
    pinned = resolve_key(dataclasses.replace(settings, data_revision="v1.2"))
    assert pinned.data_revision == "v1.2"
    assert resolve_key(load_settings({})) is None


def test_the_demo_setting_serves_the_demo_key(monkeypatch, tmp_path):
    made = []
    monkeypatch.setattr("space.scoring.demo_key", lambda: made.append(1) or "the demo key")
    assert resolve_key(load_settings({"MMAD_DEMO": "1", "MMAD_DATA_DIR": str(tmp_path)})) == "the demo key"
    assert made == [1]


def test_a_hub_dataset_is_the_key_at_its_pinned_revision(fake_hub, small_root, key_info, tmp_path, monkeypatch):
    """The key file is read from the data repo at the pinned revision (a later commit changed it on main)."""
    from huggingface_hub import HfApi

    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hf"))
    rows = [json.dumps({c: row[c] for c in TEXT_COLUMNS}, ensure_ascii=False) for row in load_rows(small_root)]
    api = HfApi(endpoint=fake_hub.url, token="fake-token")
    api.create_repo("org/mmad", repo_type="dataset")
    pinned = api.upload_file(path_or_fileobj="\n".join(rows).encode(), path_in_repo=ANSWER_KEY_FILE,
                             repo_id="org/mmad", repo_type="dataset").oid
    api.upload_file(path_or_fileobj="\n".join(rows[:5]).encode(), path_in_repo=ANSWER_KEY_FILE, repo_id="org/mmad",
                    repo_type="dataset")
    settings = dataclasses.replace(load_settings({}), data_repo="org/mmad", hf_token="fake-token")
    assert hub_key_path(dataclasses.replace(settings, data_revision=pinned)).read_text(encoding="utf-8") == \
        "\n".join(rows)
    latest = resolve_key(settings)
    assert (len(latest.key), latest.description, latest.data_revision, latest.demo) == (
        5, "Hub dataset org/mmad@main", "org/mmad@main", False)
    at_pin = resolve_key(dataclasses.replace(settings, data_revision=pinned))
    assert (at_pin.key.sha256, at_pin.description, at_pin.data_revision) == (
        key_info.key.sha256, f"Hub dataset org/mmad@{pinned}", f"org/mmad@{pinned}")


def test_the_hub_key_is_fetched_with_the_configured_token(monkeypatch, tmp_path):
    """A private data repo needs the Space's token (the fake Hub checks none, so the call is observed)."""
    import huggingface_hub

    calls = []
    monkeypatch.setattr(huggingface_hub, "hf_hub_download",
                        lambda *args, **kwargs: calls.append((args, kwargs)) or str(tmp_path / "k.jsonl"))
    settings = dataclasses.replace(load_settings({}), data_repo="org/private", data_revision="abc", hf_token="secret")
    assert hub_key_path(settings) == tmp_path / "k.jsonl"
    assert calls == [(("org/private", ANSWER_KEY_FILE), {"repo_type": "dataset", "revision": "abc", "token": "secret"})]


def test_temporary_folders_go_when_the_process_exits():
    script = ("import shutil, sys; from space.scoring import temporary_folder; a = temporary_folder('mmad-t-'); "
              "b = temporary_folder('mmad-t-'); shutil.rmtree(b); print(a, b, a.is_dir(), a.name.startswith('mmad-t-'))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    first, _, exists, named = done.stdout.split()
    assert (exists, named) == ("True", "True")
    assert not __import__("pathlib").Path(first).exists()
    assert "Traceback" not in done.stderr  # a folder already gone is no error at exit
