"""Leaderboard performance with many stored verified submissions (generated on a small synthetic key).

    python benchmarks/bench_space.py [--submissions 1000] [--runs 3] [--sample 20]

Measures, as the median of `--runs` runs:
- app start-to-ready: `python space/app.py` spawned until `/leaderboard` answers over HTTP;
- `/leaderboard` latency through gradio_client (median of 20 calls per run);
- re-score-all: `mmad rescore` in one process over every stored submission, against the time of
  `mmad score` run once per submission in separate processes. The latter is measured on `--sample`
  files and extrapolated to all of them (said so in the output).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mmad.synth import sample_predictions, write_root  # noqa: E402
from mmad_dataset import load_rows  # noqa: E402
from space.ranking import ALL_ENTRIES  # noqa: E402
from space.scoring import RESAMPLES, KeyInfo, score_bytes  # noqa: E402
from space.storage import Files, LocalStore, new_submission_id  # noqa: E402


def predictions(rows: list[dict], seed: int) -> bytes:
    """A submission of random quality, so that the board has distinct rows."""
    return sample_predictions(rows, accuracy=random.Random(seed).uniform(0.3, 0.9), seed=seed).encode()


def fill_store(store: LocalStore, root: Path, count: int) -> None:
    from eval import load_key

    rows = load_rows(root)
    info = KeyInfo(load_key(root), "bench", "bench-rev")
    for i in range(count):
        content = predictions(rows, i)
        sid = new_submission_id()
        metadata = {"model_name": f"bench-model-{i}", "link": "", "license": "", "size": f"{1 + i % 80}B",
                    "model_type": "open", "setting": "1-shot", "training_exposure": "none declared", "notes": "",
                    "user": f"user{i % 50}", "submitted_at": "2026-01-01T00:00:00Z",
                    "predictions_sha256": str(i), "predictions_file": "predictions.jsonl", "submission_id": sid}
        store.save(Files.for_submission(sid, content, "predictions.jsonl", metadata,
                                        score_bytes(content, info, max_bytes=10**8)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_to_ready(store: Path, root: Path, calls: int, stored: int) -> tuple[float, list[float]]:
    """Seconds from spawn until /leaderboard answers, and the latencies of `calls` more calls."""
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "MMAD_STORE": str(store), "MMAD_DATA_DIR": str(root), "GRADIO_SERVER_PORT": str(port),
           "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_ANALYTICS_ENABLED": "False"}
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(ROOT / "space" / "app.py")], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                client = Client(f"http://127.0.0.1:{port}", verbose=False)
                client.predict(api_name="/leaderboard")
                break
            except Exception:
                if process.poll() is not None or time.perf_counter() - start > 300:
                    raise RuntimeError("the app did not become ready") from None
                time.sleep(0.05)
        ready = time.perf_counter() - start
        latencies = []
        for _ in range(calls):
            begin = time.perf_counter()
            # every entry: results on this small synthetic key are shown but never ranked
            table = client.predict(show=ALL_ENTRIES, api_name="/leaderboard")
            latencies.append(time.perf_counter() - begin)
        assert len(table["data"]) >= stored, "the board should list every stored submission"
        return ready, latencies
    finally:
        process.terminate()
        process.wait(timeout=30)


def timed(command: list[str]) -> float:
    begin = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - begin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=20, help="separate `mmad score` processes actually run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-space-"))
    try:
        root = work / "root"
        write_root(root, scale=0.02, seed=0, image_size=8)
        store = work / "store"
        begin = time.perf_counter()
        fill_store(LocalStore(store), root, args.submissions)
        print(f"generated {args.submissions} verified submissions on a {len(load_rows(root))}-question synthetic key "
              f"in {time.perf_counter() - begin:.1f} s")

        readies, latencies, rescores = [], [], []
        for run in range(args.runs):
            ready, calls = start_to_ready(store, root, 20, args.submissions)
            readies.append(ready)
            latencies.append(statistics.median(calls))
            copy = work / f"rescore-{run}"
            shutil.copytree(store, copy)
            rescores.append(timed([sys.executable, "-m", "mmad.cli", "rescore", "--store", str(copy),
                                   "--key", str(root)]))
            shutil.rmtree(copy)
        files = sorted((store / "verified").glob("*/predictions.jsonl"))[:args.sample]
        separate = [timed([sys.executable, "-m", "mmad.cli", "score", str(path), "--key", str(root),
                           "--resamples", str(RESAMPLES), "--json", str(work / "out.json")]) for path in files]
        per_process = statistics.median(separate)
        extrapolated = per_process * args.submissions
        rescore = statistics.median(rescores)
        print(f"app start-to-ready with {args.submissions} submissions: median {statistics.median(readies):.2f} s "
              f"(runs: {', '.join(f'{r:.2f}' for r in readies)})")
        print(f"/leaderboard latency: median {1000 * statistics.median(latencies):.0f} ms "
              f"(per-run medians of 20 calls: {', '.join(f'{1000 * v:.0f}' for v in latencies)} ms)")
        print(f"re-score all {args.submissions} in one process (`mmad rescore`): median {rescore:.2f} s "
              f"(runs: {', '.join(f'{r:.2f}' for r in rescores)})")
        print(f"separate `mmad score` processes: median {per_process:.3f} s each over {len(files)} measured, "
              f"extrapolated to {args.submissions}: {extrapolated:.1f} s")
        print(f"ratio: re-score-all is {extrapolated / rescore:.1f}x faster (goal >= 5x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
