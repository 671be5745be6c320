"""The answer key the Space scores against, and one scoring call shared by upload and re-score.

The key is parsed once at start-up and reused for every submission and for re-scoring all of
them. Every result records what it was computed with: scorer version, key sha256, data revision.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from eval import SCORER_VERSION, AnswerKey, Predictions, load_key, read_predictions, score
from mmad_dataset import ANSWER_KEY_FILE, PAPER_TOTAL_QUESTIONS, load_rows

from . import taxonomy
from .envs import Settings

#: Bootstrap resamples per protocol; the intervals are stored with the result and shown on the board.
RESAMPLES = 200


@dataclass(frozen=True)
class KeyInfo:
    """A parsed answer key and where it came from."""

    key: AnswerKey
    description: str
    data_revision: str
    sample_predictions: Path | None = None
    demo: bool = False
    #: How many questions the whole benchmark has; only a key of that size ranks (tests of the board's
    #: ranking set it to their small synthetic key's size).
    full_size: int = PAPER_TOTAL_QUESTIONS

    @property
    def unranked_because(self) -> str | None:
        """Why results scored against this key may not be ranked with MMAD results (None: they may).

        Only the whole benchmark's key ranks: the demo key, a synthetic root or a filtered key have
        fewer questions. (A full-scale `mmad synth` root has the same size: an operator must not serve one.)
        """
        if self.demo:
            return "scored against the synthetic demo key, not MMAD"
        if len(self.key) != self.full_size:
            return (f"scored against a key of {len(self.key):,} questions ({self.description}), "
                    f"not the benchmark's {self.full_size:,}")
        return None


def now_iso(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(predictions: bytes, info: KeyInfo, *, max_bytes: int) -> Predictions:
    """The upload mapped onto the key; gold letters always from the key (never the file's)."""
    return read_predictions(predictions, info.key, max_bytes=max_bytes)


def content_hash(parsed: Predictions) -> str:
    """What the predictions say, not how the file spells it: question id → given answer and the letter
    each protocol reads. Line order, line endings, whitespace, extra keys and the format do not count."""
    answers = {r.qid: [r.given if isinstance(r.given, str) else json.dumps(r.given)] for r in parsed.records}
    for qid, (letter, _) in parsed.strict.items():  # the parser reads each question's both readings together
        answers[qid].append(letter)
    canonical = json.dumps(sorted(answers.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def coverage_fields(result: dict) -> dict:
    """The taxonomy's protocol and coverage of a scored result (the rule: `taxonomy.coverage_of`)."""
    coverage, detail, share = taxonomy.coverage_of(result)
    return {"protocol": taxonomy.OFFICIAL_PROTOCOL, "answered_share": share, "coverage": coverage,
            "coverage_detail": detail}


def key_caveats(info: KeyInfo | None, result: dict) -> list[str]:
    """Why a stored result may not be ranked on a board serving `info` (empty: it may be).

    A score is only as good as the key it was computed with: no key here means it cannot be checked,
    another key's hash means it was scored elsewhere (re-scoring failed or never ran).
    """
    if info is None:
        return ["no answer key is configured here to check its score"]
    if info.unranked_because and not info.demo:  # demo rows are labelled synthetic instead
        return [info.unranked_because]
    used = str((result.get("official") or {}).get("answer_key_sha256") or "")
    if used != info.key.sha256:
        return [f"scored against another answer key (sha256 {used[:12] or 'unknown'}…), not this board's"]
    return []


def score_parsed(parsed: Predictions, info: KeyInfo) -> dict:
    """The stored result of one prediction file: both protocols, coverage, provenance of the numbers."""
    result = score(parsed, info.key, "both", resamples=RESAMPLES)
    return {"scored_at": now_iso(), "scorer_version": SCORER_VERSION, "answer_key_sha256": info.key.sha256,
            "data_revision": info.data_revision, **coverage_fields(result), **result}


def score_bytes(predictions: bytes, info: KeyInfo, *, max_bytes: int) -> dict:
    """`score_parsed` of raw bytes, in this process (tests, benchmarks; the Space scores in `space.worker`)."""
    return score_parsed(parse(predictions, info, max_bytes=max_bytes), info)


def temporary_folder(prefix: str) -> Path:
    """A temporary folder removed when the process exits (demo key, demo store)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def sample_predictions(root: str | Path, out: Path, accuracy: float = 0.7, seed: int = 0) -> Path:
    """A JSONL a newcomer can submit: right answers for about `accuracy` of the questions."""
    from mmad.synth import sample_predictions as synthetic

    out.write_text(synthetic(load_rows(root), accuracy=accuracy, seed=seed), encoding="utf-8")
    return out


def demo_key(workdir: str | Path | None = None) -> KeyInfo:
    """A synthetic mini benchmark (`mmad synth`, 2% scale) and a sample prediction file for it."""
    from mmad.synth import write_root

    folder = Path(workdir) if workdir else temporary_folder("mmad-demo-")
    root = folder / "synthetic_root"
    write_root(root, scale=0.02, seed=0, image_size=8)
    sample = sample_predictions(root, folder / "sample_predictions.jsonl")
    return KeyInfo(load_key(root), "synthetic demo benchmark (mmad synth, scale 0.02, seed 0)",
                   "synthetic-demo-scale0.02-seed0", sample, demo=True)


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
