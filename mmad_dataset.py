"""MMAD as a Hugging Face dataset: the benchmark's structure, its raw-root reader, and a builder.

This module is the single source of truth for sources, categories, subtasks, config names and
question ids; the scorer, the runner and the Space import them from here. Importing it is cheap
(standard library only): the `datasets` builder class `MMAD` is created on first access, so the
scorer's CLI does not pay for importing `datasets`.

Upstream facts encoded here are documented in the README ("Data model").
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

# --- structure ------------------------------------------------------------------------------

#: Query sources, in the order of the published result tables.
SOURCES: tuple[str, ...] = ("DS-MVTec", "MVTec-LOCO", "VisA", "GoodsAD")
#: Folder that only holds templates (normal `train/good` images for DS-MVTec queries).
TEMPLATE_SOURCE = "MVTec-AD"
#: Every folder of a raw root (`ALL_DATA/`).
ROOT_FOLDERS: tuple[str, ...] = ("DS-MVTec", TEMPLATE_SOURCE, "MVTec-LOCO", "VisA", "GoodsAD")

_MVTEC = ("bottle", "cable", "capsule", "carpet", "grid", "hazelnut", "leather", "metal_nut", "pill",
          "screw", "tile", "toothbrush", "transistor", "wood", "zipper")
CATEGORIES: dict[str, tuple[str, ...]] = {
    "DS-MVTec": _MVTEC,
    "MVTec-LOCO": ("breakfast_box", "juice_bottle", "pushpins", "screw_bag", "splicing_connectors"),
    "VisA": ("candle", "capsules", "cashew", "chewinggum", "fryum", "macaroni1", "macaroni2",
             "pcb1", "pcb2", "pcb3", "pcb4", "pipe_fryum"),
    "GoodsAD": ("cigarette_box", "drink_bottle", "drink_can", "food_bottle", "food_box", "food_package"),
}

#: The 7 reporting subtasks, in the order of the published tables.
SUBTASKS: tuple[str, ...] = (
    "anomaly_discrimination", "defect_classification", "defect_localization", "defect_description",
    "defect_analysis", "object_classification", "object_analysis",
)
#: Column titles used by the upstream scorer's CSVs (and the paper).
SUBTASK_TITLES: dict[str, str] = {
    "anomaly_discrimination": "Anomaly Discrimination", "defect_classification": "Defect Classification",
    "defect_localization": "Defect Localization", "defect_description": "Defect Description",
    "defect_analysis": "Defect Analysis", "object_classification": "Object Classification",
    "object_analysis": "Object Analysis",
}
#: Raw `type` strings of `mmad.json` → subtask. Structure and Details fold into Object Analysis.
TYPE_TO_SUBTASK: dict[str, str] = {
    "Anomaly Detection": "anomaly_discrimination",
    "Defect Classification": "defect_classification",
    "Defect Localization": "defect_localization",
    "Defect Description": "defect_description",
    "Defect Analysis": "defect_analysis",
    "Object Classification": "object_classification",
    "Object Analysis": "object_analysis",
    "Object Structure": "object_analysis",
    "Object Details": "object_analysis",
}
#: Option letters the benchmark (and the upstream scorer) knows.
LETTERS: tuple[str, ...] = ("A", "B", "C", "D", "E")
#: An image is normal iff this case-sensitive substring is in its key (`GoodsAD` does not match).
NORMAL_FLAG = "good"

#: Config name → source, for the per-source configs.
SOURCE_CONFIGS: dict[str, str] = {"ds_mvtec": "DS-MVTec", "mvtec_loco": "MVTec-LOCO", "visa": "VisA",
                                  "goodsad": "GoodsAD"}
DEFAULT_CONFIG = "all"
CONFIG_NAMES: tuple[str, ...] = (DEFAULT_CONFIG, *SUBTASKS, *SOURCE_CONFIGS)

#: How to cite MMAD (the dataset card, the Space and the README show this).
CITATION = """@inproceedings{jiang2025mmad,
  title     = {{MMAD}: A Comprehensive Benchmark for Multimodal Large Language Models in Industrial Anomaly Detection},
  author    = {Jiang, Xi and Li, Jian and Deng, Hanqiu and Liu, Yong and Gao, Bin-Bin and Zhou, Yifeng and
               Li, Jialin and Wang, Chengjie and Zheng, Feng},
  booktitle = {International Conference on Learning Representations (ICLR)},
  year      = {2025},
  eprint    = {2410.09453},
  archivePrefix = {arXiv}
}"""

#: Known wrong items, flagged in the `known_issue` column (upstream issues #15, #19, #21).
KNOWN_ISSUES: dict[str, str] = {
    f"DS-MVTec/pill/image/good/{i:03d}.png":
        "metal_nut image filed under pill (jam-cc/MMAD issues #15, #19, #21)"
    for i in range(22)
}

#: Known wrong answers of single questions. Upstream has no question ids, and an image's conversation
#: order is upstream's to change, so each erratum is keyed by image and question type; `known_issue()`
#: resolves it onto that image's question of that type (its `<image>#<index>` id) whenever rows are
#: built, from `mmad.json` or from an exported answer key.
KNOWN_QUESTION_ISSUES: dict[tuple[str, str], str] = {
    ("DS-MVTec/bottle/image/broken_large/016.png", "Defect Localization"):
        "the Defect Localization answer says the defect is around the center; it is on the rim, at the edges "
        "(jam-cc/MMAD issue #18, 2025-12-02)",
}

#: Known problems of whole subtasks, surfaced in reports, the dataset card and `errata.json`.
KNOWN_SUBTASK_ISSUES: dict[str, str] = {
    "defect_localization": "many answers reported wrong upstream (jam-cc/MMAD issue #22); the maintainer "
                           "fixed part of them and plans a refined version",
}

#: Paper Table 1 and the per-(source, subtask) counts recovered from the authors' result files.
PAPER_IMAGES: dict[str, int] = {"DS-MVTec": 1691, "MVTec-LOCO": 1566, "VisA": 2141, "GoodsAD": 2968}
PAPER_COUNTS: dict[str, dict[str, int]] = {
    "DS-MVTec": dict(zip(SUBTASKS, (1691, 1205, 1193, 1213, 1205, 464, 1367))),
    "MVTec-LOCO": dict(zip(SUBTASKS, (1565, 982, 982, 974, 954, 544, 1623))),
    "VisA": dict(zip(SUBTASKS, (2141, 1190, 1197, 1190, 1163, 935, 2806))),
    "GoodsAD": dict(zip(SUBTASKS, (2900, 1311, 1506, 1333, 1460, 1211, 3367))),
}
#: Anomaly-discrimination questions on normal images, per source.
PAPER_NORMAL_AD: dict[str, int] = {"DS-MVTec": 465, "MVTec-LOCO": 573, "VisA": 943, "GoodsAD": 1269}
PAPER_TOTAL_IMAGES = 8366
PAPER_TOTAL_QUESTIONS = 39672

#: The text-only answer key written by `mmad export`, next to the dataset card.
ANSWER_KEY_FILE = "answer_key.jsonl"
#: The per-category domain knowledge of the paper's "+ domain knowledge" setting, at a root's top.
DOMAIN_KNOWLEDGE_FILE = "domain_knowledge.json"
#: The text files of a raw root (`ALL_DATA/`), shipped by upstream; an export carries them verbatim.
ROOT_TEXT_FILES: tuple[str, ...] = ("mmad.json", DOMAIN_KNOWLEDGE_FILE)

#: Flat text columns of one row (one question). Image columns are added by `features()`.
TEXT_COLUMNS: tuple[str, ...] = (
    "question_id", "image_path", "source", "category", "defect", "is_normal", "subtask",
    "question_type", "question", *LETTERS, "answer", "template_path", "similar_template_path",
    "mask_path", "random_templates", "similar_templates", "known_issue",
)
#: Text columns holding booleans; every other text column is a nullable string.
BOOL_COLUMNS: tuple[str, ...] = ("is_normal",)
#: Image column → the text column holding its path relative to the root.
IMAGE_COLUMNS: dict[str, str] = {"image": "image_path", "template_image": "template_path",
                                 "similar_template_image": "similar_template_path", "mask": "mask_path"}


class MMADError(ValueError):
    """A user's input is wrong; the message says where and why. The CLI exits 2 on it."""


class MMADFormatError(MMADError):
    """The raw data does not follow the upstream layout."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:20]}{'…' if len(text) > 20 else ''} is out of range")
    return value


def read_json(data: bytes | str, where: str, *, finite: bool = True) -> Any:
    """Parse JSON from a file a user gave, or raise MMADFormatError with one bounded line: the one
    reader for user files, so that no input (3M-deep nesting, a 5,000-digit integer, NaN, 1e999999,
    a UTF-16 or binary file) reaches the user as a traceback. A UTF-8 byte-order mark is accepted.
    `finite=False` lets NaN and infinities through, for tools that write them (pandas, VLMEvalKit)."""
    checks = {"parse_constant": _refuse_constant, "parse_float": _finite_float} if finite else {}
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        return json.loads(text, **checks)
    except UnicodeDecodeError as exc:
        raise MMADFormatError(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise MMADFormatError(f"{where}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise MMADFormatError(f"{where}: JSON nested too deeply") from None
    except ValueError as exc:  # NaN/Infinity, an overflowing float, or an integer of over 4,300 digits
        reason = str(exc) if "JSON allows" in str(exc) or "out of range" in str(exc) else "an integer too long"
        raise MMADFormatError(f"{where}: unreadable JSON ({reason})") from None


# --- ids and small rules ------------------------------------------------------------------------

def question_id(image_key: str, index: int) -> str:
    """Stable id of a question: `<image key>#<index in its conversation>`."""
    return f"{image_key}#{index}"


def split_question_id(qid: str) -> tuple[str, int]:
    """Inverse of `question_id`; raises ValueError on a malformed id."""
    key, sep, index = qid.rpartition("#")
    if not sep or not key or not index.isdigit():
        raise ValueError(f"not an MMAD question id (expected '<image key>#<index>'): {qid!r}")
    return key, int(index)


def is_normal(image_key: str) -> bool:
    """The benchmark's rule, verbatim: 'good' as a case-sensitive substring of the key."""
    return NORMAL_FLAG in image_key


def config_source(config: str) -> str | None:
    """Source a config selects, if it is a per-source config."""
    return SOURCE_CONFIGS.get(config)


_SOURCE_TO_CONFIG = {source: config for config, source in SOURCE_CONFIGS.items()}


def row_configs(row: dict[str, Any]) -> tuple[str, str, str]:
    """The configs a flat row belongs to: the default one, its subtask's and its source's."""
    return DEFAULT_CONFIG, row["subtask"], _SOURCE_TO_CONFIG[row["source"]]


def row_in_config(row: dict[str, Any], config: str) -> bool:
    """Whether a flat row belongs to a config."""
    if config not in CONFIG_NAMES:
        raise ValueError(f"unknown config {config!r}; expected one of {', '.join(CONFIG_NAMES)}")
    return config in row_configs(row)


def domain_knowledge_text(domain_knowledge: dict, image_key: str) -> str:
    """The category's whole block, joined as the upstream scripts do (`DS-MVTec` → `MVTec`)."""
    source, category = image_key.split("/")[:2]
    return "\n".join(domain_knowledge[source.replace("DS-MVTec", "MVTec")][category].values())


# --- reading a raw root ---------------------------------------------------------------------

def find_mmad_json(path: str | Path) -> Path:
    """`mmad.json` itself, or the one at the root of a raw MMAD folder."""
    path = Path(path)
    candidate = path / "mmad.json" if path.is_dir() else path
    if not candidate.is_file():
        raise MMADFormatError(f"{candidate}: not found (expected a raw MMAD root holding mmad.json)")
    return candidate


def load_mmad_json(path: str | Path) -> dict[str, Any]:
    """Parse `mmad.json` (or a root holding it) with a clear error on malformed JSON."""
    path = find_mmad_json(path)
    data = read_json(path.read_bytes(), str(path))
    if not isinstance(data, dict):
        raise MMADFormatError(f"{path}: expected a JSON object keyed by image path, got {type(data).__name__}")
    return data


def _check_key(key: str) -> tuple[str, str, str]:
    parts = key.split("/")
    if len(parts) != 5 or not all(parts):
        raise MMADFormatError(
            f"image key {key!r}: expected 5 path parts '<source>/<category>/<split>/<defect>/<file>'")
    if parts[0] not in SOURCES:
        raise MMADFormatError(f"image key {key!r}: unknown source {parts[0]!r}; expected one of {SOURCES}")
    return parts[0], parts[1], parts[3]


def _check_item(key: str, index: int, item: Any) -> tuple[dict[str, str], str, str]:
    where = f"{key} question {index}"
    if not isinstance(item, dict):
        raise MMADFormatError(f"{where}: expected an object with Question/Options/Answer/type")
    missing = [field for field in ("Question", "Options", "Answer", "type") if field not in item]
    if missing:
        raise MMADFormatError(f"{where}: missing field(s) {', '.join(missing)}")
    options = item["Options"]
    if not isinstance(options, dict) or not options or not set(options) <= set(LETTERS):
        raise MMADFormatError(f"{where}: Options must map letters A-E to text, got {options!r}")
    qtype = item["type"]
    if qtype not in TYPE_TO_SUBTASK:
        raise MMADFormatError(f"{where}: unknown type {qtype!r}; expected one of {sorted(TYPE_TO_SUBTASK)}")
    answer = item["Answer"]
    if answer not in options:
        raise MMADFormatError(f"{where}: answer {answer!r} is not among the options {sorted(options)}")
    return {k: str(v) for k, v in options.items()}, qtype, answer


def _mask_path(source: str, category: str, entry: dict[str, Any]) -> str | None:
    mask = entry.get("mask_path")
    # Upstream stores mask paths relative to `<source>/<category>/` (as internvl_query.py resolves them).
    return f"{source}/{category}/{mask}" if mask else None


def known_issue(image_path: Any, question_type: Any) -> str | None:
    """Why a question is known to be wrong upstream: its own erratum first, else its image's; None if neither
    (or if a malformed row's path or type is not text: its other checks name the problem)."""
    if not isinstance(image_path, str) or not isinstance(question_type, str):
        return None
    return KNOWN_QUESTION_ISSUES.get((image_path, question_type)) or KNOWN_ISSUES.get(image_path)


def iter_rows(mmad: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One flat text row per question, in `mmad.json` order; raises MMADFormatError on bad data."""
    for key, entry in mmad.items():
        source, category, defect = _check_key(key)
        if not isinstance(entry, dict) or not isinstance(entry.get("conversation"), list):
            raise MMADFormatError(f"{key}: expected an object with a 'conversation' list")
        random_templates = list(entry.get("random_templates") or [])
        similar_templates = list(entry.get("similar_templates") or [])
        common = {
            "image_path": key, "source": source, "category": category, "defect": defect,
            "is_normal": is_normal(key),
            "template_path": random_templates[0] if random_templates else None,
            "similar_template_path": similar_templates[0] if similar_templates else None,
            "mask_path": _mask_path(source, category, entry),
            "random_templates": json.dumps(random_templates),
            "similar_templates": json.dumps(similar_templates),
        }
        for index, item in enumerate(entry["conversation"]):
            options, qtype, answer = _check_item(key, index, item)
            yield {
                "question_id": question_id(key, index), **common,
                "subtask": TYPE_TO_SUBTASK[qtype], "question_type": qtype,
                "question": str(item["Question"]),
                **{letter: options.get(letter) for letter in LETTERS},
                "answer": answer, "known_issue": known_issue(key, qtype),
            }


def _read_answer_key(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            row = read_json(line, f"{path}:{lineno}")
            if not isinstance(row, dict) or set(TEXT_COLUMNS) - set(row):
                missing = sorted(set(TEXT_COLUMNS) - set(row)) if isinstance(row, dict) else TEXT_COLUMNS
                raise MMADFormatError(f"{path}:{lineno}: answer-key row lacks {', '.join(missing)}")
            # an answer key exported before an erratum was known gets it here
            yield {**{column: row[column] for column in TEXT_COLUMNS},
                   "known_issue": known_issue(row["image_path"], row["question_type"]) or row["known_issue"]}


def load_rows(path: str | Path) -> list[dict[str, Any]]:
    """Flat text rows from any form of the benchmark, through one code path.

    `path` may be a raw root (holding `mmad.json`), `mmad.json` itself, an exported folder
    (holding `answer_key.jsonl`) or that answer-key file. No image is opened.
    """
    path = Path(path)
    if path.is_dir() and (path / ANSWER_KEY_FILE).is_file() and not (path / "mmad.json").is_file():
        path = path / ANSWER_KEY_FILE
    if path.is_file() and path.suffix == ".jsonl":
        return list(_read_answer_key(path))
    return list(iter_rows(load_mmad_json(path)))


#: Text columns holding JSON lists of template paths (k-shot and k-shot+).
TEMPLATE_LIST_COLUMNS: tuple[str, ...] = ("random_templates", "similar_templates")


def referenced_files(rows: Iterable[dict[str, Any]]) -> list[str]:
    """Every file (relative to the root) the rows point to, each once, in first-seen order.

    That is the query image, the mask and every template of both lists, so that a root holding these
    files can run every setting (k-shot included), not only the 1-shot columns.
    """
    seen: dict[str, None] = {}
    lists_seen: set[str] = set()
    for row in rows:
        for column in IMAGE_COLUMNS.values():
            if row[column]:
                seen.setdefault(row[column], None)
        for column in TEMPLATE_LIST_COLUMNS:
            if row[column] not in lists_seen:  # the questions of one image share their lists
                lists_seen.add(row[column])
                seen.update(dict.fromkeys(json.loads(row[column])))
    return list(seen)


def missing_files(root: str | Path, rows: Iterable[dict[str, Any]]) -> list[str]:
    """Referenced files absent from the root."""
    root = Path(root)
    return [path for path in referenced_files(rows) if not (root / path).is_file()]


def hub_error(what: str, exc: Exception, *, offline_hint: str) -> MMADError:
    """One clear line for a Hub request that failed (`mmad download`, `publish`, `predict --dataset`,
    a model id): offline mode, a gated or missing repo or revision, an HTTP error, or no network."""
    from huggingface_hub import constants
    from huggingface_hub.errors import (GatedRepoError, HfHubHTTPError, OfflineModeIsEnabled,
                                        RepositoryNotFoundError, RevisionNotFoundError)

    if isinstance(exc, OfflineModeIsEnabled) or constants.HF_HUB_OFFLINE:
        return MMADError(f"{what}: offline: HF_HUB_OFFLINE is set, so the Hub cannot be asked; {offline_hint}")
    if isinstance(exc, GatedRepoError):
        return MMADError(f"{what}: gated; accept its terms on the Hub and set HF_TOKEN")
    if isinstance(exc, RevisionNotFoundError):
        return MMADError(f"{what}: no such revision on {constants.ENDPOINT}")
    if isinstance(exc, RepositoryNotFoundError):
        return MMADError(f"{what}: not found on {constants.ENDPOINT} (or private: set HF_TOKEN)")
    reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        return MMADError(f"{what}: {constants.ENDPOINT} answered HTTP {exc.response.status_code}: {reason}")
    return MMADError(f"{what}: cannot reach the Hub at {constants.ENDPOINT} ({reason}); check the network, or "
                     "set HF_HUB_OFFLINE=1 to use only what is cached")

def describe_missing(missing: list[str], shown: int = 5) -> str:
    """`N referenced files are missing, e.g. a, b, c`."""
    examples = ", ".join(missing[:shown])
    return f"{len(missing)} referenced file(s) missing from the root, e.g. {examples}"


def read_root(root: str | Path, *, lenient: bool = False) -> tuple[list[dict[str, Any]], list[str]]:
    """Validated rows of a raw root (every config) and the referenced files it lacks.

    Every malformed entry of `mmad.json` is counted in one error. Missing image files are an
    error unless `lenient`; the rows keep their paths either way (see `image_files`).
    """
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for key, entry in load_mmad_json(root).items():
        try:
            rows.extend(iter_rows({key: entry}))
        except MMADFormatError as exc:
            problems.append(str(exc))
    if problems:
        shown = "; ".join(problems[:3])
        raise MMADFormatError(f"{find_mmad_json(root)}: {len(problems)} malformed image entr"
                              f"{'y' if len(problems) == 1 else 'ies'}: {shown}")
    missing = missing_files(root, rows)
    if missing and not lenient:
        raise MMADFormatError(describe_missing(missing) + " (use --lenient to report instead of failing)")
    return rows, missing


def read_rows(root: str | Path, *, config: str = DEFAULT_CONFIG, lenient: bool = False) -> list[dict[str, Any]]:
    """Validated rows of a raw root for one config (see `read_root`)."""
    rows, _ = read_root(root, lenient=lenient)
    return [row for row in rows if row_in_config(row, config)]


def image_files(row: dict[str, Any], missing: AbstractSet[str] = frozenset()) -> dict[str, str | None]:
    """Image column → its file relative to the root; None where the row has none or it is missing."""
    return {column: row[path] if row[path] and row[path] not in missing else None
            for column, path in IMAGE_COLUMNS.items()}


# --- the datasets builder ---------------------------------------------------------------------

def features():
    """The dataset's features, declared once for the builder and the export."""
    import datasets

    text = {column: datasets.Value("bool" if column in BOOL_COLUMNS else "string") for column in TEXT_COLUMNS}
    images = {column: datasets.Image() for column in IMAGE_COLUMNS}
    return datasets.Features({**text, **images})


def _define_builder():
    import datasets

    class MMAD(datasets.GeneratorBasedBuilder):
        """Build MMAD from a local raw root: `MMAD(config_name=..., data_dir=ROOT)`. A config selects all
        questions, one subtask, or one source."""

        BUILDER_CONFIGS = [datasets.BuilderConfig(name=name) for name in CONFIG_NAMES]
        DEFAULT_CONFIG_NAME = DEFAULT_CONFIG

        def _info(self):
            return datasets.DatasetInfo(
                description="MMAD: multimodal LLMs as industrial inspectors (ICLR 2025).",
                features=features(), homepage="https://github.com/jam-cc/MMAD",
                license="cc-by-nc-sa-4.0")

        def _split_generators(self, dl_manager):
            if not self.config.data_dir:
                raise ValueError("MMAD needs data_dir=<raw MMAD root holding mmad.json>")
            return [datasets.SplitGenerator(name=datasets.Split.TEST,
                                            gen_kwargs={"root": Path(self.config.data_dir)})]

        def _generate_examples(self, root: Path):
            for row in read_rows(root, config=self.config.name):
                images = {column: str(root / path) if path else None for column, path in image_files(row).items()}
                yield row["question_id"], {**row, **images}

    MMAD.__module__ = __name__
    return MMAD


def __getattr__(name: str):
    if name == "MMAD":
        builder = _define_builder()
        globals()["MMAD"] = builder
        return builder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
