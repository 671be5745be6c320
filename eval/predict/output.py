"""The predictions file (JSONL in the scorer's format) and its sidecar, written so a run can resume.

Each record is appended and the file flushed and fsynced after every batch, so a crash loses at
most the batch in flight. A crash in the middle of a write leaves a torn last line: it is cut off
on the next start. The sidecar `<name>.run.json` holds the run's settings; a rerun with different
settings into the same file is refused, because one file must hold one run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mmad_dataset import MMADError, read_json

#: Settings that change what lands in `answer`; a resumed run must match them.
RUN_DEFINING = ("backend", "model", "revision", "prompt", "generation", "prompt_version", "dataset")


def sidecar_path(predictions: Path) -> Path:
    return predictions.with_name(predictions.stem + ".run.json")


def load_done(path: Path) -> set[str]:
    """Question ids already written; cuts a torn last line (a crash mid-write) off the file."""
    if not path.exists():
        return set()
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    done: set[str] = set()
    good: list[bytes] = []
    for lineno, line in enumerate(lines, 1):
        try:
            record = read_json(line, f"{path}:{lineno}") if line.strip() else None
        except MMADError:
            if lineno == len(lines):
                break
            raise MMADError(f"{path}:{lineno}: not a JSON line; fix or remove the file") from None
        if record is not None:
            if not isinstance(record, dict) or type(record.get("question_id")) is not str:
                raise MMADError(f"{path}:{lineno}: not a prediction line (no question_id); fix or remove the file")
            done.add(record["question_id"])
        good.append(line if line.endswith(b"\n") else line + b"\n")
    repaired = b"".join(good)
    if repaired != data:
        scratch = path.with_name(path.name + ".repair")
        scratch.write_bytes(repaired)
        os.replace(scratch, path)
    return done


def check_resume(predictions: Path, settings: dict[str, Any]) -> None:
    """Refuse to append to a file written by a run with other settings."""
    sidecar = sidecar_path(predictions)
    if not sidecar.exists():
        return
    old = read_json(sidecar.read_bytes(), str(sidecar))
    if not isinstance(old, dict):
        raise MMADError(f"{sidecar}: not a run description (a JSON object); remove it to start afresh")
    changed = [key for key in RUN_DEFINING if old.get(key) != settings.get(key)]
    if changed:
        details = "; ".join(f"{key}: {old.get(key)!r} → {settings.get(key)!r}" for key in changed)
        raise MMADError(f"{predictions} was written by a run with other settings ({details}); "
                        "write to another --out or pass --overwrite")


def write_sidecar(predictions: Path, settings: dict[str, Any]) -> None:
    sidecar_path(predictions).write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")


class PredictionWriter:
    """Appends records, durably, one batch at a time."""

    def __init__(self, path: Path) -> None:
        self._handle = path.open("a", encoding="utf-8")

    def write(self, records: list[dict[str, str]]) -> None:
        for record in records:
            self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()
