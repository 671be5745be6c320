"""Plant realistic bugs one at a time and check that the tests guarding each one fail.

A regression list of bugs that were once missed, kept so that they stay caught; it is not the
measure of the suite (that is `scripts/mutation.py`, mutmut over every trust-critical module).

Each mutant in `scripts/mutants.json` is a text substitution in one source file plus the tests
that must catch it. The working tree is copied once to a temporary folder (tracked and untracked,
not ignored, files); every mutant is applied to that copy, its tests run there with `python3 -m
pytest` (so the copy's code wins over any installed one), and the file is restored. The working
tree itself is never modified.

    python3 scripts/mutants.py                 # every mutant
    python3 scripts/mutants.py --only bootstrap-90 stale-ignores-key
    python3 scripts/mutants.py --list
    python3 scripts/mutants.py --only bootstrap-90 --tests tests/eval/test_bootstrap.py

A mutant is "caught" when its tests fail (pytest exit 1), "survived" when they pass, "error"
when pytest could not run them (exit code other than 0/1, or a timeout), and "not applicable"
when its text is no longer found exactly once (the code moved on: update the list). The tests
of every mutant are first run on the unmodified copy; a mutant whose tests fail there is
reported as "baseline fails" (nothing could be learned from it). Exit status: 0 only when every
mutant was caught. Not part of CI: it runs the selected tests once per mutant (minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MUTANTS = Path(__file__).with_name("mutants.json")


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    find: str
    replace: str
    tests: tuple[str, ...]
    why: str


def load_mutants(path: Path = MUTANTS) -> list[Mutant]:
    items = json.loads(path.read_text(encoding="utf-8"))
    mutants = [Mutant(**{**item, "tests": tuple(item["tests"])}) for item in items]
    ids = [m.id for m in mutants]
    if len(ids) != len(set(ids)):
        raise SystemExit("mutants.json: duplicate ids")
    return mutants


def copy_tree(dest: Path) -> None:
    """Tracked and untracked (not ignored) files of the working tree, as they are now."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = REPO / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)


def run_tests(copy: Path, tests: tuple[str, ...], timeout: int) -> int:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    try:
        return subprocess.run(command, cwd=copy, env=env, capture_output=True, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return -1


def apply(copy: Path, mutant: Mutant) -> str | None:
    """The original text of the mutated file, or None when the mutant no longer applies."""
    path = copy / mutant.file
    if not path.is_file():
        return None
    original = path.read_text(encoding="utf-8")
    if original.count(mutant.find) != 1:
        return None
    path.write_text(original.replace(mutant.find, mutant.replace), encoding="utf-8")
    return original


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="ID", help="run these mutants only")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per test run (default 900)")
    parser.add_argument("--no-baseline", action="store_true", help="skip running each test selection unmutated")
    parser.add_argument("--tests", nargs="+", metavar="PATH",
                        help="run these tests instead of each mutant's own (to see whether one test catches it)")
    args = parser.parse_args(argv)
    mutants = load_mutants()
    if args.only:
        unknown = set(args.only) - {m.id for m in mutants}
        if unknown:
            parser.error(f"unknown mutant(s): {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m.id in args.only]
    if args.tests:
        mutants = [Mutant(**{**m.__dict__, "tests": tuple(args.tests)}) for m in mutants]
    if args.list:
        for m in mutants:
            print(f"{m.id:32} {m.file:34} {m.why}")
        return 0
    results: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="mmad-mutants-") as folder:
        copy = Path(folder)
        copy_tree(copy)
        baseline: dict[tuple[str, ...], int] = {}
        for m in mutants:
            started = time.monotonic()
            if not args.no_baseline and m.tests not in baseline:
                baseline[m.tests] = run_tests(copy, m.tests, args.timeout)
            if not args.no_baseline and baseline[m.tests] != 0:
                verdict = "baseline fails"
            else:
                original = apply(copy, m)
                if original is None:
                    verdict = "not applicable"
                else:
                    try:
                        code = run_tests(copy, m.tests, args.timeout)
                    finally:
                        (copy / m.file).write_text(original, encoding="utf-8")
                    verdict = {0: "SURVIVED", 1: "caught"}.get(code, f"error (exit {code})")
            results[m.id] = verdict
            print(f"{verdict:16} {m.id:32} {time.monotonic() - started:6.1f}s  {m.why}", flush=True)
    caught = [i for i, v in results.items() if v == "caught"]
    survived = [i for i, v in results.items() if v == "SURVIVED"]
    other = [f"{i} ({v})" for i, v in results.items() if v not in ("caught", "SURVIVED")]
    print(f"\n{len(caught)} caught, {len(survived)} survived, {len(other)} other, of {len(results)} mutants")
    if survived:
        print("survived: " + ", ".join(survived))
    if other:
        print("other: " + ", ".join(other))
    return 0 if len(caught) == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
