"""Write the MMAD task YAMLs for lmms-eval: one task per loader config and paper setting.

Run `python3 integrations/lmms_eval/write_tasks.py` after a config or setting changes; a test checks
that the committed files are what this writes. Task names: `mmad` (config `all`) or `mmad_<config>`,
then a suffix for the setting (none for the paper's default 1-shot).
"""

from __future__ import annotations

import sys
from pathlib import Path

TASK_DIR = Path(__file__).resolve().parent / "mmad"
sys.path.insert(0, str(TASK_DIR.parents[1]))

from mmad_dataset import CONFIG_NAMES, DEFAULT_CONFIG  # noqa: E402

#: Task-name suffix → the prompt settings (`eval.predict.prompts.PromptSettings` fields).
SETTING_VARIANTS: dict[str, dict[str, object]] = {
    "": {"setting": "1-shot", "shots": 1, "domain_knowledge": False},
    "_0shot": {"setting": "0-shot", "shots": 1, "domain_knowledge": False},
    "_1shot_plus": {"setting": "1-shot+", "shots": 1, "domain_knowledge": False},
    "_kshot": {"setting": "k-shot", "shots": 2, "domain_knowledge": False},
    "_dk": {"setting": "1-shot", "shots": 1, "domain_knowledge": True},
}
TEMPLATE = "_default_template_yaml"

DEFAULT_TEMPLATE = """\
# Shared by every MMAD task. dataset_path: a local `mmad export` folder (relative to the working
# folder, or absolute) or the Hub id the export was uploaded to. Written by ../write_tasks.py.
dataset_path: MMAD-hub
test_split: test
output_type: generate_until
process_docs: !function utils.process_docs
doc_to_visual: !function utils.doc_to_visual
doc_to_text: !function utils.doc_to_text
doc_to_messages: !function utils.doc_to_messages
doc_to_target: answer
process_results: !function utils.process_results
generation_kwargs:
  max_new_tokens: 128
  temperature: 0
  do_sample: false
  num_beams: 1
metric_list:
  - metric: mmad_official
    aggregation: !function utils.aggregate_official
    higher_is_better: true
  - metric: mmad_strict
    aggregation: !function utils.aggregate_strict
    higher_is_better: true
metadata:
  - version: 1.0
"""


def task_name(config: str, suffix: str) -> str:
    return ("mmad" if config == DEFAULT_CONFIG else f"mmad_{config}") + suffix


def task_yaml(config: str, suffix: str) -> str:
    settings = SETTING_VARIANTS[suffix]
    lines = [f"include: {TEMPLATE}", f"task: {task_name(config, suffix)}", f"dataset_name: {config}",
             "lmms_eval_specific_kwargs:", "  default:"]
    lines += [f"    {name}: {str(value).lower() if isinstance(value, bool) else value}"
              for name, value in settings.items()]
    return "\n".join(lines) + "\n"


def expected_files() -> dict[str, str]:
    """File name → content of every YAML in the task folder."""
    files = {TEMPLATE: DEFAULT_TEMPLATE}
    for config in CONFIG_NAMES:
        for suffix in SETTING_VARIANTS:
            files[f"{task_name(config, suffix)}.yaml"] = task_yaml(config, suffix)
    return files


def main() -> int:
    for name, text in expected_files().items():
        (TASK_DIR / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(expected_files())} files into {TASK_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
