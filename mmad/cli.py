"""The `mmad` command. Each subcommand lives in its own module, imported only when it runs,
so that `mmad score` does not pay for importing `datasets` or `torch`.

A subcommand module defines `add_arguments(parser)` and `run(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from mmad_dataset import MMADError

#: name → (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "download": ("mmad.download_cli", "fetch the authors' zips from the Hub and unpack a validated raw root"),
    "synth": ("mmad.synth_cli", "write a synthetic raw MMAD root in the upstream layout"),
    "validate": ("mmad.validate_cli", "check a raw MMAD root and compare its counts with the paper"),
    "export": ("mmad.export_cli", "write a Hub-ready dataset folder (every config, images stored once)"),
    "publish": ("mmad.publish_cli", "upload a validated export as a Hub dataset repo, resumably"),
    "score": ("eval.score_cli", "score a prediction file: the official (upstream) and strict protocols"),
    "compare": ("eval.compare_cli", "compare two prediction files, paired: differences, intervals, verdicts"),
    "predict": ("eval.predict.cli", "run a vision-language model or OpenAI-compatible endpoint on MMAD"),
    "vlmevalkit": ("mmad.vlmevalkit_cli", "export MMAD as a VLMEvalKit TSV; import its predictions as JSONL"),
    "rescore": ("space.rescore", "re-score every stored leaderboard submission with the current scorer and key"),
}


#: Third-party packages that come with an extra → the extra (what a missing one asks to install).
EXTRAS: dict[str, str] = {"torch": "runner", "transformers": "runner", "httpx": "runner", "accelerate": "runner",
                          "gradio": "space", "plotly": "space"}


def version() -> str:
    """The installed toolkit's version (the source tree's own when it is not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("mmad-toolkit")
    except PackageNotFoundError:
        return "unknown (not installed)"


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The one-line hint for a missing optional dependency (None: not one an extra provides)."""
    extra = EXTRAS.get((exc.name or "").split(".")[0])
    if extra is None:
        return None
    return f"{exc.name} is not installed; it comes with the '{extra}' extra: pip install -e \".[{extra}]\""


def _top_parser() -> argparse.ArgumentParser:
    lines = "\n".join(f"  {name:<11} {text}" for name, (_, text) in COMMANDS.items())
    return argparse.ArgumentParser(
        prog="mmad", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="MMAD toolkit: dataset export, scoring, prediction and leaderboard tools.",
        epilog=f"commands:\n{lines}\n\nRun 'mmad COMMAND --help' for a command's options.",
        usage="mmad COMMAND [options]  |  mmad --version")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--version"]:
        print(f"mmad {version()}")
        return 0
    if not argv or argv[0] not in COMMANDS:
        parser = _top_parser()
        if argv and argv[0] not in ("-h", "--help"):
            parser.error(f"unknown command {argv[0]!r}; choose from {', '.join(COMMANDS)}")
        parser.print_help()
        return 0 if argv else 2
    name = argv[0]
    module_name, text = COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
        parser = argparse.ArgumentParser(prog=f"mmad {name}", description=text)
        module.add_arguments(parser)
        args = parser.parse_args(argv[1:])
        return int(module.run(args) or 0)
    except ModuleNotFoundError as exc:
        hint = missing_extra(exc)
        if hint is None:
            raise
        print(f"mmad {name}: error: {hint}", file=sys.stderr)
        return 2
    except (MMADError, OSError) as exc:
        print(f"mmad {name}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mmad {name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
