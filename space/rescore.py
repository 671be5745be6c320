"""Re-score every stored prediction file with the current scorer and answer key.

A result is stale when it was computed by another scorer version or against another answer key;
the Space re-scores stale results when it starts, so a corrected scorer or key reaches the board
with the next restart. The key is parsed once for the whole run; each file is read, scored and its new result written
with the previous one moved into the submission's history. On the Hub all new results go in one
commit. A file that no longer validates keeps its previous result and is reported.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field

from mmad_dataset import MMADError

from eval import SCORER_VERSION

from . import worker
from .scoring import KeyInfo
from .storage import Store, Stored, rescored_files


@dataclass
class RescoreReport:
    rescored: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def summary(self, quote: Callable[[str], str] = str) -> str:
        """Counts, then one line per failure. A reason can quote a stored file's text: `quote` makes it
        inert where the summary is rendered (the Space shows it as markdown)."""
        lines = [f"Re-scored {len(self.rescored)} submission(s); {len(self.failed)} failed."]
        lines += [f"- `{sid}`: {quote(reason)}" for sid, reason in self.failed.items()]
        return "\n".join(lines)


def is_stale(result: dict, key: KeyInfo) -> bool:
    """Whether a stored result predates the current scorer or answer key."""
    return result.get("scorer_version") != SCORER_VERSION or result.get("answer_key_sha256") != key.key.sha256


def stale(submissions: list[Stored], key: KeyInfo) -> list[Stored]:
    return [stored for stored in submissions if is_stale(stored.result, key)]


def rescore_all(store: Store, key: KeyInfo, *, max_bytes: int, submissions: list[Stored] | None = None,
                cpu_seconds: int = worker.DEFAULT_CPU_SECONDS) -> RescoreReport:
    """Score stored submissions again (default: every one) and replace their results, keeping the
    old ones as history. Each file is scored in the CPU-limited worker: a pathological one fails alone."""
    report = RescoreReport()
    updates: dict[str, bytes] = {}
    for stored in store.list() if submissions is None else submissions:
        try:
            result = worker.score_isolated(store.predictions(stored), key, max_bytes=max_bytes,
                                           cpu_seconds=cpu_seconds).result
        except MMADError as exc:
            report.failed[stored.id] = str(exc)
            continue
        updates.update(rescored_files(stored, result))
        report.rescored.append(stored.id)
    store.replace_results(updates)
    return report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", help="local store folder (default: MMAD_STORE or the project's submissions/)")
    parser.add_argument("--repo", help="Hub dataset repo holding the submissions (default: MMAD_SUBMISSIONS_REPO)")
    parser.add_argument("--key", help="answer key: raw root, mmad.json, exported folder or answer_key.jsonl "
                                      "(default: MMAD_DATA_DIR / MMAD_DATA_REPO)")
    parser.add_argument("--data-revision", help="revision recorded with each result (default: MMAD_DATA_REVISION)")
    parser.add_argument("--stale-only", action="store_true",
                        help="only results made by another scorer version or against another answer key")


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from .envs import load_settings
    from .scoring import resolve_key
    from .storage import HubStore, LocalStore

    settings = load_settings()
    overrides = {"data_dir": args.key, "data_revision": args.data_revision, "demo": False if args.key else None}
    settings = dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    key = resolve_key(settings)
    if key is None:
        raise MMADError("no answer key: pass --key or set MMAD_DATA_DIR / MMAD_DATA_REPO")
    repo = args.repo or (None if args.store else settings.submissions_repo)
    if repo:
        import tempfile

        store = HubStore(repo, token=settings.hf_token, mirror=tempfile.mkdtemp(prefix="mmad-rescore-"),
                         endpoint=settings.hub_endpoint, create=False)
        if store.outage:  # an unreadable repo must not pass for an empty one
            raise MMADError(store.outage)
    else:
        store = LocalStore(args.store or settings.store_dir)
    chosen = stale(store.list(), key) if args.stale_only else None
    report = rescore_all(store, key, max_bytes=settings.max_upload_bytes, submissions=chosen,
                         cpu_seconds=settings.score_cpu_seconds)
    print(f"{store.describe()}: {report.summary()}")
    return 1 if report.failed else 0
