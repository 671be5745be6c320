"""Where the questions, images and answer key of a run come from: a local folder or a Hub dataset.

A local folder (`--data-dir`) is a raw MMAD root or an `mmad export` folder. A Hub dataset
(`--dataset ORG/NAME[@REV]`, published by `mmad publish` or `hf upload` of an export) is read
at one commit: the revision is resolved to its sha once, then the answer key and exactly the
images the chosen prompts show are downloaded at that sha into the Hugging Face cache, whose
snapshot folder then serves as the run's root. The answer key that chose the questions is the
one the run is scored against, so a run never mixes two revisions.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmad_dataset import (ANSWER_KEY_FILE, DOMAIN_KNOWLEDGE_FILE, MMADError, describe_missing, hub_error, load_rows,
                          read_json)

from ..errors import quoted

#: Parallel file downloads from the Hub (huggingface_hub's own snapshot_download default).
DOWNLOAD_WORKERS = 8


@dataclass
class LocalData:
    """A raw root or an export folder on disk."""

    root: Path

    @property
    def key_path(self) -> Path:
        return self.root

    def rows(self) -> list[dict[str, Any]]:
        return load_rows(self.root)

    def domain_knowledge(self) -> dict | None:
        path = self.root / DOMAIN_KNOWLEDGE_FILE
        return read_json(path.read_bytes(), str(path)) if path.is_file() else None

    def require(self, paths: list[str], why: str) -> None:
        missing = [path for path in paths if not (self.root / path).is_file()]
        if missing:
            raise MMADError(f"{self.root}: {describe_missing(missing)}; {why}")

    def describe(self) -> dict[str, Any]:
        return {"data_dir": str(self.root.resolve()), "dataset": None}


def parse_dataset(spec: str) -> tuple[str, str]:
    """`ORG/NAME[@REV]` → (repo id, revision; `main` when none is given)."""
    repo, _, revision = spec.partition("@")
    if repo.count("/") != 1 or not all(repo.split("/")) or (spec.count("@") and not revision):
        raise MMADError(f"--dataset {quoted(spec)}: expected ORG/NAME or ORG/NAME@REVISION")
    return repo, revision or "main"


def hub_failure(what: str, exc: Exception) -> MMADError:
    """A failed Hub request of `mmad predict`, with the local alternatives when offline."""
    return hub_error(what, exc, offline_hint="unset it, or use a local copy (--data-dir, a model folder, "
                                             "or --model tiny)")


@dataclass
class HubData:
    """A dataset repo at one commit, downloaded file by file into the Hugging Face cache."""

    repo: str
    revision: str
    sha: str
    listed: frozenset[str]
    root: Path

    @classmethod
    def open(cls, spec: str) -> HubData:
        """Resolve the revision to its commit and fetch the answer key (the rows of every question)."""
        from huggingface_hub import HfApi

        repo, revision = parse_dataset(spec)
        try:
            info = HfApi().dataset_info(repo, revision=revision, timeout=30)
        except Exception as exc:  # the HTTP client's transport errors are huggingface_hub's own choice
            raise hub_failure(f"dataset {repo}@{revision}", exc) from None
        listed = frozenset(sibling.rfilename for sibling in info.siblings or ())
        if ANSWER_KEY_FILE not in listed:
            raise MMADError(f"dataset {repo}@{revision} has no {ANSWER_KEY_FILE}, so it is not an `mmad export` "
                            "folder (the authors' zips: fetch them with `mmad download`, then use --data-dir)")
        key = _fetch(repo, revision, info.sha, ANSWER_KEY_FILE)
        return cls(repo, revision, info.sha, listed, key.parent)

    @property
    def key_path(self) -> Path:
        return self.root / ANSWER_KEY_FILE

    def rows(self) -> list[dict[str, Any]]:
        return load_rows(self.key_path)

    def domain_knowledge(self) -> dict | None:
        if DOMAIN_KNOWLEDGE_FILE not in self.listed:
            return None
        [path] = self._download([DOMAIN_KNOWLEDGE_FILE])
        return read_json(path.read_bytes(), str(path))

    def require(self, paths: list[str], why: str) -> None:
        """Download the files not cached yet, after checking that the commit holds them all."""
        missing = [path for path in paths if path not in self.listed]
        if missing:
            raise MMADError(f"dataset {self.repo}@{self.revision}: {describe_missing(missing)}; {why}")
        self._download([path for path in paths if not (self.root / path).is_file()])

    def describe(self) -> dict[str, Any]:
        return {"data_dir": str(self.root), "dataset": {"repo": self.repo, "revision": self.revision,
                                                         "sha": self.sha}}

    def _download(self, paths: list[str]) -> list[Path]:
        """Each file at the resolved commit, in parallel."""
        from tqdm import tqdm

        if len(paths) < 2:
            return [_fetch(self.repo, self.revision, self.sha, path) for path in paths]
        with ThreadPoolExecutor(DOWNLOAD_WORKERS) as pool:
            fetched = pool.map(lambda path: _fetch(self.repo, self.revision, self.sha, path), paths)
            return list(tqdm(fetched, total=len(paths), unit="file", desc=f"fetching {self.repo}"))


def _fetch(repo: str, revision: str, sha: str, path: str) -> Path:
    """One file of the dataset at commit `sha`, into (or from) the Hugging Face cache."""
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(repo, path, repo_type="dataset", revision=sha))
    except Exception as exc:  # see `HubData.open`
        raise hub_failure(f"dataset {repo}@{revision}: {path}", exc) from None

