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


@pytest.fixture(scope="session")
def labelled_root(small_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small root with every file that any setting can show (all random and similar templates
    included, which the synthetic tree lacks) written as an image labelled with its own path."""
    import json
    import shutil

    from fake_openai_server import labelled_image

    root = tmp_path_factory.mktemp("labelled") / "root"
    root.mkdir()
    for name in ("mmad.json", "domain_knowledge.json"):
        shutil.copyfile(small_root / name, root / name)
    for key, entry in json.loads((root / "mmad.json").read_text()).items():
        source, category = key.split("/")[:2]
        paths = [key, *entry["random_templates"], *entry["similar_templates"]]
        if entry.get("mask_path"):
            paths.append(f"{source}/{category}/{entry['mask_path']}")
        for path in paths:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(labelled_image(path))
    return root
