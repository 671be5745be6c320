"""The dataset card (README.md) of an exported MMAD folder: YAML header plus the documentation a Hub
user needs to load, understand and cite the benchmark."""

from __future__ import annotations

from typing import Any

import mmad_dataset as mm
from mmad.counts import legend, render_markdown
from mmad.validate import RootReport

REPO_ID = "<org>/MMAD"

#: Every column of `mmad_dataset.features()`, explained.
COLUMN_DOCS: dict[str, str] = {
    "question_id": "`<image key>#<index in its conversation>`, e.g. `DS-MVTec/bottle/image/broken_large/000.png#2`",
    "image_path": "query image key, as in upstream `mmad.json` (`<source>/<category>/<split>/<defect>/<file>`)",
    "source": "`DS-MVTec`, `MVTec-LOCO`, `VisA` or `GoodsAD`",
    "category": "object category (38 in all)",
    "defect": "defect folder of the key (`good` for normal images)",
    "is_normal": "the benchmark's rule: `'good'` is a case-sensitive substring of `image_path`",
    "subtask": "one of the 7 reporting subtasks (`Object Structure`/`Object Details` fold into `object_analysis`)",
    "question_type": "raw upstream `type` string",
    "question": "question text",
    "A": "option text", "B": "option text", "C": "option text or null", "D": "option text or null",
    "E": "option text or null",
    "answer": "correct option letter",
    "template_path": "1-shot template (`random_templates[0]`, the paper's default setting)",
    "similar_template_path": "1-shot+ template (`similar_templates[0]`)",
    "mask_path": "defect mask, resolved relative to `<source>/<category>/`; null for normal images",
    "random_templates": "all random templates, as a JSON list of paths (k-shot)",
    "similar_templates": "all similar templates, as a JSON list of paths (k-shot+)",
    "known_issue": "why this item is known to be wrong upstream, or null",
    "image": "query image (decoded)",
    "template_image": "image at `template_path`",
    "similar_template_image": "image at `similar_template_path`",
    "mask": "image at `mask_path`; null for normal images",
}

def with_repo_id(card: str, repo_id: str) -> str:
    """The card with its placeholder repo id (`<org>/MMAD` in the loading examples) replaced by `repo_id`."""
    return card.replace(f'"{REPO_ID}"', f'"{repo_id}"')


def _size_category(rows: int) -> str:
    bounds = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"))
    return next((name for bound, name in bounds if rows < bound), "100K<n<1M")


def _yaml(configs: list[dict[str, Any]], rows: int) -> str:
    from huggingface_hub import DatasetCardData

    data = DatasetCardData(
        license="cc-by-nc-sa-4.0", pretty_name="MMAD", language=["en"],
        task_categories=["visual-question-answering", "multiple-choice"],
        size_categories=[_size_category(rows)], tags=["anomaly-detection", "industrial-inspection", "mllm-benchmark"],
        configs=configs)
    return data.to_yaml()


def _schema_table() -> str:
    lines = ["| column | type | meaning |", "|---|---|---|"]
    lines += [f"| `{column}` | {'bool' if column in mm.BOOL_COLUMNS else 'string'} | {COLUMN_DOCS[column]} |"
              for column in mm.TEXT_COLUMNS]
    lines += [f"| `{column}` | Image | {COLUMN_DOCS[column]} |" for column in mm.IMAGE_COLUMNS]
    return "\n".join(lines)


def _known_issues(report: RootReport) -> str:
    lines = [f"- `{keys[0]}`{' … `' + keys[-1] + '`' if len(keys) > 1 else ''} ({len(keys)} image(s)): {text}. "
             "Their rows carry this text in `known_issue`."
             for text, keys in report.known_issues().items()]
    lines += [f"- `{q['question_id']}` ({q['question_type']}): {q['issue']}. This row carries the text in "
              "`known_issue`; the official protocol still scores it as upstream does, and `mmad score` reports "
              "how many flagged questions a file answered and its average without them."
              for q in report.known_questions()]
    lines += [f"- `{subtask}`: {text}." for subtask, text in mm.KNOWN_SUBTASK_ISSUES.items()]
    lines += ["- Community curations (e.g. KomorebiWerts/GLLS) report further wrong labels, questions with several "
              "valid options and questions with none; they are not applied here.",
              "- `errata.json` lists the flagged items with their question ids, any image file the source root "
              "lacked, and the SHA-256 of the `mmad.json` this folder was built from."]
    return "\n".join(lines)


def render_card(report: RootReport, configs: dict[str, int], hub_configs: list[dict[str, Any]]) -> str:
    """README.md of the exported folder."""
    config_rows = "\n".join(f"| `{name}` | {'default; ' if name == mm.DEFAULT_CONFIG else ''}"
                            f"{_config_scope(name)} | {n:,} |" for name, n in configs.items())
    missing = (f"\n\n**This export was made with `--lenient`: {len(report.missing):,} referenced image file(s) were "
               "missing from the source root; their image columns are null (see `errata.json`).**"
               if report.missing else "")
    counts = report.counts()
    return f"""---
{_yaml(hub_configs, len(report.rows))}
---

# MMAD: multimodal LLMs as industrial inspectors

MMAD (ICLR 2025) is a benchmark of multimodal large language models for industrial anomaly detection:
multiple-choice questions about images of products from four sources (MVTec AD as re-annotated by
Defect Spectrum, MVTec LOCO AD, VisA, GoodsAD), in seven subtasks. This folder holds
{len(report.rows):,} questions over {report.images:,} images, one row per question, with the query
image, the 1-shot template, the 1-shot+ template and the defect mask as decodable images. Each image
file is stored once and shared by every question and config that uses it.{missing}

Upstream: paper <https://arxiv.org/abs/2410.09453>, code <https://github.com/jam-cc/MMAD>, original
data `jiang-cc/MMAD`. This card and layout were written by `mmad export` (MMAD toolkit).

## How to load

No remote code is involved (`datasets` 4.x or later; tested with 5.2.0):

```python
from datasets import load_dataset

ds = load_dataset("{REPO_ID}", "all", split="test")            # every question
visa = load_dataset("{REPO_ID}", "visa", split="test")         # one source
loc = load_dataset("{REPO_ID}", "defect_localization", split="test")  # one subtask
row = ds[0]; row["image"], row["template_image"], row["answer"]
```

A local copy of this folder loads the same way: `load_dataset("path/to/folder", "visa", split="test")`.
The scorer needs no image: `answer_key.jsonl` holds the text columns of every row
(`load_dataset("json", data_files="answer_key.jsonl")`, or `mmad_dataset.load_rows(folder)`).

| config | selects | questions |
|---|---|---:|
{config_rows}

Loading a config downloads the image folders it points into (a source config: that source and its
templates). The image configs need `datasets` 4.x or later (`metadata_filenames`); older readers can use
`answer_key.jsonl`.

## Schema

One row per question; no list columns.

{_schema_table()}

- **Question id**: `<image key>#<index of the question in the image's conversation>`; stable across
  configs, the join key for prediction files.
- **Normal rule**: an image is normal iff `'good'` is a case-sensitive substring of its key, exactly as
  the upstream scorer decides. `GoodsAD` does not match, so GoodsAD defect images are *not* normal.
- **Templates**: the paper's default 1-shot setting uses `random_templates[0]` (`template_image`);
  `similar_template_image` is the 1-shot+ setting. The full lists are JSON strings for k-shot; every
  template they name is stored in this repo at that path.
- **Also a raw root**: `mmad.json` and `domain_knowledge.json` are here as the authors ship them, next
  to every image at its upstream path, so a download of this repo (`hf download --repo-type dataset`)
  works with the upstream scripts and with `mmad predict --data-dir`, `mmad validate` and `mmad score`.

## Counts

Measured on this folder against the paper (Table 1 and the per-subtask counts recovered from the
authors' result files). {legend(counts)}

{render_markdown(counts)}

## Known issues

{_known_issues(report)}

## License

CC BY-NC-SA 4.0, as the upstream dataset. The images come from MVTec AD, MVTec LOCO AD, VisA and
GoodsAD under their own non-commercial licenses.

## Citation

```bibtex
{mm.CITATION}
```
"""


def _config_scope(config: str) -> str:
    if config == mm.DEFAULT_CONFIG:
        return "all questions"
    if config in mm.SOURCE_CONFIGS:
        return f"source {mm.SOURCE_CONFIGS[config]}"
    return f"subtask {mm.SUBTASK_TITLES[config]}"
