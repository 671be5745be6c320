"""`mmad publish ROOT --repo ORG/NAME [--revision BRANCH] [--private] [--export-dir DIR]`."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", help="a raw MMAD root (exported first) or a folder `mmad export` wrote")
    parser.add_argument("--repo", required=True, help="dataset repo to create or update, ORG/NAME")
    parser.add_argument("--revision", default=None, help="existing branch to commit to (default: main)")
    parser.add_argument("--private", action="store_true", help="create the repo private (an existing repo keeps its setting)")
    parser.add_argument("--export-dir", default=None,
                        help="where to export a raw root (default: ROOT-hub next to it; reused if it is already an "
                             "export of the same mmad.json; hard links where the file system allows)")


def run(args: argparse.Namespace) -> int:
    from mmad.publish import publish

    summary = publish(args.root, args.repo, revision=args.revision, private=args.private, work=args.export_dir,
                      progress=True)
    print(f"published {summary.export} to datasets/{summary.repo}@{summary.revision[:12]}: "
          f"{summary.uploaded:,} file(s) uploaded in {summary.commits} commit(s), {summary.unchanged:,} already there")
    return 0
