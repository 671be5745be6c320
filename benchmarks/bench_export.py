"""Benchmark of `mmad export` on a full-scale synthetic root (8,366 images, 39,672 questions).

    python benchmarks/bench_export.py [--image-size 256] [--small-size 64] [--runs 3] [--work DIR]

Measures, as medians of `--runs` runs:
- export time against a plain `shutil.copyfile` of the same referenced files (goal <= 1.5x);
- cold `load_dataset(DIR, "all")` (fresh cache dir each run) against loading the same metadata with
  `load_dataset("json", ...)` (goal <= 3x), and against `load_dataset("parquet", ...)` for reference;
- peak RSS of an export process at two image sizes (must not grow with image bytes).

Synthetic roots are written once under `--work` and reused. Not a test: numbers depend on the box.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import mmad_dataset as mm
from mmad.export import export_root, metadata_file
from mmad.synth import write_root


def ensure_root(work: Path, size: int) -> Path:
    """A full-scale synthetic root with `size`-pixel images, written on first use."""
    root = work / f"root-{size}"
    if not (root / "mmad.json").is_file():
        write_root(root, scale=1.0, seed=0, image_size=size, progress=True)
    return root


def plain_copy(root: Path, out: Path, files: list[str]) -> None:
    """The baseline: copy each referenced file, creating its folder."""
    for rel in files:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, out / rel)


def median_seconds(action: Callable[[], object], runs: int, before: Callable[[], object] = lambda: None) -> float:
    """Median wall time of `action`; `before` (untimed) resets its state each run."""
    times = []
    for _ in range(runs):
        before()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cold_load(work: Path, *args: str, **kwargs: str) -> Callable[[], object]:
    """`load_dataset(*args)` into a cache dir that no earlier run has seen."""
    import datasets

    def load():
        with tempfile.TemporaryDirectory(dir=work) as cache:
            ds = datasets.load_dataset(*args, split=kwargs.get("split", "test"), cache_dir=cache,
                                       **{k: v for k, v in kwargs.items() if k != "split"})
            return ds.num_rows
    return load


def warm_load_seconds(work: Path, path: Path, runs: int) -> float:
    """`load_dataset(path, "all")` again into a cache an earlier call filled."""
    import datasets

    with tempfile.TemporaryDirectory(dir=work) as cache:
        def load():
            return datasets.load_dataset(str(path), "all", split="test", cache_dir=cache)
        load()
        return median_seconds(load, runs)


def export_peak_rss_mib(root: Path, out: Path) -> float:
    """Peak RSS of a fresh process that runs the export (and nothing else)."""
    code = ("import resource, sys; from mmad.export import export_root; export_root(sys.argv[1], sys.argv[2]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    shutil.rmtree(out, ignore_errors=True)
    result = subprocess.run([sys.executable, "-c", code, str(root), str(out)], capture_output=True, text=True,
                            check=True)
    return int(result.stdout.split()[-1]) / 1024


def folder_bytes(root: Path, files: list[str]) -> int:
    return sum((root / rel).stat().st_size for rel in files)


def bench(work: Path, size: int, small_size: int, runs: int) -> list[tuple[str, str]]:
    import datasets

    datasets.disable_progress_bars()
    root, small_root = ensure_root(work, size), ensure_root(work, small_size)
    files = mm.referenced_files(mm.read_rows(root))
    out, copy = work / "export", work / "copy"

    def clear(*paths: Path) -> Callable[[], None]:
        return lambda: [shutil.rmtree(p, ignore_errors=True) for p in paths]

    plain_copy(root, copy, files)  # warm the page cache for both contenders
    copy_s = median_seconds(lambda: plain_copy(root, copy, files), runs, clear(copy))
    export_s = median_seconds(lambda: export_root(root, out), runs, clear(out))

    jsonl = work / "metadata-all.jsonl"
    import pyarrow.parquet as pq

    records = pq.read_table(out / metadata_file("all")).to_pylist()
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    for warm in (cold_load(work, str(out), "all"), cold_load(work, "json", data_files=str(jsonl), split="train")):
        warm()  # imports and one-time module setup are not part of a cold load
    load_s = median_seconds(cold_load(work, str(out), "all"), runs)
    json_s = median_seconds(cold_load(work, "json", data_files=str(jsonl), split="train"), runs)
    warm_s = warm_load_seconds(work, out, runs)
    parquet_s = median_seconds(cold_load(work, "parquet", data_files=str(out / metadata_file("all")),
                                         split="train"), runs)

    small_files = mm.referenced_files(mm.read_rows(small_root))
    rss_big = export_peak_rss_mib(root, work / "rss-export")
    rss_small = export_peak_rss_mib(small_root, work / "rss-export")
    shutil.rmtree(work / "rss-export", ignore_errors=True)
    gib = 2 ** 30
    return [
        ("root", f"{len(mm.load_mmad_json(root)):,} images, {len(files):,} referenced files, {size}px, "
                 f"{folder_bytes(root, files) / gib:.2f} GiB"),
        ("plain copy (shutil.copyfile)", f"{copy_s:.2f} s"),
        ("mmad export", f"{export_s:.2f} s  ratio {export_s / copy_s:.2f}x  (goal <= 1.5x)"),
        ("cold load_dataset(DIR, 'all')", f"{load_s:.2f} s"),
        ("cold load_dataset('json', metadata)", f"{json_s:.2f} s  ratio {load_s / json_s:.2f}x  (goal <= 3x)"),
        ("cold load_dataset('parquet', metadata)", f"{parquet_s:.2f} s  ratio {load_s / parquet_s:.2f}x"),
        ("warm load_dataset(DIR, 'all'), cache reused", f"{warm_s:.2f} s"),
        (f"export peak RSS, {small_size}px images",
         f"{rss_small:.0f} MiB  ({folder_bytes(small_root, small_files) / gib:.2f} GiB of images)"),
        (f"export peak RSS, {size}px images",
         f"{rss_big:.0f} MiB  ({folder_bytes(root, files) / gib:.2f} GiB of images)"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--small-size", type=int, default=64, help="second image size, for the RSS comparison")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "mmad-bench")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    rows = bench(args.work, args.image_size, args.small_size, args.runs)
    width = max(len(name) for name, _ in rows)
    print(f"median of {args.runs} runs")
    print("\n".join(f"{name:<{width}}  {value}" for name, value in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
