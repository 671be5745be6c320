"""lmms-eval task functions for MMAD: the project's own prompt, images and scorer behind lmms-eval's API.

lmms-eval loads this file by path (`!function utils.name` in the YAMLs), so it puts the clone it
lives in first on `sys.path`: the prompt builder (`eval/predict/prompts.py`) and the scorer (`eval/`)
are then this clone's, whatever else is installed. Nothing here restates a prompt string or a
scoring rule; it only adapts them:

- the docs are the rows of one config of an export (`mmad export`, local or on the Hub);
- `doc_to_messages` (chat models) and `doc_to_text` + `doc_to_visual` (simple models) show the same
  parts as `mmad predict`: instruction, templates, then the query image and the question;
- `process_results` keeps the question id, the raw reply and the letter `mmad predict` would extract;
- the aggregations write those records as a prediction JSONL (the file `mmad score` and the board
  take) and return the scorer's official and strict averages.

The setting comes from the YAML's `lmms_eval_specific_kwargs` (setting, shots, domain_knowledge).
"""

from __future__ import annotations

import hashlib
import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

_CLONE = Path(__file__).resolve().parents[3]
if (_CLONE / "mmad_dataset.py").is_file() and str(_CLONE) not in sys.path:
    sys.path.insert(0, str(_CLONE))

from mmad_dataset import TEXT_COLUMNS, MMADError  # noqa: E402

from eval.predict.data import LocalData  # noqa: E402
from eval.predict.images import ImageStore  # noqa: E402
from eval.predict.prompts import Prompt, PromptSettings, build_prompt, extract_answer, shown_options  # noqa: E402

#: Where the prediction files go, under lmms-eval's --output_path (or the working folder without it).
PREDICTIONS_DIR = "mmad_predictions"
#: The column `process_docs` adds: a question's position in the export.
ORDER_COLUMN = "mmad_order"
#: How an image part is written into a simple model's text; llava_hf puts each picture at its token.
DEFAULT_IMAGE_TOKEN = "<image>\n"


def _settings(kwargs: dict[str, Any] | None) -> PromptSettings:
    kwargs = kwargs or {}
    return PromptSettings(setting=kwargs.get("setting", "1-shot"), shots=int(kwargs.get("shots", 1)),
                          domain_knowledge=bool(kwargs.get("domain_knowledge", False)))


def dataset_root(doc: dict[str, Any]) -> Path:
    """The folder holding the export's files, read off the decoded query image's own path.

    Local exports and Hub snapshots both keep every image at its raw-root path, so stripping
    `image_path` from the file name gives the root, where the k-shot templates beyond the first
    and `domain_knowledge.json` are found too.
    """
    filename = getattr(doc.get("image"), "filename", "") or ""
    if not filename.replace("\\", "/").endswith(doc["image_path"]):
        raise MMADError(f"question {doc['question_id']}: its image was not read from a file of the export "
                        f"(got {filename[:200]!r}); point dataset_path at an `mmad export` folder or Hub id")
    return Path(filename[:len(filename) - len(doc["image_path"])])


@lru_cache(maxsize=8)
def _store(root: Path) -> ImageStore:
    return ImageStore(root)


@lru_cache(maxsize=8)
def _domain_knowledge(root: Path) -> dict | None:
    return LocalData(root).domain_knowledge()  # None: build_prompt says the setting needs the file


def mmad_prompt(doc: dict[str, Any], kwargs: dict[str, Any] | None) -> Prompt:
    """`mmad predict`'s prompt for this question (one question per call, options in the key's order)."""
    settings = _settings(kwargs)
    knowledge = _domain_knowledge(dataset_root(doc)) if settings.domain_knowledge else None
    return build_prompt(doc, [], settings, knowledge)


def _pictures(doc: dict[str, Any], prompt: Prompt) -> list[Any]:
    """The prompt's images in order, decoded as `mmad predict` decodes them (RGB, from the file)."""
    root = dataset_root(doc)
    paths = [part["path"] for part in prompt.parts if part["type"] == "image"]
    missing = [path for path in paths if not (root / path).is_file()]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise MMADError(f"{root}: lacks {missing[0]}{more} that question {doc['question_id']} shows; "
                        "export with an `mmad export` that copies every template")
    return [_store(root).picture(path) for path in paths]


def doc_to_visual(doc: dict[str, Any], lmms_eval_specific_kwargs: dict[str, Any] | None = None) -> list[Any]:
    return _pictures(doc, mmad_prompt(doc, lmms_eval_specific_kwargs))


def doc_to_text(doc: dict[str, Any], lmms_eval_specific_kwargs: dict[str, Any] | None = None) -> str:
    """The parts joined without separators (as the chat template joins them), each image as a token."""
    token = (lmms_eval_specific_kwargs or {}).get("image_token", DEFAULT_IMAGE_TOKEN)
    return "".join(part["text"] if part["type"] == "text" else token
                   for part in mmad_prompt(doc, lmms_eval_specific_kwargs).parts)


def doc_to_messages(doc: dict[str, Any], lmms_eval_specific_kwargs: dict[str, Any] | None = None) -> list[dict]:
    """One user turn whose content interleaves text and images in the prompt's order."""
    prompt = mmad_prompt(doc, lmms_eval_specific_kwargs)
    pictures = iter(_pictures(doc, prompt))
    content = [{"type": "text", "text": part["text"]} if part["type"] == "text"
               else {"type": "image", "url": next(pictures)} for part in prompt.parts]
    return [{"role": "user", "content": content}]


def process_docs(dataset: Any) -> Any:
    """Number the questions in the export's order (`mmad.json`'s), which the official protocol follows."""
    return dataset.add_column(ORDER_COLUMN, list(range(len(dataset))))


def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, dict[str, Any]]:
    """The prediction record (`mmad predict`'s fields) plus the question's key row for the scorer."""
    reply = results[0]
    reply = getattr(reply, "text", reply)
    reply = "" if reply is None else str(reply)
    options = Prompt(doc["question_id"], [], shown_options(doc, None))
    record = {"question_id": doc["question_id"], "answer": extract_answer(reply, options), "response": reply,
              "key_row": {column: doc[column] for column in TEXT_COLUMNS}, ORDER_COLUMN: doc[ORDER_COLUMN]}
    return {"mmad_official": record, "mmad_strict": record}


def write_predictions(items: list[dict[str, Any]], out_dir: Path) -> Path:
    """The records as JSONL in question order, named by content so reruns never mix two runs."""
    lines = [json.dumps({name: item[name] for name in ("question_id", "answer", "response")}, ensure_ascii=False)
             for item in items]
    content = ("\n".join(lines) + "\n").encode("utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"mmad-{len(items)}q-{hashlib.sha256(content).hexdigest()[:12]}.jsonl"
    path.write_bytes(content)
    return path


#: Scores by predictions file (named by content): the two metrics of one task aggregate the same
#: records, so the file is scored and its table printed once.
_SCORED: dict[Path, dict[str, Any]] = {}


def _score(items: list[dict[str, Any]], args: Any) -> dict[str, Any]:
    """Both protocols on the written file, against the key of the questions this task asked."""
    from eval import AnswerKey, format_table, score

    items = sorted(items, key=lambda item: item[ORDER_COLUMN])
    base = Path(getattr(args, "output_path", None) or ".")
    path = write_predictions(items, base / PREDICTIONS_DIR)
    if path not in _SCORED:
        key = AnswerKey.from_rows([item["key_row"] for item in items])
        _SCORED[path] = score(path, key, "both", resamples=0)
        print(f"MMAD predictions: {path}\n{format_table(_SCORED[path])}", flush=True)
    return _SCORED[path]


def aggregate_official(items: list[dict[str, Any]], args: Any = None) -> float:
    """The authors' protocol: macro over sources, balanced anomaly discrimination."""
    return _score(items, args)["official"]["average"]


def aggregate_strict(items: list[dict[str, Any]], args: Any = None) -> float:
    """Every asked question counts once; unparseable replies are wrong."""
    return _score(items, args)["strict"]["average"]
