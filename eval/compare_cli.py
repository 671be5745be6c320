"""`mmad compare A.jsonl B.jsonl --key PATH [--json OUT]`: is A better than B, on the same questions?"""

from __future__ import annotations

import argparse
from typing import Any

_LABEL = 24


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", metavar="A", help="run A: JSON Lines predictions, or an upstream answers JSON file")
    parser.add_argument("b", metavar="B", help="run B, on the same answer key")
    parser.add_argument("--key", required=True,
                        help="answer key: a raw MMAD root, its mmad.json, an exported folder or answer_key.jsonl")
    parser.add_argument("--json", metavar="OUT", help="also write the full comparison as JSON ('-' for stdout)")
    parser.add_argument("--max-mb", type=float, default=200.0,
                        help="refuse prediction files larger than this many megabytes (default 200)")
    parser.add_argument("--resamples", type=int, default=1000,
                        help="paired bootstrap resamples of images (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")


def run(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `mmad score`: no BLAS work here
    from eval import ScoringError, load_key, read_predictions
    from eval.compare import compare
    from eval.errors import quoted
    from eval.score_cli import emit

    if args.max_mb <= 0 or args.resamples < 1:
        raise ScoringError("--max-mb must be positive and --resamples at least 1")
    key = load_key(args.key)
    runs = []
    for name, path in (("A", args.a), ("B", args.b)):
        try:
            runs.append(read_predictions(path, key, max_bytes=int(args.max_mb * 1e6)))
        except ScoringError as exc:
            raise ScoringError(f"{name} {quoted(str(path))}: {exc}") from None
    result = compare(*runs, key, resamples=args.resamples, seed=args.seed)
    return emit(result, format_comparison(result), args.json)


def _line(title: str, scope: dict[str, Any]) -> str:
    return (f"{title[:_LABEL - 1]:<{_LABEL}}{scope['a']:>8.2f}{scope['b']:>8.2f}{scope['difference']:>+8.2f}"
            f"  [{scope['low']:+6.2f}, {scope['high']:+6.2f}]{scope['mcnemar_p']:>10.4f}  {scope['verdict']}")


def format_comparison(result: dict[str, Any]) -> str:
    """The Average, each subtask and each source: A, B, A − B, its interval, McNemar's p, the verdict."""
    from mmad_dataset import SUBTASK_TITLES

    lines = [f"MMAD paired comparison, {result['protocol']} protocol, answer key {result['answer_key_sha256'][:12]}: "
             f"A {result['a']['predictions_sha256'][:12]} vs B {result['b']['predictions_sha256'][:12]}",
             f"{result['level']:.0%} paired bootstrap intervals of A − B ({result['resamples']} resamples of images, "
             f"seed {result['seed']}); exact McNemar p-values", "",
             f"{'':<{_LABEL}}{'A':>8}{'B':>8}{'A − B':>8}  {'interval':^18}{'McNemar p':>10}  verdict",
             _line("Average", result["average"]), ""]
    lines += [_line(SUBTASK_TITLES.get(name, name), scope) for name, scope in result["subtasks"].items()]
    lines.append("")
    lines += [_line(name, row["average"]) for name, row in result["sources"].items()]
    return "\n".join(lines)
