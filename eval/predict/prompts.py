"""The benchmark's prompt, built once for every setting, and the upstream answer-extraction rule.

The text reproduces upstream `evaluation/examples/Transformers/qwen2_5_vl_query.py` (the open-model
script behind the Qwen2.5-VL rows), whose parts are concatenated without separators by the chat
template. A prompt is a list of parts, `{"type": "text", "text": ...}` or `{"type": "image", "path":
<path relative to the root>}`, that each backend renders in its own way. docs/predict.md shows it.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

from mmad_dataset import LETTERS, MMADError, domain_knowledge_text

#: Bump whenever a change below alters what a model is shown; recorded in every run's sidecar.
PROMPT_VERSION = "mmad-prompt-1"

#: `gpt4v.py`'s `instruction`, verbatim (with its surrounding newlines).
INSTRUCTION = (
    "\nYou are an industrial inspector who checks products by images. You should judge whether there is a "
    "defect in the query image and answer the questions about it.\n"
    "Answer with the option's letter from the given choices directly.\n"
)
ANSWER_FORMAT = "Answer with the option's letter from the given choices directly! "
DOMAIN_KNOWLEDGE = ("Following is the domain knowledge which contains some type of defect and the normal object "
                    "characteristics: \n {}")
TEMPLATES = ("Following is/are {} image of normal sample, which can be used as a template to compare the image "
             "being queried.")
QUERY = "Following is the query image: "
QUESTIONS = "Following is the question list: "

#: Paper settings → which template list is used (`None`: no template).
SETTINGS: dict[str, str | None] = {"0-shot": None, "1-shot": "random_templates", "1-shot+": "similar_templates",
                                   "k-shot": "random_templates"}

_LETTER = re.compile(r"\b([A-E])\b")


@dataclass(frozen=True)
class PromptSettings:
    """What varies between runs; `shots` only matters for k-shot, `permute_seed` None keeps the key's order."""

    setting: str = "1-shot"
    shots: int = 1
    domain_knowledge: bool = False
    cumulative: bool = False
    permute_seed: int | None = None

    def __post_init__(self) -> None:
        if self.setting not in SETTINGS:
            raise MMADError(f"unknown setting {self.setting!r}; choose from {', '.join(SETTINGS)}")
        if self.setting == "k-shot" and self.shots < 1:
            raise MMADError(f"k-shot needs --shots of at least 1, got {self.shots}")

    @property
    def template_count(self) -> int:
        if SETTINGS[self.setting] is None:
            return 0
        return self.shots if self.setting == "k-shot" else 1


@dataclass(frozen=True)
class Prompt:
    """One call: the parts to render and, for the asked question, shown letter → key letter and text."""

    question_id: str
    parts: list[dict[str, str]]
    options: dict[str, tuple[str, str]]


def shown_options(row: dict[str, Any], permute_seed: int | None) -> dict[str, tuple[str, str]]:
    """Shown letter → (key letter, text). Permuted options get letters by position, as upstream's
    `parse_conversation` assigns them; the permutation depends only on the seed and the question id."""
    items = [(letter, row[letter]) for letter in LETTERS if row.get(letter) is not None]
    if permute_seed is None:
        return {letter: (letter, text) for letter, text in items}
    random.Random(f"{permute_seed}#{row['question_id']}").shuffle(items)
    return {LETTERS[i]: item for i, item in enumerate(items)}


def render_question(row: dict[str, Any], permute_seed: int | None) -> str:
    """`Question: {Q} \\n` then one `{L}. {option}\\n` line per option (gpt4o.py's rendering)."""
    options = "".join(f"{shown}. {text}\n" for shown, (_, text) in shown_options(row, permute_seed).items())
    return f"Question: {row['question']} \n{options}"


def build_prompt(row: dict[str, Any], earlier: list[dict[str, Any]], settings: PromptSettings,
                 domain_knowledge: dict | None) -> Prompt:
    """The prompt for `row`; `earlier` holds the rows before it in its image's conversation, which
    cumulative mode (GPT-4o script: call i carries questions 1..i, unanswered) lists first."""
    parts = [{"type": "text", "text": INSTRUCTION}, {"type": "text", "text": ANSWER_FORMAT}]
    if settings.domain_knowledge:
        if domain_knowledge is None:
            raise MMADError("--domain-knowledge needs domain_knowledge.json in the data dir")
        text = domain_knowledge_text(domain_knowledge, row["image_path"])
        parts.append({"type": "text", "text": DOMAIN_KNOWLEDGE.format(text)})
    source = SETTINGS[settings.setting]
    templates = json.loads(row[source])[:settings.template_count] if source else []
    if templates:
        parts.append({"type": "text", "text": TEMPLATES.format(len(templates))})
        parts += [{"type": "image", "path": path} for path in templates]
    parts += [{"type": "text", "text": QUERY}, {"type": "image", "path": row["image_path"]},
              {"type": "text", "text": QUESTIONS}]
    asked = [*earlier, row] if settings.cumulative else [row]
    parts += [{"type": "text", "text": render_question(r, settings.permute_seed)} for r in asked]
    return Prompt(row["question_id"], parts, shown_options(row, settings.permute_seed))


def extract_answer(response: str, prompt: Prompt) -> str:
    """The key's letter for a reply: the last standalone A-E, else the closest option text (difflib,
    as upstream), mapped back through the permutation. '' when the reply is empty or names a letter
    the question does not offer: the scorer then reads the raw response and counts it wrong."""
    found = _LETTER.findall(response)
    if found:
        shown = found[-1]
    elif response.strip():
        texts = {text: letter for letter, (_, text) in prompt.options.items()}
        shown = texts[get_close_matches(response, list(texts), n=1, cutoff=0.0)[0]]
    else:
        return ""
    return prompt.options[shown][0] if shown in prompt.options else ""
