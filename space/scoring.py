"""The answer key the Space scores against, and one scoring call shared by upload and re-score.

The key is parsed once at start-up and reused for every submission and for re-scoring all of
them. Every result records what it was computed with: scorer version, key sha256, data revision.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from eval import SCORER_VERSION, AnswerKey, load_key, read_predictions, score
from mmad_dataset import ANSWER_KEY_FILE, load_rows

from .envs import Settings

#: Bootstrap resamples per protocol; the interval is shown in the result JSON, not on the board.
RESAMPLES = 200


@dataclass(frozen=True)
class KeyInfo:
    """A parsed answer key and where it came from."""

    key: AnswerKey
    description: str
    data_revision: str
    sample_predictions: Path | None = None


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def score_bytes(predictions: bytes, info: KeyInfo, *, max_bytes: int) -> dict:
    """The stored result of one prediction file: both protocols plus provenance of the numbers."""
    parsed = read_predictions(predictions, info.key, max_bytes=max_bytes)
    result = score(parsed, info.key, "both", resamples=RESAMPLES)
    return {"scored_at": now_iso(), "scorer_version": SCORER_VERSION, "answer_key_sha256": info.key.sha256,
            "data_revision": info.data_revision, **result}


def sample_predictions(root: str | Path, out: Path, accuracy: float = 0.7, seed: int = 0) -> Path:
    """A JSONL a newcomer can submit: right answers for about `accuracy` of the questions."""
    from mmad.synth import sample_predictions as synthetic

    out.write_text(synthetic(load_rows(root), accuracy=accuracy, seed=seed), encoding="utf-8")
    return out


def demo_key(workdir: str | Path | None = None) -> KeyInfo:
    """A synthetic mini benchmark (`mmad synth`, 2% scale) and a sample prediction file for it."""
    from mmad.synth import write_root

    folder = Path(workdir or tempfile.mkdtemp(prefix="mmad-demo-"))
    root = folder / "synthetic_root"
    write_root(root, scale=0.02, seed=0, image_size=8)
    sample = sample_predictions(root, folder / "sample_predictions.jsonl")
    return KeyInfo(load_key(root), "synthetic demo benchmark (mmad synth, scale 0.02, seed 0)",
                   "synthetic-demo-scale0.02-seed0", sample)


def hub_key_path(settings: Settings) -> Path:
    """`answer_key.jsonl` of the Hub dataset at the pinned revision (downloaded into the HF cache)."""
    from huggingface_hub import hf_hub_download

    return Path(hf_hub_download(settings.data_repo, ANSWER_KEY_FILE, repo_type="dataset",
                                revision=settings.data_revision, token=settings.hf_token))


def resolve_key(settings: Settings) -> KeyInfo | None:
    """The configured key, or None when none is configured (the board still works)."""
    if settings.demo:
        return demo_key()
    if settings.data_dir:
        path = Path(settings.data_dir)
        return KeyInfo(load_key(path), f"local data {path.name}", settings.data_revision or f"local:{path.name}")
    if settings.data_repo:
        revision = settings.data_revision or "main"
        return KeyInfo(load_key(hub_key_path(settings)), f"Hub dataset {settings.data_repo}@{revision}",
                       f"{settings.data_repo}@{revision}")
    return None
