"""Benchmark `mmad score` on a full-scale synthetic benchmark (39,672 questions).

Reports, as medians over --runs runs:
- the whole `mmad score` process time, as a ratio to a process that only reads the same
  predictions file line by line with json.loads (the issue's goal: at most 3x), for the default
  command (both protocols, 1000 bootstrap resamples, key cache warm), a lean one (strict only,
  no bootstrap) and a cold one (default with the key cache off);
- in-process times of load_key (cache warm and off), read_predictions and score (both protocols,
  default bootstrap);
- the peak RSS of each `mmad score` variant;
- CPU-time ratios beside the wall-time ones, as they are steadier on a shared machine.

    python benchmarks/bench_score.py [--runs 5] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PARSE_ONLY = "import json, sys\nwith open(sys.argv[1], 'rb') as f:\n    for line in f:\n        json.loads(line)\n"


def write_inputs(folder: Path) -> None:
    """The full synthetic mmad.json, and predictions like a runner writes them (letter + reply)."""
    from eval import load_key
    from mmad.synth import build_mmad_json

    key_path = folder / "mmad.json"
    key_path.write_text(json.dumps(build_mmad_json(1.0, seed=0)), encoding="utf-8")
    rng = random.Random(0)
    preds_path = folder / "predictions.jsonl"
    with open(preds_path, "w", encoding="utf-8") as handle:
        for question in load_key(key_path).questions:
            letter = question.answer if rng.random() < 0.7 else rng.choice(list(question.options))
            record = {"question_id": question.qid, "response": f"The answer is {letter}."}
            if rng.random() < 0.9:  # most lines carry the letter; the rest need extraction
                record["answer"] = letter
            handle.write(json.dumps(record) + "\n")


def timed_process(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall time, CPU time (user + system; steadier on a busy machine) and peak RSS (bytes) of a child."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def in_process(key_path: Path, preds_path: Path) -> dict[str, float]:
    from eval import load_key, read_predictions, score

    start = time.perf_counter()
    load_key(key_path, cache=False)
    parsed = time.perf_counter()
    key = load_key(key_path)
    loaded = time.perf_counter()
    predictions = read_predictions(preds_path, key)
    read = time.perf_counter()
    score(predictions, key)
    done = time.perf_counter()
    return {"load_key_uncached": parsed - start, "load_key_cached": loaded - parsed,
            "read_predictions": read - loaded, "score_both": done - read}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", help="keep the inputs here (default: a temporary folder)")
    parser.add_argument("--write-inputs", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_inputs:
        write_inputs(Path(args.write_inputs))
        return 0
    folder = Path(args.workdir or tempfile.mkdtemp(prefix="bench_score_"))
    folder.mkdir(parents=True, exist_ok=True)
    # In a child: a forked child's peak RSS starts at its parent's, so this process must stay small.
    subprocess.run([sys.executable, __file__, "--write-inputs", str(folder)], check=True)
    key_path, preds_path = folder / "mmad.json", folder / "predictions.jsonl"
    score_cmd = [sys.executable, "-m", "mmad.cli", "score", str(preds_path), "--key", str(key_path),
                 "--json", str(folder / "result.json")]
    variants = {"default": (score_cmd, {}),
                "strict_no_bootstrap": (score_cmd + ["--protocol", "strict", "--resamples", "0"], {}),
                "default_key_cache_off": (score_cmd, {"MMAD_CACHE": "off"})}
    parse_cmd = [sys.executable, "-c", PARSE_ONLY, str(preds_path)]
    timed_process(score_cmd)  # warm the page cache and the key cache
    parse_runs = [timed_process(parse_cmd) for _ in range(args.runs)]
    parse_s = statistics.median(wall for wall, _, _ in parse_runs)
    parse_cpu = statistics.median(cpu for _, cpu, _ in parse_runs)
    processes = {}
    for name, (argv, env) in variants.items():
        runs = [timed_process(argv, env) for _ in range(args.runs)]
        seconds = statistics.median(wall for wall, _, _ in runs)
        cpu = statistics.median(cpu for _, cpu, _ in runs)
        processes[name] = {"seconds": seconds, "ratio": seconds / parse_s, "cpu_s": cpu, "cpu_ratio": cpu / parse_cpu,
                           "peak_rss_mb": statistics.median(rss for _, _, rss in runs) / 1e6}
    inside = [in_process(key_path, preds_path) for _ in range(args.runs)]  # last: it grows this process
    report = {
        "questions": sum(1 for _ in open(preds_path, "rb")),
        "predictions_mb": preds_path.stat().st_size / 1e6, "key_mb": key_path.stat().st_size / 1e6,
        "runs": args.runs, "parse_only_process_s": parse_s, "parse_only_cpu_s": parse_cpu,
        "mmad_score_process": processes,
        "in_process_s": {name: statistics.median(run[name] for run in inside) for name in inside[0]},
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
