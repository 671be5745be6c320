"""`mmad validate --data-dir ROOT [--lenient]`."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", required=True, help="raw MMAD root (holding mmad.json and the image folders)")
    parser.add_argument("--lenient", action="store_true",
                        help="report missing image files instead of failing on them")


def run(args: argparse.Namespace) -> int:
    from mmad.validate import check_root, format_report

    print(format_report(check_root(args.data_dir, lenient=args.lenient)))
    return 0
