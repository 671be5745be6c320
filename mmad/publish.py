"""Upload an MMAD export as a Hub dataset repo, in batched commits that a re-run resumes.

`huggingface_hub.upload_folder` only splits a large folder into several resumable commits when
`hf_xet` does the transfer; without it (`HF_HUB_DISABLE_XET=1`, plain LFS) it makes one commit of
everything, and an interruption loses it all. Here the folder is compared with the repo first (path,
size, then the git blob id or LFS SHA-256), only what differs is sent, and it is sent in commits of
at most `BATCH_FILES` files / `BATCH_BYTES` bytes, the card last, so that the repo only advertises
its configs once their files are there. A re-run after an interruption skips every committed file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import mmad_dataset as mm
from mmad.hashing import file_sha256
from mmad.validate import check_root

BATCH_FILES = 2_000
BATCH_BYTES = 2 * 2**30
CARD = "README.md"


@dataclass
class PublishSummary:
    repo: str
    revision: str
    export: Path
    uploaded: int
    unchanged: int
    commits: int


def is_export(folder: Path) -> bool:
    """A folder `mmad export` wrote: its card, the default config's metadata and the answer key."""
    from mmad.export import metadata_file

    return all((folder / name).is_file() for name in (CARD, metadata_file(mm.DEFAULT_CONFIG), mm.ANSWER_KEY_FILE))


def _git_blob_sha(path: Path) -> str:
    """The id git (and the Hub, for a regular file) gives this file's content."""
    digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _card_changed(remote, card: bytes) -> bool:
    return remote is None or remote.size != len(card) or \
        remote.blob_id != hashlib.sha1(b"blob %d\0" % len(card) + card).hexdigest()



def _same(local: Path, remote) -> bool:
    """Whether the repo already holds this file's content (cheap size check first)."""
    if remote is None or remote.size != local.stat().st_size:
        return False
    if remote.lfs is not None:
        return remote.lfs.sha256 == file_sha256(local)
    return remote.blob_id == _git_blob_sha(local)


def prepare_export(root: Path, work: Path | None, *, progress: bool) -> Path:
    """`root` itself if it is an export, else a (re)used export of it; refuses a root that fails validation."""
    from mmad.export import export_root

    report = check_root(root)
    if is_export(root):
        return root
    out = work or root.with_name(root.name + "-hub")
    if is_export(out):
        if (out / "mmad.json").is_file() and file_sha256(out / "mmad.json") == report.mmad_sha256:
            return out
        raise mm.MMADError(f"{out}: holds an export of another mmad.json; remove it or pass --export-dir")
    try:
        export_root(root, out, link=True, progress=progress, report=report)
    except OSError:  # another file system: hard links are impossible, copy instead
        import shutil

        shutil.rmtree(out, ignore_errors=True)
        export_root(root, out, progress=progress, report=report)
    return out


def _batches(files: list[tuple[str, Path]]) -> list[list[tuple[str, Path]]]:
    batches: list[list[tuple[str, Path]]] = [[]]
    size = 0
    for rel, path in files:
        length = path.stat().st_size
        if batches[-1] and (len(batches[-1]) >= BATCH_FILES or size + length > BATCH_BYTES):
            batches.append([])
            size = 0
        batches[-1].append((rel, path))
        size += length
    return [batch for batch in batches if batch]


def _card_for(export: Path, repo: str) -> bytes:
    from mmad.card import with_repo_id

    return with_repo_id((export / CARD).read_text(encoding="utf-8"), repo).encode("utf-8")


def publish(root: str | Path, repo: str, *, revision: str | None = None, private: bool = False,
            work: str | Path | None = None, progress: bool = False) -> PublishSummary:
    """Validate, export if needed, and upload to the dataset repo `repo` (created if absent)."""
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.utils import httpx

    from mmad.download import hub_error

    root = Path(root)
    export = prepare_export(root, Path(work) if work else None, progress=progress)
    api = HfApi()
    local = sorted((path.relative_to(export).as_posix(), path) for path in export.rglob("*") if path.is_file())
    local = [(rel, path) for rel, path in local if not any(part.startswith(".") for part in rel.split("/"))]
    try:
        api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        remote = {entry.path: entry for entry in api.list_repo_tree(repo, repo_type="dataset", revision=revision,
                                                                   recursive=True)
                  if getattr(entry, "size", None) is not None}
        card = _card_for(export, repo)
        pending = [(rel, path) for rel, path in local if rel != CARD and not _same(path, remote.get(rel))]
        card_changed = _card_changed(remote.get(CARD), card)
        commits = [[CommitOperationAdd(rel, str(path)) for rel, path in batch] for batch in _batches(pending)]
        if card_changed:  # the card goes last: a repo whose card is current holds the whole export
            if not commits:
                commits.append([])
            commits[-1].append(CommitOperationAdd(CARD, card))
        total = len(commits)
        for number, operations in enumerate(commits, 1):
            api.create_commit(repo, operations, repo_type="dataset", revision=revision,
                              commit_message=f"MMAD export ({number}/{total})")
            if progress:
                print(f"committed {number}/{total}: {len(operations):,} file(s)", flush=True)
        head = api.dataset_info(repo, revision=revision).sha
    except (OSError, ConnectionError, httpx.HTTPError) as exc:
        raise hub_error(repo, exc) from None
    uploaded = len(pending) + int(card_changed)
    return PublishSummary(repo, head, export, uploaded, len(local) - uploaded, total)
