"""Fixtures for the Space's tests: a parsed synthetic key, prediction files, settings, the fake Hub."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from fake_hub import fake_hub  # noqa: F401  (re-exported fixture)

from eval import load_key
from space.envs import load_settings
from space.scoring import KeyInfo, sample_predictions


@pytest.fixture(scope="session")
def key_info(small_root: Path) -> KeyInfo:
    """The small synthetic key, standing in for the whole benchmark (so that its results rank)."""
    key = load_key(small_root)
    return KeyInfo(key, "synthetic test key", "test-revision", full_size=len(key))


@pytest.fixture
def make_predictions(small_root: Path, tmp_path: Path):
    """`make_predictions(seed=…, accuracy=…)` → a JSONL path for the synthetic key; seeds give distinct files."""
    def make(seed: int = 0, accuracy: float = 0.7) -> Path:
        return sample_predictions(small_root, tmp_path / f"predictions_{seed}_{accuracy}.jsonl", accuracy, seed)
    return make


@pytest.fixture
def settings(tmp_path: Path):
    """Settings for a local run with a temporary store, as if no environment variable were set."""
    return dataclasses.replace(load_settings({}), store_dir=tmp_path / "store", local_user="tester")


@pytest.fixture
def serve(settings):
    """`serve(key, **settings_changes)` → a Client for a freshly launched app; closed after the test."""
    from gradio_client import Client

    from space.app import build_demo, launch_options

    launched = []

    def start(key, **changes):
        configured = dataclasses.replace(settings, **changes)
        demo = build_demo(configured, key=key, enable_login=False)
        _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True,
                                **launch_options(configured))
        launched.append(demo)
        return Client(url, verbose=False, download_files=False)

    yield start
    for demo in launched:
        demo.close()
