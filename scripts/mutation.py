"""Mutation testing of the trust-critical modules with mutmut (3.x), outside CI; writes docs/mutation.md.

mutmut generates every small mutant of a module (an operator, a constant, a condition, a
keyword argument...), runs the tests that cover each mutated function and counts the mutants no
test kills. It is the measure of the suite; `scripts/mutants.json` (run by `scripts/mutants.py`)
stays as a regression list of realistic bugs.

Each module runs against its guarding tests only (`MODULES` below), in a scratch copy of the
working tree (tracked and untracked, not ignored, files), so the working tree is never touched and
modules can be run one at a time:

    pip install -e ".[dev]"                     # mutmut comes with the dev extra
    python3 scripts/mutation.py --list
    python3 scripts/mutation.py space/taxonomy.py eval/protocols.py
    python3 scripts/mutation.py --all --jobs 2  # every module (hours on 2 cores)

The report (`--out`, default docs/mutation.md) gives per module the mutants, killed, survived,
equivalent ones, timeouts and the score = killed / (mutants - equivalent), then each surviving
mutant with file, line and diff. A survivor shown to be equivalent (no behaviour can tell it
apart) goes in `scripts/mutation_equivalents.json` with a one-line reason, keyed by its module and
the removed and added lines; every other survivor is a gap for a test to close. A module already
in the report keeps its section until it is run again.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EQUIVALENTS = Path(__file__).with_name("mutation_equivalents.json")
DEFAULT_OUT = REPO / "docs" / "mutation.md"
_SPACE = ["tests/space/test_space_populate.py", "tests/space/test_taxonomy.py", "tests/space/test_taxonomy_wording.py",
          "tests/space/test_reported_entries.py"]
_SUBMIT_PY = "tests/space/test_space_submit.py::"
#: Storage: its own tests (those on the fake Hub included) and two instances racing on one store; the
#: submit, app-level and twenty-writer tests drive the same code more slowly.
_STORAGE = ["tests/space/test_mutation_gaps_storage.py", "tests/space/test_space_storage.py",
            "tests/space/test_stored_entry_schema.py", "tests/space/test_space_index.py", "--deselect",
            "tests/space/test_space_index.py::test_a_submission_reaches_the_board_of_this_instance_and_of_another_at_once",
            "tests/space/test_board_guarantees.py::test_fake_hub_two_instances_committing_one_file_at_once_store_it_once"]
#: The summary index (issue 20): its own tests and the stores that write it.
_INDEX = ["tests/space/test_space_index.py", "tests/space/test_mutation_gaps_storage.py",
          "tests/space/test_stored_entry_schema.py", "tests/space/test_space_storage.py"]
#: The board's prepared views and their snapshot id: views, and the pages of the table and the API.
_PREPARED = ["tests/space/test_space_prepared.py", "tests/space/test_space_paging.py", *_SPACE]
#: The two fuzz tests of bad prediction files take ~50 s a run: too slow to repeat per mutant.
_NO_FUZZ = ["--deselect", "tests/eval/test_errors.py::test_fuzz_jsonl_with_wrong_types",
            "--deselect", "tests/eval/test_errors.py::test_fuzz_upstream_records"]
#: The fake Hub's end-to-end tests take 3-9 s each: too slow to repeat per mutant. The in-process tests (a
#: stand-in of the huggingface_hub calls) guard download and publish; the fake Hub tests stay in the suite.
_DOWNLOAD_ZIPLESS = ["tests/data/test_download.py::test_validation_after_unpacking_names_a_missing_file_of_a_chosen_source_only"]
#: Module → the test files that guard it (kept narrow so that one module runs in minutes on 2 cores).
MODULES: dict[str, list[str]] = {
    "space/taxonomy.py": _SPACE,
    "space/populate.py": [*_SPACE, "tests/space/test_space_index.py"],
    "space/ranking.py": [*_SPACE, "tests/space/test_mutation_gaps_ranking.py"],
    "space/render.py": [*_SPACE, "tests/space/test_mutation_gaps_render.py"],
    "space/charts.py": ["tests/space/test_space_charts.py", "tests/space/test_mutation_gaps_charts.py"],
    "space/storage.py": _STORAGE,
    "space/index.py": _INDEX,
    "space/index_folder.py": _INDEX,
    "space/intervals.py": [*_SPACE, "tests/space/test_space_intervals.py", "tests/space/test_mutation_gaps_render.py",
                           "tests/space/test_mutation_gaps_ranking.py", "tests/space/test_mutation_gaps_charts.py"],
    "space/prepared.py": _PREPARED,
    "space/snapshot.py": [*_PREPARED, "tests/space/test_mutation_gaps_render.py", "tests/space/test_space_snapshot.py"],
    "space/submit.py": ["tests/space/test_mutation_gaps_submit.py", "tests/space/test_space_submit.py",
                        *(f"--deselect={_SUBMIT_PY}{name}" for name in (
                            "test_twenty_concurrent_submissions_are_all_stored_once",
                            "test_twenty_concurrent_submissions_on_the_fake_hub_are_all_stored_once",
                            "test_demo_store_folder_is_removed_at_exit", "test_forged_login_is_refused_outside_a_space",
                            "test_app_pop_ups_are_inert_and_a_hub_outage_is_said",
                            "test_45_mb_of_unknown_ids_gives_a_short_error_and_a_short_status_entry")),
                        *(f"tests/space/test_board_guarantees.py::{name}" for name in (
                            "test_a_stored_submissions_claims_never_expire_for_a_running_second_instance",
                            "test_claims_hold_for_an_instance_started_a_year_later"))],
    "space/scoring.py": ["tests/space/test_mutation_gaps_scoring.py", "tests/space/test_space_rescore.py",
                         "tests/eval/test_demo_sample.py",
                         "tests/space/test_space_app.py::test_demo_mode_has_a_synthetic_key_a_sample_file_and_a_throwaway_store",
                         "tests/space/test_space_app.py::test_only_results_scored_against_this_boards_full_key_rank",
                         *(_SUBMIT_PY + name for name in (
                             "test_submission_is_scored_and_stored_as_one_folder",
                             "test_same_predictions_spelled_differently_are_duplicates",
                             "test_two_line_file_is_stored_as_a_subset_and_never_comparable"))],
    "space/identity.py": ["tests/space/test_space_submit.py", "tests/space/test_mutation_gaps_identity.py"],
    "space/messages.py": ["tests/space/test_messages_bounds.py", "tests/space/test_space_submit.py",
                          "tests/space/test_board_guarantees.py"],
    "eval/predictions.py": ["tests/eval/test_errors.py", "tests/eval/test_strict.py", "tests/eval/test_official.py",
                            "tests/eval/test_extract_linear.py", "tests/eval/test_mutation_gaps_predictions.py",
                            *_NO_FUZZ],
    "eval/extract.py": ["tests/eval/test_extract.py", "tests/eval/test_extract_linear.py", "tests/eval/test_strict.py",
                        "tests/eval/test_official.py", "tests/eval/test_mutation_gaps_extract.py"],
    "eval/protocols.py": ["tests/eval"],
    "eval/score.py": ["tests/eval/test_official.py", "tests/eval/test_strict.py", "tests/eval/test_bootstrap.py",
                      "tests/eval/test_errors.py", "tests/eval/test_mutation_gaps_score.py", *_NO_FUZZ],
    "eval/aggregate.py": ["tests/eval/test_official.py", "tests/eval/test_strict.py", "tests/eval/test_bootstrap.py",
                          "tests/eval/test_mutation_gaps_aggregate.py"],
    "eval/bootstrap.py": ["tests/eval/test_bootstrap.py", "tests/eval/test_strict.py",
                          "tests/eval/test_mutation_gaps_bootstrap.py"],
    "eval/stats.py": ["tests/eval/test_stats.py", "tests/eval/test_mutation_gaps_stats.py"],
    "eval/compare.py": ["tests/eval/test_compare.py", "tests/eval/test_mutation_gaps_compare.py"],
    "mmad/download.py": ["tests/data/test_mutation_gaps_download.py", *_DOWNLOAD_ZIPLESS],
    "mmad/publish.py": ["tests/data/test_mutation_gaps_publish.py",
                        "tests/data/test_publish.py::test_publish_refuses_a_root_that_fails_validation"],
    "mmad/export.py": ["tests/data/test_mutation_gaps_export.py"],  # test_export.py: load_dataset, ~1 s a test
    "mmad/vlmevalkit.py": ["tests/integrations/test_vlmevalkit.py",
                           "tests/integrations/test_mutation_gaps_vlmevalkit.py", "tests/data/test_cli_fuzz.py",
                           # runs the installed `mmad validate`, never the copy's vlmevalkit
                           "--deselect", "tests/data/test_cli_fuzz.py::test_the_installed_entry_point_exits_2_in_one_line"],
    "integrations/lmms_eval/mmad/utils.py": ["tests/integrations/test_lmms_eval_task.py",
                                             "tests/integrations/test_lmms_eval_runs.py",
                                             "tests/integrations/test_mutation_gaps_lmms_utils.py"],
    "mmad_dataset.py": ["tests/data/test_mutation_gaps_mmad_dataset.py", "tests/data/test_builder.py",
                        "tests/data/test_errata.py"],
}
#: mutmut's exit codes per mutant (as in `mutmut.stats`) → what the report calls them; a crash is a kill.
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 35: "suspicious",
          36: "timeout", 37: "killed", 24: "timeout", 152: "timeout", 255: "timeout", -24: "timeout",
          -11: "killed", -9: "killed"}


@dataclass
class Mutant:
    name: str
    status: str
    line: int | None = None
    removed: str = ""
    added: str = ""
    reason: str = ""  # why it is equivalent, from the equivalents list


@dataclass
class Outcome:
    module: str
    mutants: list[Mutant] = field(default_factory=list)
    error: str = ""

    def count(self, status: str) -> int:
        return sum(m.status == status for m in self.mutants)

    @property
    def score(self) -> float | None:
        relevant = len(self.mutants) - self.count("equivalent") - self.count("skipped")
        return 100 * self.count("killed") / relevant if relevant else None


def _scratch_copy(destination: Path) -> None:
    """The working tree's tracked and untracked (not ignored) files, as the tests see them."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = REPO / rel
        if source.is_file():
            (destination / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / rel)


def _configure(copy: Path, module: str, tests: list[str]) -> None:
    """mutmut's settings for one module, appended to the copy's pyproject.toml.

    A mutant's wall-clock limit is (its tests' durations + `timeout_constant`) x `timeout_multiplier`: the
    constant pays for what the per-test durations leave out (pytest's start, session fixtures) so that a
    loaded machine does not turn a slow survivor of a 0.1 s test into a "timeout"."""
    top = module.split("/")[0]
    others = sorted(p.name for p in copy.iterdir() if p.name not in (top, "mutants", "pyproject.toml"))
    settings = {"source_paths": [top], "only_mutate": [module], "also_copy": others,
                "pytest_add_cli_args": ["-p", "no:cacheprovider", "-q", "-x"], "timeout_multiplier": 5.0,
                "timeout_constant": 30.0,
                "pytest_add_cli_args_test_selection": tests}
    lines = ["", "[tool.mutmut]", *(f"{name} = {json.dumps(value)}" for name, value in settings.items())]
    with (copy / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def _function_ranges(source: str) -> dict[str, tuple[int, int]]:
    """mutmut's mangled function name (`x_f`, `xǁClassǁmethod`) → its lines in the original file."""
    ranges = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            ranges[f"x_{node.name}"] = (node.lineno, node.end_lineno or node.lineno)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    ranges[f"xǁ{node.name}ǁ{item.name}"] = (item.lineno, item.end_lineno or item.lineno)
    return ranges


def _diff(copy: Path, name: str) -> tuple[str, str]:
    shown = subprocess.run([sys.executable, "-m", "mutmut", "show", name], cwd=copy, capture_output=True,
                           text=True, env=_env()).stdout.splitlines()
    removed = [line[1:].strip() for line in shown if line.startswith("-") and not line.startswith("---")]
    added = [line[1:].strip() for line in shown if line.startswith("+") and not line.startswith("+++")]
    return " / ".join(removed), " / ".join(added)


def _line_of(source_lines: list[str], ranges: dict[str, tuple[int, int]], name: str, removed: str) -> int | None:
    function = name.rsplit(".", 1)[-1].split("__mutmut_")[0]
    start, end = ranges.get(function, (1, len(source_lines)))
    first = removed.split(" / ")[0]
    for number in range(start, end + 1):
        if first and source_lines[number - 1].strip() == first:
            return number
    return start


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the copy's code, not an installed one
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_module(module: str, jobs: int, equivalents: dict[str, str]) -> Outcome:
    """Mutate one module in a scratch copy, run its guarding tests per mutant, classify every mutant."""
    outcome = Outcome(module)
    with tempfile.TemporaryDirectory(prefix="mmad-mutation-") as scratch:
        copy = Path(scratch)
        _scratch_copy(copy)
        _configure(copy, module, MODULES[module])
        # pytest's temporary folders go in the scratch copy and leave with it: thousands of test runs per module
        # otherwise pile up tens of GB under /tmp/pytest-of-<user> (its retention only prunes its own session)
        (copy / ".tmp").mkdir()
        run = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)], cwd=copy,
                             capture_output=True, text=True, env={**_env(), "TMPDIR": str(copy / ".tmp")})
        meta = copy / "mutants" / f"{module}.meta"
        if not meta.is_file():
            outcome.error = _last_line(run.stdout + run.stderr)
            return outcome
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        if all(code is None for code in codes.values()):  # e.g. a guarding test fails on the unmutated code
            outcome.error = _last_line(run.stdout + run.stderr)
            return outcome
        source = (REPO / module).read_text(encoding="utf-8")
        ranges, lines = _function_ranges(source), source.splitlines()
        for name, code in sorted(codes.items(), key=lambda item: _natural(item[0])):
            mutant = Mutant(name, "not run" if code is None else STATUS.get(code, f"exit {code}"))
            if mutant.status not in ("killed",):
                mutant.removed, mutant.added = _diff(copy, name)
                mutant.line = _line_of(lines, ranges, name, mutant.removed)
                reason = equivalents.get(_equivalence_key(module, mutant))
                if reason and mutant.status == "survived":
                    mutant.status, mutant.reason = "equivalent", reason
            outcome.mutants.append(mutant)
    return outcome


def _last_line(output: str) -> str:
    lines = [line for line in output.replace("\r", "\n").splitlines() if line.strip()]
    return (lines[-1] if lines else "mutmut failed without output")[:300]


def _natural(name: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _equivalence_key(module: str, mutant: Mutant) -> str:
    return f"{module} | {mutant.removed} => {mutant.added}"


def _section(outcome: Outcome) -> str:
    """One module's part of the report (a `## module` heading, its figures, its survivors and equivalents)."""
    head = f"## {outcome.module}\n\n"
    if outcome.error:
        return head + f"mutmut did not run: `{outcome.error}`\n"
    score = outcome.score
    text = head + (f"{len(outcome.mutants)} mutants · {outcome.count('killed')} killed · "
                   f"{outcome.count('survived')} survived · {outcome.count('equivalent')} equivalent · "
                   f"{outcome.count('timeout')} timeout · {outcome.count('no tests')} not covered · "
                   f"score **{'–' if score is None else f'{score:.1f}%'}** (tests: "
                   f"{', '.join(MODULES[outcome.module])})\n")
    for title, status in (("Surviving", "survived"), ("Not covered by its tests", "no tests"),
                          ("Timed out", "timeout"), ("Not run", "not run"), ("Equivalent", "equivalent")):
        chosen = [m for m in outcome.mutants if m.status == status]
        if chosen:
            text += f"\n{title}:\n\n" + "".join(
                f"- `{outcome.module}:{m.line}` `{m.removed}` → `{m.added}`"
                f"{f' — {m.reason}' if m.reason else ''}\n" for m in chosen)
    return text


def write_report(out: Path, outcomes: list[Outcome]) -> None:
    """Replace the sections of the modules just run, keep the others, in MODULES order."""
    sections: dict[str, str] = {}
    if out.is_file():
        for chunk in re.split(r"(?m)^(?=## )", out.read_text(encoding="utf-8")):
            if chunk.startswith("## "):
                sections[chunk[3:].splitlines()[0].strip()] = chunk.rstrip() + "\n"
    sections.update({o.module: _section(o) for o in outcomes})
    intro = ("# Mutation testing report\n\nWritten by `python3 scripts/mutation.py` (mutmut "
             f"{_mutmut_version()}); see its docstring for what the figures mean. Score = killed / "
             "(mutants − equivalent). Survivors are gaps in the tests unless listed as equivalent in "
             "`scripts/mutation_equivalents.json`.\n\n")
    ordered = [sections[m] for m in MODULES if m in sections]
    missing = [m for m in MODULES if m not in sections]
    pending = f"\n## Not run yet\n\n{', '.join(f'`{m}`' for m in missing)}\n" if missing else ""
    out.write_text(intro + "\n".join(ordered) + pending, encoding="utf-8")


def _mutmut_version() -> str:
    from importlib.metadata import version

    return version("mutmut")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module paths (see --list)")
    parser.add_argument("--all", action="store_true", help="every module in MODULES")
    parser.add_argument("--list", action="store_true", help="list the modules and their tests")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (default 1)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the report (default docs/mutation.md)")
    args = parser.parse_args(argv)
    if args.list or not (args.modules or args.all):
        for module, tests in MODULES.items():
            print(f"{module}: {' '.join(tests)}")
        return 0
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; see --list")
    equivalents = json.loads(EQUIVALENTS.read_text(encoding="utf-8")) if EQUIVALENTS.is_file() else {}
    chosen = list(MODULES) if args.all else args.modules
    outcomes = []
    for module in chosen:
        if not (REPO / module).is_file():
            print(f"{module}: not in this tree, skipped")
            continue
        outcome = run_module(module, args.jobs, equivalents)
        outcomes.append(outcome)
        write_report(args.out, [outcome])  # after each module: a long run interrupted keeps what it did
        print(_section(outcome).splitlines()[2], flush=True)
    return 0 if all(not o.error and o.count("survived") == 0 for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
