"""Write a Hub-ready MMAD folder that `datasets.load_dataset` reads with no remote code.

Layout (ImageFolder with one metadata file per config, `datasets` >= 4.0):

    DIR/README.md                      dataset card; its YAML `configs:` select files per config
    DIR/metadata-<config>.parquet      one row per question of that config; `*file_name` columns
    DIR/<source>/<category>/...        every referenced image (all templates, all masks), once,
                                       at its raw-root path
    DIR/mmad.json, domain_knowledge.json   the root's own files, byte for byte
    DIR/answer_key.jsonl               text-only rows (no image) for the scorer and the Space
    DIR/errata.json                    known wrong items, missing files, mmad.json hash

With the images at their raw-root paths and the root's text files beside them, the folder is also
a raw root: `mmad validate`, `mmad predict --data-dir`, `mmad score --key` and the builder read it.

A config can only select files, never filter rows, so each config gets its own metadata file while
all of them point at the same image files. Metadata is Parquet rather than JSON Lines because a
JSON column that is null in every row (`mask` in the object configs, `E`) would be inferred as
`null` instead of `string`, and ImageFolder would not turn it into an image column.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mmad_dataset as mm
from mmad.validate import RootReport, check_root

ERRATA_FILE = "errata.json"
#: Image column → the metadata column ImageFolder decodes into it (`file_name` → `image`).
FILE_NAME_COLUMNS: dict[str, str] = {column: "file_name" if column == "image" else f"{column}_file_name"
                                     for column in mm.IMAGE_COLUMNS}


def metadata_file(config: str) -> str:
    return f"metadata-{config}.parquet"


@dataclass
class ExportSummary:
    """What an export wrote: rows per config, image files and their bytes, files it lacked."""

    out: Path
    configs: dict[str, int]
    files: int
    image_bytes: int
    missing: list[str]


def _progress(items: list, desc: str, unit: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit=unit, disable=not enabled)


def _prepare_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise mm.MMADError(f"{out}: already exists and is not an empty folder; choose a new or empty one")
    out.mkdir(parents=True, exist_ok=True)


def _copy_files(root: Path, out: Path, files: list[str], *, link: bool, progress: bool) -> int:
    """Copy (or hard-link) each file once; returns the bytes written. Streams, never holds a file."""
    made: set[Path] = set()
    total = 0
    for rel in _progress(files, "copying images", "file", progress):
        target = out / rel
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        if link:
            os.link(root / rel, target)
        else:
            shutil.copyfile(root / rel, target)
        total += target.stat().st_size
    return total


def _metadata_schema():
    """The column types of `mmad_dataset.features()`, without importing `datasets` (a second per export)."""
    import pyarrow as pa

    fields = [pa.field(column, pa.bool_() if column in mm.BOOL_COLUMNS else pa.string())
              for column in mm.TEXT_COLUMNS]
    fields += [pa.field(FILE_NAME_COLUMNS[column], pa.string()) for column in mm.IMAGE_COLUMNS]
    return pa.schema(fields)


def _metadata_columns(rows: list[dict[str, Any]], missing: AbstractSet[str]) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {column: [row[column] for row in rows] for column in mm.TEXT_COLUMNS}
    files = [mm.image_files(row, missing) for row in rows]
    for column, name in FILE_NAME_COLUMNS.items():
        columns[name] = [row_files[column] for row_files in files]
    return columns


def rows_by_config(rows: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Row indices of each non-empty config, in row order (one pass over the rows)."""
    indices: dict[str, list[int]] = {config: [] for config in mm.CONFIG_NAMES}
    for index, row in enumerate(rows):
        for config in mm.row_configs(row):
            indices[config].append(index)
    return {config: found for config, found in indices.items() if found}


def _write_metadata(out: Path, rows: list[dict[str, Any]], by_config: dict[str, list[int]],
                    missing: AbstractSet[str], *, progress: bool) -> None:
    """One Parquet metadata file per config."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pydict(_metadata_columns(rows, missing), schema=_metadata_schema())
    for config in _progress(list(by_config), "writing metadata", "config", progress):
        pq.write_table(table.take(by_config[config]), out / metadata_file(config))


def _folders(row: dict[str, Any], missing: AbstractSet[str]) -> frozenset[str]:
    return frozenset(path.partition("/")[0] for path in mm.image_files(row, missing).values() if path)


def hub_configs(rows: list[dict[str, Any]], by_config: dict[str, list[int]],
                missing: AbstractSet[str]) -> list[dict[str, Any]]:
    """The card's `configs:` entries: each config's metadata file plus the image folders it needs.

    The image folders must be data files too: on the Hub only listed files are downloaded, and
    ImageFolder resolves `file_name` next to the downloaded metadata file. `drop_labels` stops
    `train/`/`test/` folders from being read as class labels.
    """
    row_folders = [_folders(row, missing) for row in rows]
    entries = []
    for config, indices in by_config.items():
        used = frozenset().union(*(row_folders[i] for i in indices))
        folders = [folder for folder in mm.ROOT_FOLDERS if folder in used]
        entries.append({"config_name": config, **({"default": True} if config == mm.DEFAULT_CONFIG else {}),
                        "data_files": [{"split": "test", "path": [metadata_file(config), *(f"{f}/**" for f in folders)]}],
                        "drop_labels": True, "metadata_filenames": [metadata_file(config)]})
    return entries


def _write_answer_key(out: Path, rows: list[dict[str, Any]]) -> None:
    with (out / mm.ANSWER_KEY_FILE).open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({column: row[column] for column in mm.TEXT_COLUMNS}, ensure_ascii=False) + "\n")


def errata(report: RootReport) -> dict[str, Any]:
    """Known wrong items of this root (whole images, single questions), files it lacked, and the hash of
    the `mmad.json` exported."""
    questions: dict[str, list[str]] = {}
    for row in report.rows:
        if row["image_path"] in mm.KNOWN_ISSUES:
            questions.setdefault(row["image_path"], []).append(row["question_id"])
    return {
        "mmad_json_sha256": report.mmad_sha256,
        "known_images": [{"image_path": key, "issue": mm.KNOWN_ISSUES[key], "question_ids": ids}
                         for key, ids in questions.items()],
        "known_questions": report.known_questions(),
        "known_subtasks": [{"subtask": subtask, "issue": text} for subtask, text in mm.KNOWN_SUBTASK_ISSUES.items()],
        "missing_files": report.missing,
    }


def export_root(root: str | Path, out: str | Path, *, lenient: bool = False, link: bool = False,
                progress: bool = False, report: RootReport | None = None) -> ExportSummary:
    """Validate `root` (unless the caller passes its `report` already) and write the Hub-ready folder
    `out` (which must be new or empty)."""
    from mmad.card import render_card

    root, out = Path(root), Path(out)
    report = report or check_root(root, lenient=lenient)
    missing = set(report.missing)
    files = [path for path in mm.referenced_files(report.rows) if path not in missing]
    if not files:
        raise mm.MMADError(f"{root}: none of the referenced image files exists; nothing to export")
    _prepare_out(out)
    image_bytes = _copy_files(root, out, files, link=link, progress=progress)
    for name in mm.ROOT_TEXT_FILES:
        if (root / name).is_file():
            shutil.copyfile(root / name, out / name)
    by_config = rows_by_config(report.rows)
    _write_metadata(out, report.rows, by_config, missing, progress=progress)
    _write_answer_key(out, report.rows)
    (out / ERRATA_FILE).write_text(json.dumps(errata(report), indent=1) + "\n", encoding="utf-8")
    configs = {config: len(indices) for config, indices in by_config.items()}
    (out / "README.md").write_text(render_card(report, configs, hub_configs(report.rows, by_config, missing)),
                                   encoding="utf-8")
    return ExportSummary(out=out, configs=configs, files=len(files), image_bytes=image_bytes,
                         missing=report.missing)
