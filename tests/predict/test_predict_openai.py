"""The OpenAI-compatible backend against a local fake chat-completions server (see its module)."""

from __future__ import annotations

import base64
import json

import pytest

from eval import load_key, read_predictions, score
from eval.predict.prompts import render_question
from mmad.cli import main
from mmad_dataset import read_rows


def _predict(root, server_url, out, *extra: str) -> int:
    return main(["predict", "--backend", "openai", "--model", "fake-vlm", "--base-url", server_url,
                 "--data-dir", str(root), "--out", str(out), "--retry-delay", "0.01", *extra])


def _records(path) -> dict[str, dict]:
    return {r["question_id"]: r for r in map(json.loads, path.read_text().splitlines())}


def _by_text(rows: list[dict]) -> dict[str, str]:
    """What the fake server's rule answers, in key letters: the option whose text sorts first."""
    return {r["question_id"]: min((r[x], x) for x in "ABCDE" if r[x])[1] for r in rows}


def test_end_to_end_through_a_chat_endpoint(small_root, fake_server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MY_KEY", "sk-test")
    out = tmp_path / "p.jsonl"
    assert _predict(small_root, fake_server.url, out, "--limit", "12", "--api-key-env", "MY_KEY") == 0
    assert "Anomaly Discrimination" in capsys.readouterr().out
    key = load_key(small_root)
    assert score(read_predictions(out, key), key)["official"]["benchmark"] == "MMAD"
    rows = read_rows(small_root)[:12]
    assert {qid: r["answer"] for qid, r in _records(out).items()} == _by_text(rows)
    assert all(h["Authorization"] == "Bearer sk-test" for h in fake_server.headers)
    first = fake_server.requests[0]
    assert first["model"] == "fake-vlm" and first["temperature"] == 0.0 and first["max_tokens"] == 128
    urls = [p["image_url"]["url"] for p in first["messages"][0]["content"] if p["type"] == "image_url"]
    query = rows[0]["image_path"]
    assert base64.b64decode(urls[-1].split(",", 1)[1]) == (small_root / query).read_bytes()
    assert len(urls) == 2


def test_permuted_options_map_back_to_the_key(small_root, fake_server, tmp_path):
    out = tmp_path / "p.jsonl"
    assert _predict(small_root, fake_server.url, out, "--limit", "20", "--permute-options", "--seed", "5",
                    "--no-score") == 0
    rows = read_rows(small_root)[:20]
    sent = "".join(p.get("text", "") for r in fake_server.requests for p in r["messages"][0]["content"])
    assert sum(render_question(row, None) not in sent for row in rows) >= 5, "options should be reordered"
    assert {qid: r["answer"] for qid, r in _records(out).items()} == _by_text(rows)


def test_concurrency_is_bounded(small_root, tmp_path):
    from fake_openai_server import FakeOpenAIServer

    server = FakeOpenAIServer(delay=0.05)
    try:
        assert _predict(small_root, server.url, tmp_path / "p.jsonl", "--limit", "12", "--concurrency", "3",
                        "--no-score") == 0
    finally:
        server.close()
    assert server.max_in_flight == 3 and len(server.requests) == 12


def test_429_and_5xx_are_retried(small_root, fake_server, tmp_path):
    fake_server.faults = [429, 500, 503]
    out = tmp_path / "p.jsonl"
    assert _predict(small_root, fake_server.url, out, "--limit", "2", "--concurrency", "1", "--no-score") == 0
    assert len(fake_server.requests) == 5 and len(_records(out)) == 2


def test_an_endpoint_that_keeps_failing_stops_the_run_and_keeps_what_was_done(small_root, fake_server, tmp_path,
                                                                              capsys):
    out = tmp_path / "p.jsonl"
    assert _predict(small_root, fake_server.url, out, "--limit", "2", "--concurrency", "1", "--no-score") == 0
    fake_server.faults = [500] * 3
    assert _predict(small_root, fake_server.url, out, "--limit", "4", "--concurrency", "1",
                    "--max-retries", "2") == 2
    assert "failed 3 times; last: HTTP 500" in capsys.readouterr().err
    assert len(_records(out)) == 2
    assert _predict(small_root, fake_server.url, out, "--limit", "4", "--no-score") == 0
    assert len(_records(out)) == 4


@pytest.mark.parametrize("body, message", [
    (b"<html>gateway</html>", "malformed JSON"),
    (b'{"object": "error"}', "without choices[0].message.content"),
    (b'{"choices": []}', "without choices[0].message.content"),
], ids=["not-json", "no-choices", "empty-choices"])
def test_a_body_that_is_not_a_completion_is_a_clear_error(small_root, fake_server, tmp_path, capsys, body, message):
    fake_server.faults = [body]
    assert _predict(small_root, fake_server.url, tmp_path / "p.jsonl", "--limit", "1") == 2
    err = capsys.readouterr().err
    assert message in err and fake_server.url in err


def test_client_errors_are_not_retried(small_root, fake_server, tmp_path, capsys):
    fake_server.faults = [401]
    assert _predict(small_root, fake_server.url, tmp_path / "p.jsonl", "--limit", "1") == 2
    assert "HTTP 401" in capsys.readouterr().err and len(fake_server.requests) == 1


def test_a_null_reply_is_recorded_as_no_answer(small_root, fake_server, tmp_path):
    fake_server.faults = [b'{"choices": [{"message": {"role": "assistant", "content": null}}]}']
    out = tmp_path / "p.jsonl"
    assert _predict(small_root, fake_server.url, out, "--limit", "1", "--no-score") == 0
    [record] = _records(out).values()
    assert (record["answer"], record["response"]) == ("", "")


def test_connection_refused_is_retried_then_reported(small_root, tmp_path, capsys):
    from fake_openai_server import FakeOpenAIServer

    server = FakeOpenAIServer()
    server.close()
    assert _predict(small_root, server.url, tmp_path / "p.jsonl", "--limit", "1", "--max-retries", "1") == 2
    assert "failed 2 times; last: ConnectError" in capsys.readouterr().err


def test_loglik_needs_the_transformers_backend(small_root, fake_server, tmp_path, capsys):
    assert _predict(small_root, fake_server.url, tmp_path / "p.jsonl", "--loglik") == 2
    assert "--loglik needs the transformers backend" in capsys.readouterr().err
