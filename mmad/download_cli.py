"""`mmad download [--sources ...] [--out ROOT] [--revision REV] [--repo ORG/NAME] [--force]`."""

from __future__ import annotations

import argparse

import mmad_dataset as mm

_BY_NAME = {**{source.lower(): source for source in mm.SOURCES}, **mm.SOURCE_CONFIGS}


def _source(text: str) -> str:
    try:
        return _BY_NAME[text.lower()]
    except KeyError:
        raise argparse.ArgumentTypeError(
            f"unknown source {text[:60]!r}; choose from {', '.join(mm.SOURCES)}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mmad.download import AUTHORS_REPO

    parser.add_argument("--sources", nargs="+", type=_source, default=list(mm.SOURCES), metavar="SOURCE",
                        help=f"sources to fetch (default: all): {', '.join(mm.SOURCES)} or their config names; "
                             "DS-MVTec also fetches MVTec-AD.zip (its templates)")
    parser.add_argument("--out", default="ALL_DATA", help="raw root to unpack into (default: ./ALL_DATA)")
    parser.add_argument("--revision", default=None, help="branch, tag or commit of the repo (default: main)")
    parser.add_argument("--repo", default=AUTHORS_REPO, help=f"dataset repo holding the zips (default: {AUTHORS_REPO})")
    parser.add_argument("--force", action="store_true", help="overwrite files that already exist in --out")


def run(args: argparse.Namespace) -> int:
    from mmad.download import download

    summary = download(args.out, sources=args.sources, repo=args.repo, revision=args.revision, force=args.force,
                       progress=True)
    if summary.skipped:
        print(f"already unpacked and verified, skipped: {', '.join(summary.skipped)}")
    print(f"{summary.root}: {args.repo}@{summary.revision[:12]}, unpacked {', '.join(summary.extracted) or 'nothing new'}; "
          f"valid for {', '.join(args.sources)}: {summary.images:,} images, {summary.rows:,} questions, "
          "every referenced file present")
    return 0
