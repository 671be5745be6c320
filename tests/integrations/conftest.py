"""Fixtures for the harness integrations: a tiny synthetic raw root and its export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmad.export import export_root
from mmad.synth import write_root

@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """39 questions over 11 images, every source and subtask, every listed template; 28-px images."""
    from PIL import Image

    root = tmp_path_factory.mktemp("mmad_tiny") / "raw"
    write_root(root, scale=0.001, seed=0, image_size=28)
    mmad = json.loads((root / "mmad.json").read_text(encoding="utf-8"))
    listed = {path for entry in mmad.values() for name in ("random_templates", "similar_templates")
              for path in entry.get(name) or []}
    for n, path in enumerate(sorted(listed)):  # synth writes only the templates an export needs
        if not (root / path).exists():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (28, 28), (n % 256, 255 - n % 256, 7 * n % 256)).save(root / path)
    return root


@pytest.fixture(scope="session")
def tiny_export(tiny_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mmad export` of the tiny root: self-sufficient (every k-shot template, domain_knowledge.json),
    so each setting can be shown from it alone."""
    out = tmp_path_factory.mktemp("mmad_tiny_export") / "MMAD-hub"
    export_root(tiny_root, out)
    return out


@pytest.fixture(scope="session")
def raw_rows(tiny_root: Path) -> list[dict]:
    """The raw `mmad.json` flattened by hand: (image key, index, conversation entry, image entry)."""
    mmad = json.loads((tiny_root / "mmad.json").read_text(encoding="utf-8"))
    return [{"image": key, "index": i, "qa": qa, "entry": entry}
            for key, entry in mmad.items() for i, qa in enumerate(entry["conversation"])]

