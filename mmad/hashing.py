"""The SHA-256 of a file, read in 1 MiB blocks: how the Hub's LFS metadata names a file's content,
so `mmad download` and `mmad publish` compare local files with the repo's without loading them whole."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
