"""`mmad synth --out DIR [--scale 1.0] [--seed N] [--image-size PX] [--force]`."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="new or empty folder to write the raw root into")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the benchmark's size, in (0, 1]; 1.0 reproduces every count")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--image-size", type=int, default=32, help="side of each square image, in pixels")
    parser.add_argument("--force", action="store_true",
                        help="write into a non-empty --out, replacing its mmad.json and same-named images")


def run(args: argparse.Namespace) -> int:
    from mmad_dataset import MMADError
    from mmad.synth import write_root

    if not 0 < args.scale <= 1:
        raise MMADError(f"--scale must be in (0, 1], got {args.scale}")
    if args.image_size < 8:
        raise MMADError(f"--image-size must be at least 8, got {args.image_size}")
    summary = write_root(args.out, scale=args.scale, seed=args.seed, image_size=args.image_size,
                         progress=True, force=args.force)
    print(f"wrote {args.out}: {summary['images']} images, {summary['questions']} questions, "
          f"{summary['files']} image files")
    return 0
