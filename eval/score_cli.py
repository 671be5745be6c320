"""`mmad score PREDICTIONS --key PATH [--protocol official|strict|both] [--json OUT]`."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("predictions", help="JSON Lines predictions, or an upstream answers JSON file")
    parser.add_argument("--key", required=True,
                        help="answer key: a raw MMAD root, its mmad.json, an exported folder or answer_key.jsonl")
    parser.add_argument("--protocol", choices=("official", "strict", "both"), default="both",
                        help="official = the upstream scorer exactly; strict = every question counts once "
                             "(default: both, side by side)")
    parser.add_argument("--json", metavar="OUT", help="also write the full result as JSON ('-' for stdout)")
    parser.add_argument("--max-mb", type=float, default=200.0,
                        help="refuse prediction files larger than this many megabytes (default 200)")
    parser.add_argument("--resamples", type=int, default=1000,
                        help="bootstrap resamples for the intervals of every number; 0 disables them (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--trust-file-gold", action="store_true",
                        help="for reproducing old numbers only: judge an upstream answers JSON against its own "
                             "correct_answer, as upstream's scorer does, instead of the answer key (a file can "
                             "then bring its own key; the board never does this)")


def run(args: argparse.Namespace) -> int:
    import os

    from eval.gc_pause import gc_paused

    # The bootstrap's numpy does no BLAS work, but OpenBLAS starts one spinning thread per core when
    # it loads: about 0.05 s of CPU, as much as the bootstrap's draws. A user's own setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # The library pauses the garbage collector in each call; pausing it across them also spares
    # one collection over everything the calls left behind (see eval.gc_pause).
    return gc_paused(_score_and_print)(args)


def _score_and_print(args: argparse.Namespace) -> int:
    from eval import ScoringError, format_table, load_key, read_predictions
    from eval.errata import score_with_errata

    if args.max_mb <= 0 or args.resamples < 0:
        raise ScoringError("--max-mb must be positive and --resamples at least 0")
    key = load_key(args.key)
    predictions = read_predictions(args.predictions, key, max_bytes=int(args.max_mb * 1e6),
                                   trust_file_gold=args.trust_file_gold)
    result = score_with_errata(predictions, key, args.protocol, resamples=args.resamples, seed=args.seed)
    return emit(result, format_table(result), args.json)


def emit(result: dict, table: str, json_out: str | None) -> int:
    """Print the table, or the JSON alone with `--json -`; `--json FILE` also writes the JSON there.
    Shared by `mmad score` and `mmad compare`, so both honour `--json` the same way."""
    import json

    text = json.dumps(result, indent=1, ensure_ascii=False)
    if json_out == "-":
        print(text)
        return 0
    print(table)
    if json_out:
        with open(json_out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return 0
