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
import time

import pytest

from mmad.cli import main

pytest.importorskip("openai", reason="transformers serve needs the openai package")
pytest.importorskip("accelerate", reason="transformers serve needs accelerate")


@pytest.fixture(scope="module")
def served(tiny_vlm):
    """A `transformers serve` process on a free local port, ready to answer."""
    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = ("import sys; from transformers.cli.transformers import main; "
               f"sys.argv = ['transformers', 'serve', {str(tiny_vlm)!r}, '--host', '127.0.0.1', '--port', '{port}']; "
               "main()")
    process = subprocess.Popen([sys.executable, "-c", command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "HF_HUB_OFFLINE": "1"})
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(240):
            try:
                httpx.get(f"{url}/models", timeout=1.0)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    pytest.fail("transformers serve exited before answering")
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


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
