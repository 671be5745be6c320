"""`mmad export --data-dir ROOT --out DIR [--lenient] [--link]`."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", required=True, help="raw MMAD root (holding mmad.json and the image folders)")
    parser.add_argument("--out", required=True, help="new or empty folder to write the Hub-ready dataset into")
    parser.add_argument("--lenient", action="store_true",
                        help="export even if image files are missing (their columns become null; listed in errata.json)")
    parser.add_argument("--link", action="store_true",
                        help="hard-link images instead of copying (same file system; the folder then shares the files)")


def run(args: argparse.Namespace) -> int:
    from mmad.export import export_root

    summary = export_root(args.data_dir, args.out, lenient=args.lenient, link=args.link, progress=True)
    print(f"wrote {summary.out}: {len(summary.configs)} configs ({summary.configs.get('all', 0):,} questions in "
          f"'all'), {summary.files:,} image files ({summary.image_bytes / 2**20:,.1f} MiB, each stored once)")
    if summary.missing:
        print(f"lenient: {len(summary.missing):,} referenced file(s) were missing; see errata.json")
    return 0
