"""Parse and score one prediction file in a child process with a CPU-time limit.

Scoring reads user text with regular expressions and Python loops. The extractor is linear, but
a path nobody foresaw (a regex that holds the GIL for seconds, a quadratic corner) must cost one
request, not the board: in the server's process it would hold the GIL and every visitor would wait.
So each file is parsed, fingerprinted and scored in a child process whose CPU time is capped with
RLIMIT_CPU; the calling thread only waits on a pipe (without the GIL), and a child over its limit
is killed and reported as a clear error. Children come from multiprocessing's fork server, a
single-threaded process: forking the server itself could copy a lock another thread holds (OpenSSL's,
while a Hub commit hashes a file) into a child that then never finishes. The key travels pickled
(a full-size file: 0.9 s in process, 2.6 s through the worker; docs/leaderboard.md). A wall
clock bound (a child stalled without using CPU) kills it too. `mmad rescore` scores through the same
worker, so a stored pathological file fails alone and keeps its previous result.
"""

from __future__ import annotations

import multiprocessing
import resource
import signal
from dataclasses import dataclass

from mmad_dataset import MMADError

from . import scoring
from .scoring import KeyInfo

#: CPU seconds one file may take to parse and score. A full-size file (39,672 replies) takes a few
#: seconds (benchmarks/bench_score.py); the margin covers slow shared hosts.
DEFAULT_CPU_SECONDS = 60
#: Wall-clock seconds per CPU second allowed before a child that is waiting (not computing) is killed.
WALL_PER_CPU = 4


class ScoringLimitExceeded(MMADError):
    """The child used up its CPU time (or stalled); nothing was stored."""


@dataclass(frozen=True)
class Scored:
    """What the Space needs of a scored upload: the result and the fingerprints duplicates are judged by."""

    result: dict
    predictions_sha256: str
    content_sha256: str


def _measure(content: bytes, info: KeyInfo, max_bytes: int) -> Scored:
    parsed = scoring.parse(content, info, max_bytes=max_bytes)
    return Scored(scoring.score_parsed(parsed, info), parsed.sha256, scoring.content_hash(parsed))


def _child(send, content: bytes, info: KeyInfo, max_bytes: int, cpu_seconds: int, measure) -> None:
    """Runs in the forked child: cap CPU time, compute, send ("ok", Scored) or ("error", the MMADError)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which then kills the child
    used = int(resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_SELF).ru_stime)
    resource.setrlimit(resource.RLIMIT_CPU, (used + cpu_seconds, used + cpu_seconds + 1))
    try:
        outcome = ("ok", measure(content, info, max_bytes))
    except MMADError as exc:
        outcome = ("error", exc)
    except (MemoryError, RecursionError) as exc:
        outcome = ("error", MMADError(f"the file could not be scored ({type(exc).__name__})"))
    try:
        send.send(outcome)
    except Exception:  # an error that does not pickle: its message is enough
        send.send(("error", MMADError(str(outcome[1]))))
    send.close()


def start() -> None:
    """Start the fork server now (it imports the app once, a few seconds), not on the first upload."""
    from multiprocessing import forkserver

    forkserver.ensure_running()


def score_isolated(content: bytes, info: KeyInfo, *, max_bytes: int,
                   cpu_seconds: int = DEFAULT_CPU_SECONDS) -> Scored:
    """`Scored` of one upload, computed in a child with `cpu_seconds` of CPU time; MMADError otherwise.

    A scorer error (bad line, unknown id) is raised with the scorer's message, so the user reads the
    same text as from `mmad score`.
    """
    context = multiprocessing.get_context("forkserver")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, content, info, max_bytes, cpu_seconds, _measure),
                            daemon=True)
    child.start()
    send.close()
    outcome = None
    try:
        if receive.poll(cpu_seconds * WALL_PER_CPU + 5):
            outcome = receive.recv()
    except (EOFError, OSError):  # the child died before sending (killed at its CPU limit, or by the OS)
        pass
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
    if outcome is None:
        raise ScoringLimitExceeded(
            f"scoring this file took more than its limit of {cpu_seconds} s of CPU time (or the scorer stopped) "
            "and was stopped; nothing was stored. A valid file scores in seconds: check it with `mmad score`")
    kind, value = outcome
    if kind == "error":
        raise value
    return value
