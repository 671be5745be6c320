"""The OpenAI backend against a real server: `transformers serve` hosting the tiny model.

`transformers serve` needs the `openai` and `accelerate` packages, which the project does not
install; where they are missing this module is skipped (the fake server's tests still run).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from mmad.cli import main

pytest.importorskip("openai", reason="transformers serve needs the openai package")
pytest.importorskip("accelerate", reason="transformers serve needs accelerate")


#: Attempts to start the server; each picks a new port, since another process may take a free one
#: between our probe and the server's bind.
STARTS = 3
#: Seconds one start may take to answer (loading transformers on a busy CPU is slow).
READY_WITHIN = 180.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(model: str, port: int, log) -> subprocess.Popen:
    command = ("import sys; from transformers.cli.transformers import main; "
               f"sys.argv = ['transformers', 'serve', {model!r}, '--host', '127.0.0.1', '--port', '{port}']; main()")
    return subprocess.Popen([sys.executable, "-c", command], stdout=subprocess.DEVNULL, stderr=log,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})


def _answers(url: str, process: subprocess.Popen) -> bool:
    """Poll until the server answers (True) or its process exits (False); fail after READY_WITHIN."""
    import httpx

    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/models", timeout=1.0)
            return True
        except httpx.TransportError:
            if process.poll() is not None:
                return False
            time.sleep(0.5)
    process.kill()
    pytest.fail(f"transformers serve did not answer at {url} within {READY_WITHIN:.0f} s")


@pytest.fixture(scope="module")
def served(tiny_vlm):
    """A `transformers serve` process on a free local port, ready to answer; fails clearly if none starts."""
    last = ""
    for _ in range(STARTS):
        port = _free_port()
        with tempfile.TemporaryFile() as log:
            process = _start(str(tiny_vlm), port, log)
            url = f"http://127.0.0.1:{port}/v1"
            if _answers(url, process):
                try:
                    yield url
                finally:
                    process.terminate()
                    process.wait(timeout=30)
                return
            log.seek(0)
            last = log.read().decode(errors="replace")[-300:]
    pytest.fail(f"transformers serve exited before answering, {STARTS} times; last stderr: {last}")


def test_served_model_gives_the_same_replies_as_the_local_backend(served, tiny_vlm, small_root, tmp_path):
    common = ["--data-dir", str(small_root), "--limit", "8", "--max-new-tokens", "6", "--no-score"]
    local, remote = tmp_path / "local.jsonl", tmp_path / "remote.jsonl"
    assert main(["predict", "--model", str(tiny_vlm), "--out", str(local), *common]) == 0
    assert main(["predict", "--backend", "openai", "--base-url", served, "--model", str(tiny_vlm),
                 "--out", str(remote), "--concurrency", "2", *common]) == 0

    def replies(path):
        return {r["question_id"]: r for r in map(json.loads, path.read_text().splitlines())}

    assert replies(remote) == replies(local)
    assert len({r["response"] for r in replies(local).values()}) > 4
