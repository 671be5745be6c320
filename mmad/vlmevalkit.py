"""MMAD as a VLMEvalKit custom multiple-choice dataset, and VLMEvalKit's predictions back as JSONL.

VLMEvalKit reads `$LMUData/<NAME>.tsv` (`build_dataset` treats an unknown name whose TSV has `A` and
`B` columns as a custom MCQ dataset). Each row is one question: `index`, `question_id` (ours, kept in
its prediction file), `image` (base64 of the file's own bytes; several images as a Python list
literal, which its `toliststr` evaluates) with `image_path` (the names `dump_image` writes them
under), `question`, `hint`, the options the question has (`A`..`E`, empty otherwise), `answer`,
`category` (subtask title) and `l2-category` (source). The images are the ones `mmad predict` shows,
in its order: template(s) first, the query image last. With `images="paths"` the TSV holds absolute
file paths in `image_path` instead of base64 (VLMEvalKit's meta-only mode: no copy, no re-encoding).

Its prediction file (`<model>_<NAME>.xlsx`, or `.tsv`/`.json` with `PRED_FORMAT`, or a `.csv`) has
`index` and `prediction` columns; `import_predictions` maps index → question id through the TSV and
extracts the letter as `mmad predict` does, writing the JSONL `mmad score` and the board take.
"""

from __future__ import annotations

import base64
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmad_dataset import (DEFAULT_CONFIG, LETTERS, SUBTASK_TITLES, MMADError, load_rows, read_json,
                          row_in_config)

from eval.predict.data import LocalData
from eval.predict.prompts import Prompt, PromptSettings, build_prompt, extract_answer, shown_options

IMAGE_MODES: tuple[str, ...] = ("base64", "paths")
PREDICTION_SUFFIXES: tuple[str, ...] = (".xlsx", ".tsv", ".csv", ".json")
_COLUMNS = ("index", "question_id", "question", "hint", *LETTERS, "answer", "category", "l2-category")
_SHOWN = 200


def _hint(prompt: Prompt, settings: PromptSettings) -> str:
    """The instruction (and domain knowledge) text that precedes the pictures in `mmad predict`'s
    prompt. The template announcement is left out: VLMEvalKit shows every picture before its text."""
    texts: list[str] = []
    for part in prompt.parts:
        if part["type"] == "image":
            break
        texts.append(part["text"])
    if settings.template_count:
        texts.pop()
    return "".join(texts).strip()


def _image_name(path: str) -> str:
    """A flat, unique file name for `dump_image`, which writes every picture into one folder."""
    return path.replace("/", "__")


def tsv_rows(root: Path, *, config: str = DEFAULT_CONFIG, settings: PromptSettings = PromptSettings(),
             images: str = "base64") -> Iterator[dict[str, Any]]:
    """One VLMEvalKit row per question of `config`, in the export's order, `index` counting from 0."""
    if images not in IMAGE_MODES:
        raise MMADError(f"unknown image mode {images!r}; choose from {', '.join(IMAGE_MODES)}")
    knowledge = LocalData(root).domain_knowledge() if settings.domain_knowledge else None
    rows = [row for row in load_rows(root) if row_in_config(row, config)]
    for index, row in enumerate(rows):
        prompt = build_prompt(row, [], settings, knowledge)
        paths = [part["path"] for part in prompt.parts if part["type"] == "image"]
        missing = [path for path in paths if not (root / path).is_file()]
        if missing:
            raise MMADError(f"{root}: lacks {missing[0]}, which question {row['question_id']} shows")
        out = {"index": index, "question_id": row["question_id"], "question": row["question"],
               "hint": _hint(prompt, settings), **{letter: row.get(letter) or "" for letter in LETTERS},
               "answer": row["answer"], "category": SUBTASK_TITLES[row["subtask"]], "l2-category": row["source"]}
        if images == "paths":
            absolute = [str((root / path).resolve()) for path in paths]
            out["image_path"] = absolute[0] if len(absolute) == 1 else repr(absolute)
        else:
            encoded = [base64.b64encode((root / path).read_bytes()).decode("ascii") for path in paths]
            out["image"] = encoded[0] if len(encoded) == 1 else repr(encoded)
            names = [_image_name(path) for path in paths]
            out["image_path"] = names[0] if len(names) == 1 else repr(names)
        yield out


def export_tsv(root: str | Path, out: str | Path, *, config: str = DEFAULT_CONFIG,
               settings: PromptSettings = PromptSettings(), images: str = "base64") -> int:
    """Write the TSV (streamed, one row at a time); returns the number of questions."""
    root, out = Path(root), Path(out)
    if out.suffix != ".tsv":
        raise MMADError(f"{out}: VLMEvalKit reads <NAME>.tsv from its data folder; name the file so")
    out.parent.mkdir(parents=True, exist_ok=True)
    image_columns = ["image_path"] if images == "paths" else ["image", "image_path"]
    count = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        # Every field quoted (as VLMEvalKit's own `dump` writes a TSV): minimal quoting leaves a lone
        # carriage return bare, and every reader then splits the row there.
        writer = csv.DictWriter(handle, fieldnames=[*_COLUMNS[:2], *image_columns, *_COLUMNS[2:]],
                                delimiter="\t", quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writeheader()
        for row in tsv_rows(root, config=config, settings=settings, images=images):
            writer.writerow(row)
            count += 1
    if not count:
        raise MMADError(f"{root}: config {config!r} has no question")
    return count


def read_index(tsv: str | Path) -> dict[str, dict[str, Any]]:
    """`index` → question id and the shown options, from an exported TSV (images are not decoded)."""
    csv.field_size_limit(sys.maxsize)
    found: dict[str, dict[str, Any]] = {}
    with Path(tsv).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        if not reader.fieldnames or not {"index", "question_id", *LETTERS} <= set(reader.fieldnames):
            raise MMADError(f"{tsv}: not a TSV written by `mmad vlmevalkit export` (no index, question_id and "
                            "A-E columns)")
        for row in reader:
            found[row["index"]] = {"question_id": row["question_id"],
                                   **{letter: row[letter] or None for letter in LETTERS}}
    return found


def _read_table(path: Path) -> list[dict[str, Any]]:
    """VLMEvalKit's prediction file as records; xlsx needs openpyxl (pandas' engine for it)."""
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix not in PREDICTION_SUFFIXES:
        raise MMADError(f"{path}: expected one of {', '.join(PREDICTION_SUFFIXES)} (VLMEvalKit's prediction formats)")
    try:
        if suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        elif suffix == ".json":
            frame = pd.DataFrame(read_json(path.read_bytes(), str(path), finite=False)).astype(str)
        else:
            frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False)
    except ImportError:
        raise MMADError(f"{path}: reading .xlsx needs openpyxl (pip install openpyxl), or run VLMEvalKit "
                        "with PRED_FORMAT=tsv") from None
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise MMADError(f"{path}: cannot read it as a VLMEvalKit prediction file ({str(exc)[:_SHOWN]})") from None
    missing = {"index", "prediction"} - set(frame.columns)
    if missing:
        raise MMADError(f"{path}: no {' or '.join(sorted(missing))} column; columns are "
                        f"{', '.join(map(str, frame.columns))[:_SHOWN]}")
    return frame[["index", "prediction"]].to_dict("records")


def import_predictions(predictions: str | Path, tsv: str | Path, out: str | Path) -> int:
    """Write the JSONL (question_id, answer, response) for every prediction; returns how many."""
    predictions, out = Path(predictions), Path(out)
    index = read_index(tsv)
    records = []
    seen: set[str] = set()
    for number, row in enumerate(_read_table(predictions), 2):
        key = str(row["index"]).strip()
        if key.endswith(".0"):  # spreadsheets may turn integers into floats
            key = key[:-2]
        if key not in index:
            raise MMADError(f"{predictions}: row {number}: index {key[:_SHOWN]!r} is not in {tsv}")
        if key in seen:
            raise MMADError(f"{predictions}: row {number}: index {key} appears twice")
        seen.add(key)
        question = index[key]
        reply = str(row["prediction"])
        options = Prompt(question["question_id"], [], shown_options(question, None))
        records.append({"question_id": question["question_id"], "answer": extract_answer(reply, options),
                        "response": reply})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return len(records)
