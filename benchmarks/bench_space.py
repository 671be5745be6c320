"""Leaderboard performance at 0, 1,000 and 10,000 stored verified submissions.

    python benchmarks/bench_space.py [--sizes 0 1000 10000] [--runs 3] [--calls 10] [--scale 1.0]
    python benchmarks/bench_space.py --sizes 0 --scale 0.02 --rescore 1000   # the re-score ratio only

The key is a synthetic one of MMAD's full size by default (`--scale 1.0`), so that stored results
rank as on the real board: the default view then holds every stored submission (a smaller key makes
them "scored on a subset", outside the default view, which is cheaper than the real case).

For each size, as the median of `--runs` app starts (each on its own hard-linked copy of the store;
one untimed start first, so that the first size does not pay for a cold file cache):
- start-to-ready: `python space/app.py` spawned until `/leaderboard` answers over HTTP;
- `/leaderboard` latency through gradio_client for several requests (default view, every entry, every
  entry from offset 9,500, a search, one MMAD source sorted by another column, a size filter; an answer
  holds one page of at most 500 rows, `total` says how many match): median of `--calls` calls each,
  and the first of them (the first request of a kind prepares that view; later ones reuse it);
- visible after commit: a submission stored by another instance (a second `LocalStore` on the same
  folder) until the running app's `/leaderboard` lists it;
- the app's memory: resident set size after the calls, and its peak;
- the app's CPU time until ready and per call (less sensitive than wall time to a busy machine).
And at `--rescore` submissions: `mmad rescore` in one process over every stored submission, against
`mmad score` run once per submission in separate processes (measured on `--sample` files, extrapolated).

Stores are generated once and kept under benchmarks/out/ (keyed by their parameters): `--pool`
prediction files are really scored, and each stored submission reuses one of them (the files
hard-linked) with its own metadata, written with its summary-index record as the store writes them.
"""

from __future__ import annotations

import argparse
import json
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
from space import index  # noqa: E402
from space.ranking import ALL_ENTRIES  # noqa: E402
from space.scoring import RESAMPLES, KeyInfo, score_bytes  # noqa: E402
from space.storage import Files, LocalStore, new_submission_id  # noqa: E402
from space.ui.callbacks import MAX_PAGE_ROWS  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
#: Bump when the generated layout changes, so that cached stores are regenerated (the index format counts too).
LAYOUT = 5
REQUESTS = {"default view": {}, "all entries": {"show": ALL_ENTRIES},
            "all entries, offset 9,500": {"show": ALL_ENTRIES, "offset": 9_500}, "search": {"search": "model-12"},
            "source + sort": {"view": "VisA", "sort_by": "Strict avg", "show": ALL_ENTRIES},
            "size filter": {"sizes": ["≤ 10B"], "show": ALL_ENTRIES}}


def predictions(rows: list[dict], seed: int) -> bytes:
    """A submission of random quality, so that the board has distinct rows."""
    return sample_predictions(rows, accuracy=random.Random(seed).uniform(0.3, 0.9), seed=seed).encode()


def _metadata(i: int, sid: str) -> dict:
    return {"model_name": f"bench-model-{i}", "link": "", "license": "", "size": f"{1 + i % 80}B",
            "model_type": "open", "setting": "1-shot", "training_exposure": "none declared", "notes": "",
            "user": f"user{i % 50}", "submitted_at": "2026-01-01T00:00:00Z", "predictions_sha256": str(i),
            "predictions_file": "predictions.jsonl", "submission_id": sid}


def generate(store: Path, root: Path, count: int, pool: int) -> None:
    """`count` entries and their index; `pool` distinct scored files, shared by hard links."""
    from eval import load_key

    rows = load_rows(root)
    info = KeyInfo(load_key(root), "bench", "bench-rev")
    scored = store / ".pool"
    scored.mkdir(parents=True)
    for p in range(min(pool, count)):
        content, sid = predictions(rows, p), new_submission_id()
        files = Files.for_submission(sid, content, "predictions.jsonl", {}, score_bytes(content, info, max_bytes=10**8))
        (scored / f"{p}.jsonl").write_bytes(content)
        (scored / f"{p}.json").write_bytes(files.contents[f"verified/{sid}/result.json"])
    results = {p: (scored / f"{p}.json").read_bytes() for p in range(min(pool, count))}
    records = {p: index.record(b"{}", content, lambda data, part: json.loads(data))  # metadata: set per entry below
               for p, content in results.items()}
    shards: dict[str, dict] = {}
    for i in range(count):
        sid, p = new_submission_id(), i % pool
        folder = store / "verified" / sid
        folder.mkdir(parents=True)
        metadata = json.dumps(_metadata(i, sid), indent=2, sort_keys=True).encode() + b"\n"
        (folder / "metadata.json").write_bytes(metadata)
        os.link(scored / f"{p}.json", folder / "result.json")
        os.link(scored / f"{p}.jsonl", folder / "predictions.jsonl")
        record = {**records[p], "metadata": json.loads(metadata),  # = index.record(metadata, results[p])
                  "files": {**records[p]["files"], "metadata": index.blob_id(metadata)}}
        shards.setdefault(index.shard_of(sid), {})[sid] = record
    (store / index.SUMMARY).mkdir(parents=True, exist_ok=True)
    for shard, records in shards.items():
        (store / index.shard_path(shard)).write_bytes(index.encode_shard(records))


def cached_store(root: Path, count: int, pool: int, scale: float) -> Path:
    """The generated store for these parameters, made once (under benchmarks/out/)."""
    store = OUT / f"space-store-n{count}-pool{pool}-scale{scale}-layout{LAYOUT}-index{index.FORMAT}"
    if not (store / ".complete").exists():
        shutil.rmtree(store, ignore_errors=True)
        begin = time.perf_counter()
        store.mkdir(parents=True)
        generate(store, root, count, pool)
        (store / ".complete").write_text("")
        print(f"generated {count} stored submissions ({min(pool, count)} scored files) in "
              f"{time.perf_counter() - begin:.1f} s", flush=True)
    return store


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used (user + system, all its threads): unlike wall time, hardly
    changed by other work on a shared machine."""
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def memory(pid: int) -> tuple[float, float]:
    """(resident, peak resident) MiB of a process."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return tuple(int(fields[name].split()[0]) / 1024 for name in ("VmRSS", "VmHWM"))


def one_run(store: Path, root: Path, calls: int, stored: int) -> dict:
    """One app start on `store`: start-to-ready, latencies per request, visibility of a new entry, memory."""
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "MMAD_STORE": str(store), "MMAD_DATA_DIR": str(root), "GRADIO_SERVER_PORT": str(port),
           "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_ANALYTICS_ENABLED": "False", "MMAD_RESCORE_ON_START": "0"}
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
                if process.poll() is not None or time.perf_counter() - start > 600:
                    raise RuntimeError("the app did not become ready") from None
                time.sleep(0.05)
        found = {"ready": time.perf_counter() - start, "ready cpu": cpu_seconds(process.pid)}
        for name, arguments in REQUESTS.items():
            latencies, used = [], cpu_seconds(process.pid)
            for _ in range(calls):
                begin = time.perf_counter()
                table = client.predict(**arguments, api_name="/leaderboard")
                latencies.append(time.perf_counter() - begin)
            found[name], found[f"{name} first"] = statistics.median(latencies), latencies[0]
            found[f"{name} cpu"] = (cpu_seconds(process.pid) - used) / calls
            if name == "all entries":
                assert table["total"] >= stored, "the board should list every stored submission"
                assert len(table["data"]) == min(table["total"], MAX_PAGE_ROWS), "one page of the table"
        found["visible"] = visible_after_commit(client, store)
        found["rss"], found["peak"] = memory(process.pid)
        return found
    finally:
        process.terminate()
        process.wait(timeout=30)


def visible_after_commit(client, store: Path) -> float:
    """Seconds from another instance's stored submission until this app's /leaderboard lists it."""
    sid = new_submission_id()
    name = f"late-{sid[-10:]}"
    result = {"official": {"average": 50.0, "coverage": 100.0}, "strict": {"average": 50.0, "coverage": 100.0}}
    LocalStore(store).save(Files.for_submission(sid, b"{}\n", "predictions.jsonl",
                                                {**_metadata(0, sid), "model_name": name}, result))
    begin = time.perf_counter()
    while not client.predict(search=name, show=ALL_ENTRIES, api_name="/leaderboard")["data"]:
        if time.perf_counter() - begin > 60:
            return float("inf")
    return time.perf_counter() - begin


def timed(command: list[str]) -> float:
    begin = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - begin


def rescore_ratio(store: Path, root: Path, work: Path, count: int, sample: int) -> str:
    """`mmad rescore` of every stored submission against separate `mmad score` processes."""
    copy = work / "rescore"
    shutil.copytree(store, copy, ignore=shutil.ignore_patterns(".pool"))
    rescore = timed([sys.executable, "-m", "mmad.cli", "rescore", "--store", str(copy), "--key", str(root)])
    files = sorted((store / ".pool").glob("*.jsonl"))[:sample]
    per_process = statistics.median(timed([sys.executable, "-m", "mmad.cli", "score", str(path), "--key", str(root),
                                            "--resamples", str(RESAMPLES), "--json", str(work / "out.json")])
                                     for path in files)
    return (f"re-score all {count} in one process: {rescore:.1f} s; separate `mmad score` processes: "
            f"{per_process:.3f} s each over {len(files)} measured, extrapolated to {count}: "
            f"{per_process * count:.1f} s; ratio {per_process * count / rescore:.1f}x (goal >= 5x)")


def measure(size: int, root: Path, work: Path, args: argparse.Namespace) -> dict:
    """The medians over `args.runs` app starts, each on a fresh hard-linked copy of the cached store."""
    store = cached_store(root, size, args.pool, args.scale)
    runs = []
    for run in range(args.runs):
        copy = work / f"store-{size}-{run}"
        shutil.copytree(store, copy, copy_function=os.link, ignore=shutil.ignore_patterns(".pool", ".complete"))
        runs.append(one_run(copy, root, args.calls, size))
        shutil.rmtree(copy)
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=10, help="calls per request kind and run")
    parser.add_argument("--pool", type=int, default=50, help="distinct scored prediction files per store")
    parser.add_argument("--scale", type=float, default=1.0, help="synthetic key size (share of MMAD; 1.0: ranks)")
    parser.add_argument("--rescore", type=int, default=0, help="store size for the re-score ratio (0: skip)")
    parser.add_argument("--sample", type=int, default=20, help="separate `mmad score` processes actually run")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    root = OUT / f"space-key-scale{args.scale}"
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        write_root(root, scale=args.scale, seed=0, image_size=8)
        (root / ".complete").write_text("")
    work = Path(tempfile.mkdtemp(prefix="bench-space-", dir=OUT))
    try:
        measure(0, root, work, argparse.Namespace(**{**vars(args), "runs": 1, "calls": 1}))  # warm the file cache
        results = {size: measure(size, root, work, args) for size in args.sizes}
        print(f"\n{len(load_rows(root))}-question synthetic key; medians of {args.runs} app start(s), "
              f"{args.calls} calls per request kind and start\n")
        print("Wall time as a client sees it (a request kind's median, and its first call), and in brackets the\n"
              "app's own CPU time (start: until ready; a request kind: per call, on average).\n")
        print("| stored | start-to-ready | " + " | ".join(f"/leaderboard: {n}" for n in REQUESTS)
              + " | visible after commit | RSS | peak RSS |")
        print("|---:" * (5 + len(REQUESTS)) + "|")
        for size, r in results.items():
            print(f"| {size:,} | {r['ready']:.2f} s (cpu {r['ready cpu']:.2f}) | "
                  + " | ".join(f"{1000 * r[n]:.0f} ms, first {1000 * r[n + ' first']:.0f} "
                               f"(cpu {1000 * r[n + ' cpu']:.0f})" for n in REQUESTS)
                  + f" | {r['visible']:.2f} s | {r['rss']:.0f} MiB | {r['peak']:.0f} MiB |")
        if args.rescore:
            print("\n" + rescore_ratio(cached_store(root, args.rescore, args.pool, args.scale), root, work,
                                       args.rescore, args.sample))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
