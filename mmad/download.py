"""Fetch the authors' MMAD files from a Hub dataset repo and unpack them into a raw root.

The authors' repo (`jiang-cc/MMAD`) holds `mmad.json`, `domain_knowledge.json` and one zip per root
folder (`DS-MVTec.zip`, `MVTec-AD.zip`, `MVTec-LOCO.zip`, `VisA.zip`, `GoodsAD.zip`; also
`ALL_DATA.zip`, which is never needed here). Each zip unpacks to its folder (`VisA/...`). Only the
zips of the chosen sources are fetched; DS-MVTec's templates live in `MVTec-AD.zip`.

Downloads go through `hf_hub_download` (the HF cache, `HF_ENDPOINT`, `HF_TOKEN`, resumable
`.incomplete` files), pinned to the commit the revision pointed at when the run began. Every file
is checked against the size and, for LFS files, the SHA-256 the Hub lists. A state file in the
root (`.mmad-download.json`) remembers which zips were verified and unpacked, so a re-run skips
them and only redoes what was not finished.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import mmad_dataset as mm
from mmad.hashing import file_sha256

AUTHORS_REPO = "jiang-cc/MMAD"
STATE_FILE = ".mmad-download.json"
#: Upstream's own wrapper folder (`ALL_DATA.zip` unpacks to `ALL_DATA/...`); tolerated inside a per-source zip.
_WRAPPER = "ALL_DATA"


def zip_name(folder: str) -> str:
    return f"{folder}.zip"


def folders_for(sources: Iterable[str]) -> list[str]:
    """Root folders the sources need, in root order: DS-MVTec also needs its MVTec-AD templates."""
    wanted = set(sources)
    if "DS-MVTec" in wanted:
        wanted.add(mm.TEMPLATE_SOURCE)
    return [folder for folder in mm.ROOT_FOLDERS if folder in wanted]


@dataclass
class RemoteFile:
    """What the Hub says about one file at the pinned commit."""

    name: str
    size: int | None
    sha256: str | None


@dataclass
class DownloadSummary:
    root: Path
    revision: str
    fetched: list[str]
    extracted: list[str]
    skipped: list[str]
    rows: int
    images: int



def hub_error(repo: str, exc: Exception) -> mm.MMADError:
    """A failed Hub request of `mmad download` / `mmad publish` (`mmad_dataset.hub_error`)."""
    return mm.hub_error(repo, exc, offline_hint="this command needs the Hub; unset it and retry")


def remote_files(repo: str, revision: str | None) -> tuple[str, dict[str, RemoteFile]]:
    """The commit `revision` points at, and the files there with their sizes and LFS hashes."""
    from huggingface_hub import HfApi
    from huggingface_hub.utils import httpx

    try:
        info = HfApi().dataset_info(repo, revision=revision, files_metadata=True)
    except (OSError, ConnectionError, httpx.HTTPError) as exc:
        raise hub_error(repo, exc) from None
    files = {s.rfilename: RemoteFile(s.rfilename, s.size, s.lfs.sha256 if s.lfs else None)
             for s in info.siblings or []}
    return info.sha, files


class _State:
    """`.mmad-download.json`: zips verified and unpacked, by their SHA-256 (or size when the Hub gives none)."""

    def __init__(self, root: Path):
        self.path = root / STATE_FILE
        self.data: dict[str, Any] = {}
        if self.path.is_file():
            with contextlib.suppress(mm.MMADError):  # unreadable: everything is redone, nothing trusted
                data = mm.read_json(self.path.read_bytes(), str(self.path))
                self.data = data if isinstance(data, dict) else {}

    @staticmethod
    def fingerprint(remote: RemoteFile) -> str:
        return remote.sha256 or f"size:{remote.size}"

    def done(self, remote: RemoteFile) -> bool:
        return self.data.get("extracted", {}).get(remote.name) == self.fingerprint(remote)

    def moving(self, name: str) -> bool:
        """Whether an earlier run was interrupted while moving this zip's files into place."""
        return self.data.get("moving") == name

    def begin_move(self, name: str) -> None:
        self.data["moving"] = name
        self._save()

    def mark(self, remote: RemoteFile) -> None:
        self.data.setdefault("extracted", {})[remote.name] = self.fingerprint(remote)
        self.data.pop("moving", None)
        self._save()

    def _save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)


def fetch(repo: str, remote: RemoteFile, revision: str) -> Path:
    """Download one file into the HF cache (resuming a partial one) and check it against the Hub's metadata."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.utils import httpx

    try:
        path = Path(hf_hub_download(repo, remote.name, repo_type="dataset", revision=revision))
    except (OSError, ConnectionError, httpx.HTTPError) as exc:
        raise hub_error(repo, exc) from None
    size = path.stat().st_size
    problem = None
    if remote.size is not None and size != remote.size:
        problem = f"{size:,} bytes where the Hub lists {remote.size:,}"
    elif remote.sha256 and file_sha256(path) != remote.sha256:
        problem = f"SHA-256 differs from the Hub's {remote.sha256}"
    if problem:
        _evict(path)
        raise mm.MMADError(f"{remote.name}: corrupt download ({problem}); removed from the cache, run again to refetch")
    return path


def _evict(path: Path) -> None:
    """Drop a cached file (the snapshot link and its blob) so the next run downloads it again."""
    blob = path.resolve()
    path.unlink(missing_ok=True)
    blob.unlink(missing_ok=True)


def _member_target(info: zipfile.ZipInfo, folder: str, archive: str) -> PurePosixPath | None:
    """The member's path inside the root, or None for an entry to skip; refuses anything unsafe.

    Accepted layouts (the real zips' inner layout could not be inspected here): `VisA/...`,
    `ALL_DATA/VisA/...`, or the folder's content at the top (`candle/...`, a category of VisA).
    macOS metadata (`__MACOSX/`) and folder entries are skipped after the safety checks.
    """
    name = info.filename.replace("\\", "/")
    path = PurePosixPath(name)
    if stat.S_ISLNK(info.external_attr >> 16):
        raise mm.MMADError(f"{archive}: refused: member {name[:200]!r} is a symbolic link")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in path.parts:
        raise mm.MMADError(f"{archive}: refused: member {name[:200]!r} would be written outside the target folder")
    parts = path.parts[1:] if path.parts[:1] == (_WRAPPER,) else path.parts
    if info.is_dir() or not parts or parts[0] == "__MACOSX":
        return None
    if parts[0] == folder:
        return PurePosixPath(*parts)
    if parts[0] in _categories(folder):
        return PurePosixPath(folder, *parts)
    raise mm.MMADError(f"{archive}: refused: member {name[:200]!r} is not under {folder}/")


#: The most bytes one zip may unpack to, by the sizes it declares (all of MMAD is 28 GB unpacked).
MAX_UNPACKED_BYTES = 64 * 2**30
#: Images barely compress (PNG, JPEG): a member declaring this many times its compressed size is a zip
#: bomb (1.2 MB of zeros declaring 1.1 GB is ~900). Members under `_RATIO_FLOOR` bytes are exempt.
MAX_COMPRESSION_RATIO = 100
_RATIO_FLOOR = 1 << 20


def _check_members(files: list[tuple[zipfile.ZipInfo, PurePosixPath]], archive: str) -> None:
    """Refuse duplicate targets and sizes no real MMAD zip declares, before anything is written."""
    counts = Counter(str(target) for _, target in files)
    duplicate = next((name for name, count in counts.items() if count > 1), None)
    if duplicate is not None:
        raise mm.MMADError(f"{archive}: refused: {counts[duplicate]} members unpack to {duplicate[:200]!r}")
    total = sum(info.file_size for info, _ in files)
    if total > MAX_UNPACKED_BYTES:
        raise mm.MMADError(f"{archive}: refused: it declares {total:,} bytes unpacked, over the limit "
                           f"of {MAX_UNPACKED_BYTES:,}")
    for info, _ in files:
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise mm.MMADError(f"{archive}: refused: member {info.filename[:200]!r} declares {info.file_size:,} "
                               f"bytes from {info.compress_size:,} compressed (over {MAX_COMPRESSION_RATIO}x: "
                               "a zip bomb, not an image)")


def _copy_member(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, out: Path) -> None:
    """Copy one member, streaming. zipfile itself never yields more bytes than the member declares
    (a member holding more fails its CRC: `BadZipFile`, reported as a corrupt zip)."""
    with bundle.open(info) as source, out.open("wb") as sink:
        shutil.copyfileobj(source, sink)


def _categories(folder: str) -> tuple[str, ...]:
    return mm.CATEGORIES["DS-MVTec" if folder == mm.TEMPLATE_SOURCE else folder]


def extract(archive: Path, name: str, folder: str, root: Path, state: _State, *, force: bool,
            progress: bool) -> int:
    """Unpack `folder/` from `archive` into `root`, all members checked before anything is written.

    Files are unpacked into a scratch folder inside `root`, then moved into place, so an interrupted
    run never leaves a half-written source folder that looks complete. Returns the files written.
    """
    from tqdm import tqdm

    scratch = root / f".{name}.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [(info, _member_target(info, folder, name)) for info in bundle.infolist()]
            files = [(info, target) for info, target in members if target is not None]
            _check_members(files, name)
            clashes = [str(t) for _, t in files if (root / t).exists()]
            if clashes and not force and not state.moving(name):
                raise mm.MMADError(f"{root}: {len(clashes):,} file(s) of {name} already exist, e.g. {clashes[0]}; "
                                   "use --force to overwrite them")
            for info, target in tqdm(files, desc=f"unpacking {name}", unit="file", disable=not progress):
                (scratch / target).parent.mkdir(parents=True, exist_ok=True)
                _copy_member(bundle, info, scratch / target)
    except zipfile.BadZipFile as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        raise mm.MMADError(f"{name}: corrupt zip ({exc}); delete it from the HF cache and run again") from None
    except BaseException:  # refused, disk full, interrupted: no half-unpacked scratch folder stays behind
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    state.begin_move(name)
    for _, target in files:
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        os.replace(scratch / target, root / target)
    shutil.rmtree(scratch, ignore_errors=True)
    return len(files)


def _place_text_file(cached: Path, target: Path, *, force: bool) -> bool:
    """Copy `mmad.json` / `domain_knowledge.json` into the root; True if it was written."""
    if target.is_file() and target.read_bytes() == cached.read_bytes():
        return False
    if target.exists() and not force:
        raise mm.MMADError(f"{target}: already exists with other content; use --force to overwrite it")
    shutil.copyfile(cached, target)
    return True


def validate_sources(root: Path, sources: list[str]) -> tuple[int, int]:
    """What `mmad validate` checks, for the chosen sources: a well-formed mmad.json and every file they use."""
    rows, missing_anywhere = mm.read_root(root, lenient=True)  # lenient: other sources may be absent
    chosen = [row for row in rows if row["source"] in sources]
    used = set(mm.referenced_files(chosen))
    missing = [path for path in missing_anywhere if path in used]
    if missing:
        raise mm.MMADFormatError(mm.describe_missing(missing) + " after unpacking; the zips do not match mmad.json")
    return len(chosen), len({row["image_path"] for row in chosen})


def download(root: str | Path, *, sources: Iterable[str] = mm.SOURCES, repo: str = AUTHORS_REPO,
             revision: str | None = None, force: bool = False, progress: bool = False) -> DownloadSummary:
    """Fetch, verify and unpack what `sources` need into `root`, then validate it."""
    root = Path(root)
    sources = [source for source in mm.SOURCES if source in set(sources)]
    sha, remote = remote_files(repo, revision)
    folders = folders_for(sources)
    needed = [*mm.ROOT_TEXT_FILES, *map(zip_name, folders)]
    absent = [name for name in needed if name not in remote]
    if absent:
        raise mm.MMADError(f"{repo}@{sha[:12]}: has no {', '.join(absent)}; is this the MMAD dataset repo?")
    root.mkdir(parents=True, exist_ok=True)
    state = _State(root)
    fetched, extracted, skipped = [], [], []
    for name in mm.ROOT_TEXT_FILES:
        if _place_text_file(fetch(repo, remote[name], sha), root / name, force=force):
            fetched.append(name)
    for folder in folders:
        entry = remote[zip_name(folder)]
        if state.done(entry) and (root / folder).is_dir():
            skipped.append(entry.name)
            continue
        archive = fetch(repo, entry, sha)
        fetched.append(entry.name)
        extract(archive, entry.name, folder, root, state, force=force, progress=progress)
        state.mark(entry)
        extracted.append(folder)
    rows, images = validate_sources(root, sources)
    return DownloadSummary(root, sha, fetched, extracted, skipped, rows, images)
