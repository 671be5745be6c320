"""How large the largest legitimate prediction file is: the size the Space's upload limit is fitted to.

    python benchmarks/bench_upload_size.py [--reply-chars 400 1000]

Builds full-size files (39,672 questions of the full-scale synthetic benchmark) in both accepted
formats with a raw reply of N characters per question (typical of chain-of-thought-free replies: a
few hundred characters; 1,000 for verbose ones) and prints their sizes. Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmad.synth import build_mmad_json  # noqa: E402


def _reply(rng: random.Random, letter: str, chars: int) -> str:
    words = "the object shows a visible defect near the edge surface scratch crack normal region image".split()
    text = f"Answer: {letter}. "
    while len(text) < chars:
        text += rng.choice(words) + " "
    return text[:chars]


def sizes(reply_chars: int) -> tuple[int, int]:
    """(JSONL bytes, upstream answers JSON bytes) for the whole benchmark with replies of `reply_chars`."""
    rng = random.Random(0)
    jsonl = upstream = 2
    for image, entry in build_mmad_json(1.0, seed=0).items():
        for index, question in enumerate(entry["conversation"]):
            reply = _reply(rng, question["Answer"], reply_chars)
            jsonl += len(json.dumps({"question_id": f"{image}#{index}", "response": reply},
                                    ensure_ascii=False).encode()) + 1
            options = "\n".join(f"{k}. {v}" for k, v in question["Options"].items())
            upstream += len(json.dumps({"image": image, "question": f"{question['Question']}\n{options}",
                                        "question_type": question["type"], "correct_answer": question["Answer"],
                                        "gpt_answer": reply}, ensure_ascii=False, indent=4).encode()) + 2
    return jsonl, upstream


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reply-chars", type=int, nargs="+", default=[400, 1000])
    for chars in parser.parse_args().reply_chars:
        jsonl, upstream = sizes(chars)
        print(f"replies of {chars} chars: JSONL {jsonl / 2**20:.1f} MiB, upstream answers JSON (indent 4) "
              f"{upstream / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
