"""`mmad vlmevalkit export|import`: MMAD as a VLMEvalKit custom MCQ TSV, and its predictions back.

    mmad vlmevalkit export --data-dir MMAD-hub --out ~/LMUData/MMAD.tsv [--config all] [--setting 1-shot]
    mmad vlmevalkit import outputs/<model>/<model>_MMAD.xlsx --tsv ~/LMUData/MMAD.tsv --out predictions.jsonl
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mmad_dataset import CONFIG_NAMES, DEFAULT_CONFIG


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from eval.predict.prompts import SETTINGS

    from mmad.vlmevalkit import IMAGE_MODES

    actions = parser.add_subparsers(dest="action", required=True, metavar="export|import")
    export = actions.add_parser("export", help="write the TSV VLMEvalKit reads for a custom MCQ dataset")
    export.add_argument("--data-dir", required=True, type=Path,
                        help="an `mmad export` folder or a raw MMAD root (images are read from it)")
    export.add_argument("--out", required=True, type=Path, help="the TSV, e.g. ~/LMUData/MMAD.tsv")
    export.add_argument("--config", default=DEFAULT_CONFIG, choices=CONFIG_NAMES, help="which questions")
    export.add_argument("--setting", default="1-shot", choices=list(SETTINGS), help="which templates are shown")
    export.add_argument("--shots", type=int, default=2, help="templates for k-shot (default 2)")
    export.add_argument("--domain-knowledge", action="store_true", help="put the category's domain knowledge "
                        "in the hint")
    export.add_argument("--images", default="base64", choices=IMAGE_MODES,
                        help="base64 in the TSV (default, portable) or absolute paths (exact files, small TSV)")
    back = actions.add_parser("import", help="turn VLMEvalKit's prediction file into the project's JSONL")
    back.add_argument("predictions", type=Path, help="VLMEvalKit's <model>_<NAME>.xlsx / .tsv / .csv / .json")
    back.add_argument("--tsv", required=True, type=Path, help="the TSV `mmad vlmevalkit export` wrote")
    back.add_argument("--out", required=True, type=Path, help="the JSONL to write (for mmad score or the board)")


def run(args: argparse.Namespace) -> int:
    from eval.predict.prompts import PromptSettings

    from mmad.vlmevalkit import export_tsv, import_predictions

    if args.action == "export":
        settings = PromptSettings(setting=args.setting, shots=args.shots, domain_knowledge=args.domain_knowledge)
        count = export_tsv(args.data_dir, args.out, config=args.config, settings=settings, images=args.images)
        print(f"wrote {args.out}: {count} questions ({args.config}, {args.setting}, images as {args.images}); "
              f"run VLMEvalKit with --data {args.out.stem}")
        return 0
    count = import_predictions(args.predictions, args.tsv, args.out)
    print(f"wrote {args.out}: {count} predictions; score with `mmad score {args.out} --key <export>`")
    return 0
