"""The parsed-key cache: reused while the key is unchanged, never trusted once it changes."""

from __future__ import annotations

import json
import marshal
import os

from cases import MINI_MMAD, write_mini
from eval import load_key


def test_cache_is_written_reused_and_invalidated(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("MMAD_CACHE", str(cache))
    path = write_mini(tmp_path)
    first = load_key(path)
    entries = list(cache.iterdir())
    assert len(entries) == 1
    fmt, _, rows = marshal.loads(entries[0].read_bytes())
    entries[0].write_bytes(marshal.dumps((fmt, "f" * 64, rows)))
    assert load_key(path).sha256 == "f" * 64  # served from the entry, not re-parsed
    body = json.loads(path.read_text())
    body[next(iter(MINI_MMAD))]["conversation"][0]["Answer"] = "A"
    path.write_text(json.dumps(body))
    os.utime(path, ns=(1, 1))
    changed = load_key(path)
    assert changed.sha256 != first.sha256 and changed.questions[0].answer == "A"
    assert changed.sha256 == load_key(path, cache=False).sha256


def test_corrupt_entry_is_ignored(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("MMAD_CACHE", str(cache))
    path = write_mini(tmp_path)
    expected = load_key(path).sha256
    for entry in cache.iterdir():
        entry.write_bytes(b"not marshal")
    assert load_key(path).sha256 == expected


def test_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("MMAD_CACHE", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    load_key(write_mini(tmp_path))
    assert not (tmp_path / "xdg").exists()


def test_the_key_module_does_not_import_its_cache():
    """key_cache builds on key (types, parsing); key importing key_cache back made an import cycle."""
    import ast

    import eval.key

    tree = ast.parse(open(eval.key.__file__, encoding="utf-8").read())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if "key_cache" in name}
