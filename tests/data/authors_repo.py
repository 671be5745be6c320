"""The authors' Hub dataset repo (`jiang-cc/MMAD`), rebuilt from a synthetic root on the fake Hub.

As upstream: `mmad.json` and `domain_knowledge.json` at the repo root, and one zip per root folder
whose members start with that folder (`VisA/candle/test/bad/000.JPG`), folder entries included.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from huggingface_hub import CommitOperationAdd, HfApi

AUTHORS = "jiang-cc/MMAD"
FOLDERS = ("DS-MVTec", "MVTec-AD", "MVTec-LOCO", "VisA", "GoodsAD")


def zip_folder(root: Path, folder: str) -> bytes:
    """`folder/` of `root` zipped the way `zip -r folder.zip folder` does (directories as entries)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted((root / folder).rglob("*")):
            bundle.write(path, path.relative_to(root).as_posix() + ("/" if path.is_dir() else ""))
    return buffer.getvalue()


def zip_of(members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    """A hand-made zip: regular members, plus symbolic links (name → target) if asked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, content in members.items():
            bundle.writestr(name, content)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            bundle.writestr(info, target)
    return buffer.getvalue()


def upload_authors_repo(root: Path, repo: str = AUTHORS, replace: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """Create `repo` on the (fake) Hub holding `root` as upstream ships it; returns what was uploaded."""
    files = {name: (root / name).read_bytes() for name in ("mmad.json", "domain_knowledge.json")}
    files.update({f"{folder}.zip": zip_folder(root, folder) for folder in FOLDERS})
    files.update(replace or {})
    api = HfApi()
    api.create_repo(repo, repo_type="dataset", exist_ok=True)
    api.create_commit(repo, [CommitOperationAdd(name, content) for name, content in files.items()],
                      repo_type="dataset", commit_message="authors' files")
    return files
