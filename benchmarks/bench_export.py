"""Benchmark of `mmad export`, loading, `mmad download` and `mmad publish` on a synthetic root.

    python benchmarks/bench_export.py [--scale 1.0] [--image-size 256] [--small-size 64] [--runs 3]
                                      [--work DIR] [--no-hub]

Measures, as medians of `--runs` runs:
- export time against a plain `shutil.copyfile` of the same referenced files (goal <= 1.5x);
- cold `load_dataset(DIR, "all")` (fresh cache dir each run) against loading the same metadata with
  `load_dataset("json", ...)` (goal <= 3x), against `load_dataset("parquet", ...)`, and against the
  alternative layout that was tried: the rows in a Parquet grid `data/<source>/<subtask>.parquet`
  with the image bytes embedded. The grid is built and loaded from the `--small-size` root (a grid of
  the large root would be about 9x its images, written and read again on each run); an ImageFolder
  load stores paths, not bytes, so its time does not depend on the image size. The grid's size for
  the large root is computed: the bytes of the four images each row would embed;
- peak RSS of an export process at two image sizes (must not grow with image bytes);
- once each (not medians): `mmad download` of all sources and `mmad publish` of the result, against
  the project's fake Hub (`tests/fake_hub.py`, a local HTTP server holding the repos in memory) with
  zips made like the authors'; these time our code plus localhost transfers, not a real network.

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


def ensure_root(work: Path, size: int, scale: float) -> Path:
    """A synthetic root with `size`-pixel images, written on first use."""
    root = work / (f"root-{size}" if scale == 1.0 else f"root-{size}-scale{scale}")
    if not (root / "mmad.json").is_file():
        write_root(root, scale=scale, seed=0, image_size=size, progress=True, force=True)
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


def embedded_bytes(root: Path) -> int:
    """Bytes a Parquet layout with embedded images would hold: each row's four images, per row."""
    sizes: dict[str, int] = {}
    total = 0
    for row in mm.read_rows(root):
        for path in mm.image_files(row).values():
            if path:
                if path not in sizes:
                    sizes[path] = (root / path).stat().st_size
                total += sizes[path]
    return total


def parquet_grid(work: Path, export: Path) -> tuple[Path, int]:
    """The alternative layout: rows with embedded image bytes, one Parquet file per (source, subtask),
    configs selecting files by glob (each row stored once, each image once per row that shows it)."""
    import datasets
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from datasets.table import embed_table_storage

    grid = work / "grid"
    shutil.rmtree(grid, ignore_errors=True)
    with tempfile.TemporaryDirectory(dir=work) as cache:
        table = embed_table_storage(datasets.load_dataset(str(export), "all", split="test", cache_dir=cache)
                                    .data.table)
        for source in mm.SOURCES:
            for subtask in mm.SUBTASKS:
                part = table.filter(pc.and_(pc.equal(table["source"], source), pc.equal(table["subtask"], subtask)))
                if part.num_rows:
                    (grid / "data" / source).mkdir(parents=True, exist_ok=True)
                    pq.write_table(part, grid / "data" / source / f"{subtask}.parquet")
    configs = [f"- config_name: all\n  data_files: [{{split: test, path: 'data/*/*.parquet'}}]"]
    configs += [f"- config_name: {subtask}\n  data_files: [{{split: test, path: 'data/*/{subtask}.parquet'}}]"
                for subtask in mm.SUBTASKS]
    (grid / "README.md").write_text("---\nconfigs:\n" + "\n".join(configs) + "\n---\n", encoding="utf-8")
    return grid, sum(p.stat().st_size for p in (grid / "data").rglob("*.parquet"))


#: Where a cold ImageFolder load spends its time: (label, file suffix, function) of `datasets` internals.
LOAD_PHASES = (
    ("resolve data-file patterns (module inference + config)", "datasets/data_files.py", "resolve_pattern"),
    ("pass every data file through the download manager", "folder_based_builder.py", "_split_generators"),
    ("ImageFolder row generator (to_pylist, path joins)", "folder_based_builder.py", "_generate_examples"),
    ("encode each example (Features.encode_example)", "datasets/features/features.py", "encode_example"),
    ("write Arrow batches", "datasets/arrow_writer.py", "write_examples_on_file"),
)


def load_breakdown(work: Path, export: Path) -> list[tuple[str, str]]:
    """One profiled cold `load_dataset(DIR, "all")`: each phase's share of the profiled total."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(cold_load(work, str(export), "all"))
    stats = pstats.Stats(profiler).stats
    total = max(cumulative for (_, _, _, cumulative, _) in stats.values())
    rows = []
    for label, suffix, name in LOAD_PHASES:
        seconds = sum(entry[3] for (file, _, function), entry in stats.items()
                      if file.endswith(suffix) and function == name)
        rows.append((f"  profile: {label}", f"{100 * seconds / total:.0f}% of the load"))
    return rows


def hub_timings(root: Path, work: Path) -> list[tuple[str, str]]:
    """`mmad download` then `mmad publish`, once each, against the fake Hub."""
    sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "tests"),
                    str(Path(__file__).resolve().parents[1] / "tests" / "data")]
    import pytest
    from authors_repo import upload_authors_repo
    from fake_hub import point_clients_at, running_fake_hub

    from mmad.download import download
    from mmad.publish import publish

    target = work / "downloaded"
    shutil.rmtree(target, ignore_errors=True)
    shutil.rmtree(work / "downloaded-hub", ignore_errors=True)
    with running_fake_hub() as hub, tempfile.TemporaryDirectory(dir=work) as home:
        patch = pytest.MonkeyPatch()
        patch.setenv("HF_HOME", home)
        point_clients_at(hub.url, patch)
        import huggingface_hub.constants as constants

        patch.setattr(constants, "HF_HUB_CACHE", str(Path(home) / "hub"))
        start = time.perf_counter()
        zips = upload_authors_repo(root)
        upload_s = time.perf_counter() - start
        start = time.perf_counter()
        download(target, progress=False)
        download_s = time.perf_counter() - start
        start = time.perf_counter()
        download(target, progress=False)
        rerun_s = time.perf_counter() - start
        start = time.perf_counter()
        summary = publish(target, "mmad-org/MMAD", progress=False)
        publish_s = time.perf_counter() - start
        patch.undo()
    gib = 2 ** 30
    zip_bytes = sum(len(v) for k, v in zips.items() if k.endswith(".zip"))
    return [
        ("fake Hub: zip + upload the authors' repo", f"{upload_s:.1f} s  ({zip_bytes / gib:.2f} GiB of zips)"),
        ("mmad download, all sources", f"{download_s:.1f} s  (fetch, SHA-256, unpack, validate)"),
        ("mmad download again (resume: all done)", f"{rerun_s:.1f} s"),
        ("mmad publish (export with hard links + upload)",
         f"{publish_s:.1f} s  ({summary.uploaded:,} files in {summary.commits} commit(s))"),
    ]


def bench(work: Path, size: int, small_size: int, runs: int, scale: float, hub: bool) -> list[tuple[str, str]]:
    import datasets

    datasets.disable_progress_bars()
    root, small_root = ensure_root(work, size, scale), ensure_root(work, small_size, scale)
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
    breakdown = load_breakdown(work, out)
    small_files = mm.referenced_files(mm.read_rows(small_root))
    small_out = work / "export-small"
    shutil.rmtree(small_out, ignore_errors=True)
    export_root(small_root, small_out)
    small_load_s = median_seconds(cold_load(work, str(small_out), "all"), runs)
    grid, grid_bytes = parquet_grid(work, small_out)
    cold_load(work, str(grid), "all")()
    grid_s = median_seconds(cold_load(work, str(grid), "all"), runs)
    shutil.rmtree(grid, ignore_errors=True)
    shutil.rmtree(small_out, ignore_errors=True)

    rss_big = export_peak_rss_mib(root, work / "rss-export")
    rss_small = export_peak_rss_mib(small_root, work / "rss-export")
    shutil.rmtree(work / "rss-export", ignore_errors=True)
    gib = 2 ** 30
    return [
        ("root", f"scale {scale}: {len(mm.load_mmad_json(root)):,} images, {len(files):,} referenced files, "
                 f"{size}px, {folder_bytes(root, files) / gib:.2f} GiB"),
        ("plain copy (shutil.copyfile)", f"{copy_s:.2f} s"),
        ("mmad export", f"{export_s:.2f} s  ratio {export_s / copy_s:.2f}x  (goal <= 1.5x)"),
        ("cold load_dataset(DIR, 'all')", f"{load_s:.2f} s"),
        *breakdown,
        ("cold load_dataset('json', metadata)", f"{json_s:.2f} s  ratio {load_s / json_s:.2f}x  (goal <= 3x)"),
        ("cold load_dataset('parquet', metadata)", f"{parquet_s:.2f} s  ratio {load_s / parquet_s:.2f}x"),
        ("warm load_dataset(DIR, 'all'), cache reused", f"{warm_s:.2f} s"),
        (f"cold load_dataset(DIR, 'all'), {small_size}px root", f"{small_load_s:.2f} s"),
        (f"alternative: cold load of a Parquet grid with embedded images, {small_size}px root",
         f"{grid_s:.2f} s  ratio {grid_s / json_s:.2f}x to JSON; {grid_bytes / gib:.2f} GiB of Parquet = "
         f"{grid_bytes / folder_bytes(small_root, small_files):.2f}x its stored-once images"),
        (f"  grid size for the {size}px root (computed)",
         f"{embedded_bytes(root) / gib:.2f} GiB = {embedded_bytes(root) / folder_bytes(root, files):.2f}x its "
         "stored-once images, and k-shot templates beyond the first would still need the files"),
        (f"export peak RSS, {small_size}px images",
         f"{rss_small:.0f} MiB  ({folder_bytes(small_root, small_files) / gib:.2f} GiB of images)"),
        (f"export peak RSS, {size}px images",
         f"{rss_big:.0f} MiB  ({folder_bytes(root, files) / gib:.2f} GiB of images)"),
        *(hub_timings(root, work) if hub else []),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--small-size", type=int, default=64, help="second image size, for the RSS comparison")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="size of the synthetic roots, in (0, 1]")
    parser.add_argument("--no-hub", action="store_true", help="skip the download/publish timings (fake Hub)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "mmad-bench")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    rows = bench(args.work, args.image_size, args.small_size, args.runs, args.scale, not args.no_hub)
    width = max(len(name) for name, _ in rows)
    print(f"median of {args.runs} runs")
    print("\n".join(f"{name:<{width}}  {value}" for name, value in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
