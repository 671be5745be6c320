"""Benchmark answer extraction on adversarial replies (what used to take minutes per reply).

Reports, as medians over --runs runs:
- per family of adversarial reply (whitespace runs after "answer", "final answer" before newlines,
  "B " repeated, bare whitespace, negations, option-text lookalikes), the time of strict_letter and
  upstream_letter on one reply of 1 MB (one reply as large as the whole file below), and the worst of them;
- the whole-file time (read_predictions + score, both protocols, no bootstrap) of a 1 MB JSON Lines file
  whose replies are all adversarial, on the small synthetic key.

    python benchmarks/bench_extract.py [--runs 3] [--mb 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

OPTIONS = {"A": "Scratched surface.", "B": "Broken large.", "C": "Color fading.", "D": "Contamination."}


def families(size: int) -> dict[str, str]:
    """Adversarial replies of about `size` characters each."""
    rare = "".join(chr(0x4E00 + i) for i in range(150))  # many distinct characters: difflib junks none
    return {
        '"answer" + spaces + "x"': "answer" + " " * size + "x",
        '"final answer" + newlines': "final answer" + "\n" * size,
        '"B " repeated': "B " * (size // 2),
        "spaces + x": " " * size + "x",
        '"not " repeated + B': "not " * (size // 4) + "B",
        '"Answer: " + spaces lines': ("Answer: " + " " * 500 + "\n") * (size // 509),
        "option-text lookalike, no capital": ("scratched surface color fading " + rare) * (size // 181),
    }


def median_time(function: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_reply(size: int, runs: int) -> float:
    from eval.extract import strict_letter, upstream_letter

    worst = 0.0
    for name, reply in families(size).items():
        strict = median_time(lambda: strict_letter(reply, OPTIONS), runs)
        official = median_time(lambda: upstream_letter(reply, OPTIONS), runs)
        worst = max(worst, strict, official)
        print(f"  {name:38s} strict {strict * 1e3:9.1f} ms   official {official * 1e3:9.1f} ms")
    return worst


def whole_file(megabytes: float, runs: int, folder: Path) -> float:
    """A file of `megabytes` MB: one adversarial reply per question of the small key, cycling the families."""
    from eval import load_key, read_predictions, score
    from mmad.synth import build_mmad_json

    key_path = folder / "mmad.json"
    key_path.write_text(json.dumps(build_mmad_json(0.02, seed=0)), encoding="utf-8")
    key = load_key(key_path)
    per_line = int(megabytes * 1e6 / len(key))
    data = _adversarial_file(key, per_line)
    per_line = int(per_line * megabytes * 1e6 / len(data))  # JSON escapes make lines longer than their replies
    data = _adversarial_file(key, per_line)
    lines = data.count(b"\n")
    print(f"  file: {len(data) / 1e6:.2f} MB, {lines} lines of about {per_line:,} characters")
    return median_time(lambda: score(read_predictions(data, key), key, resamples=0), runs)


def _adversarial_file(key, per_line: int) -> bytes:
    replies = list(families(per_line).values())
    lines = [json.dumps({"question_id": q.qid, "response": replies[i % len(replies)][:per_line]})
             for i, q in enumerate(key.questions)]
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mb", type=float, default=1.0)
    args = parser.parse_args()
    size = int(args.mb * 1e6)
    print(f"one reply of {size:,} characters (median of {args.runs} runs):")
    worst = per_reply(size, args.runs)
    print(f"worst per-reply extraction time: {worst * 1e3:.1f} ms")
    with tempfile.TemporaryDirectory() as folder:
        took = whole_file(args.mb, args.runs, Path(folder))
    print(f"whole-file time (read + score, both protocols, no bootstrap): {took:.2f} s")


if __name__ == "__main__":
    main()
