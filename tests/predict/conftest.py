"""Fixtures of the runner's tests: a tiny random LLaVA checkpoint and a fake chat endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_openai_server import FakeOpenAIServer


@pytest.fixture(scope="session")
def tiny_vlm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised LLaVA (2 layers, 32 wide, tokenizer trained on the spot), saved to disk."""
    from eval.predict.random_model import build_random_vlm

    folder = tmp_path_factory.mktemp("tiny_vlm")
    build_random_vlm(folder)
    return folder


@pytest.fixture
def fake_server():
    server = FakeOpenAIServer()
    yield server
    server.close()
