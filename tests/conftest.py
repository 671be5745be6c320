"""Fixtures shared by every test area: a small synthetic raw root and an isolated HF cache.

Hypothesis runs derandomised (the same examples on every machine and every run) and without its
example database, so a CI failure reproduces locally; `.hypothesis/` (where it still caches Unicode
tables) is ignored by git. Set HYPOTHESIS_PROFILE=explore to search with fresh random examples.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from mmad.synth import write_root

hypothesis_settings.register_profile("deterministic", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


@pytest.fixture(autouse=True)
def isolated_hf_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Offline, with fresh caches per test: `load_dataset` silently reuses a stale cache otherwise.

    `datasets` and `huggingface_hub` read HF_HOME and HF_HUB_OFFLINE once, at import, so the
    environment alone would leave both on the shared defaults: their constants are patched too.
    Tests against the fake Hub (`tests/fake_hub.py`) turn offline mode back off.
    """
    import datasets.config
    import huggingface_hub.constants as hub

    home = tmp_path_factory.mktemp("hf_home")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(home / "datasets"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MMAD_CACHE", str(home / "mmad_cache"))
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hub, "HF_HOME", str(home))
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        monkeypatch.setattr(hub, name, str(home / "hub"))
    monkeypatch.setattr(hub, "HF_XET_CACHE", str(home / "xet"))
    cache = home / "datasets"
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    monkeypatch.setattr(datasets.config, "DOWNLOADED_DATASETS_PATH", cache / "downloads")
    monkeypatch.setattr(datasets.config, "EXTRACTED_DATASETS_PATH", cache / "downloads" / "extracted")
    return home


@pytest.fixture(scope="session")
def small_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic raw root at 2% scale (every source, category and subtask present). Read-only."""
    root = tmp_path_factory.mktemp("mmad_small")
    write_root(root, scale=0.02, seed=0)
    return root


@pytest.fixture(scope="session")
def full_mmad_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A full-scale synthetic `mmad.json` (no images): 8,366 images, 39,672 questions. Read-only."""
    import json

    from mmad.synth import build_mmad_json

    path = tmp_path_factory.mktemp("mmad_full") / "mmad.json"
    path.write_text(json.dumps(build_mmad_json(1.0, seed=0)), encoding="utf-8")
    return path
