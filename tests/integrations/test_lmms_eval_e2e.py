"""lmms-eval's own CLI runs the MMAD task with the tiny random LLaVA on a synthetic export, offline.

Needs the separate environment made by `scripts/lmms_eval_env.sh` (lmms-eval 0.7.3 on this
environment's CPU torch); skipped with that instruction when it is missing. Asserts that lmms-eval's
aggregated numbers are `mmad score`'s on the file it wrote, that the board's Submitter accepts the
file, and that the replies are `mmad predict`'s (same prompt, same images, same order).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lmms_task import REPO, TASK_DIR

VENV_PYTHON = Path(os.environ.get("MMAD_LMMS_EVAL_PYTHON", REPO / ".venv-lmms-eval" / "bin" / "python"))
MAX_NEW_TOKENS = 6



def _usable(python: Path) -> bool:
    """Whether the lmms-eval environment exists and imports (a half-built one must skip, not fail)."""
    if not python.exists():
        return False
    check = [str(python), "-c", "import lmms_eval.evaluator, lmms_eval.models.chat.llava_hf, torch"]
    try:
        return subprocess.run(check, capture_output=True, timeout=300).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = pytest.mark.skipif(not _usable(VENV_PYTHON),
                                reason=f"no working lmms-eval environment at {VENV_PYTHON}; "
                                       "run scripts/lmms_eval_env.sh")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from eval.predict.random_model import build_random_vlm

    folder = tmp_path_factory.mktemp("tiny_llava")
    build_random_vlm(folder)
    return folder


def _lmms_eval(tmp_path: Path, model: Path, export: Path, *extra: str) -> tuple[dict, Path]:
    out = tmp_path / "lmms_out"
    command = [str(VENV_PYTHON), "-m", "lmms_eval", "eval", "--model", "llava_hf",
               "--model_args", f"pretrained={model},device=cpu,device_map=cpu,dtype=float32",
               "--tasks", "mmad", "--include_path", str(TASK_DIR), "--batch_size", "1",
               "--gen_kwargs", f"max_new_tokens={MAX_NEW_TOKENS}", "--output_path", str(out), *extra]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    # the task's dataset_path is the relative folder MMAD-hub: run where the export is
    run = subprocess.run(command, cwd=export.parent, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads(next(out.glob("*/*_results.json")).read_text(encoding="utf-8"))["results"]["mmad"]
    (predictions,) = (out / "mmad_predictions").glob("*.jsonl")
    return results, predictions


def _mmad_score(predictions: Path, key: Path, tmp_path: Path) -> dict:
    from mmad.cli import main

    out = tmp_path / "score.json"
    assert main(["score", str(predictions), "--key", str(key), "--json", str(out), "--resamples", "0"]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def predict_replies(tiny_root: Path, tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """`mmad predict`'s replies on the raw root, whitespace-stripped as lmms-eval strips every reply."""
    from mmad.cli import main

    out = tmp_path_factory.mktemp("predict") / "predict.jsonl"
    assert main(["predict", "--data-dir", str(tiny_root), "--out", str(out), "--model", str(tiny_model),
                 "--device", "cpu", "--batch-size", "1", "--max-new-tokens", str(MAX_NEW_TOKENS), "--no-score"]) == 0
    return {r["question_id"]: r["response"].strip()
            for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


_SETTINGS_PROBE = """
import json, sys
from lmms_eval.tasks import TaskManager, get_task_dict
names = ["mmad", "mmad_0shot", "mmad_1shot_plus", "mmad_kshot", "mmad_visa_dk"]
manager = TaskManager(include_path=sys.argv[1], model_name="llava_hf")
found = {}
for kind in ("chat", "simple"):
    for name, task in get_task_dict(names, manager, task_type=kind).items():
        doc = task.test_docs()[0]
        if kind == "chat":
            content = task.doc_to_messages(doc)[0]["content"]
            text = "".join(part.get("text", "") for part in content)
            images = sum(part["type"] == "image" for part in content)
        else:
            text, images = task.doc_to_text(doc), len(task.doc_to_visual(doc))
        found[f"{kind} {name}"] = [len(task.test_docs()), images, "domain knowledge" in text]
print(json.dumps(found))
"""


def test_each_setting_reaches_the_prompt_through_lmms_evals_task_manager(tiny_export, raw_rows):
    run = subprocess.run([str(VENV_PYTHON), "-c", _SETTINGS_PROBE, str(TASK_DIR)], cwd=tiny_export.parent,
                         capture_output=True, text=True, timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    visa = sum(r["image"].startswith("VisA/") for r in raw_rows)
    expected = {"mmad": [len(raw_rows), 2, False], "mmad_0shot": [len(raw_rows), 1, False],
                "mmad_1shot_plus": [len(raw_rows), 2, False], "mmad_kshot": [len(raw_rows), 3, False],
                "mmad_visa_dk": [visa, 2, True]}
    assert found == {f"{kind} {name}": value for kind in ("chat", "simple") for name, value in expected.items()}


@pytest.mark.parametrize("interface", ["chat", "simple"])
def test_lmms_eval_numbers_are_mmad_score_and_the_file_is_accepted_by_the_board(
        interface, tiny_export, tiny_model, predict_replies, tmp_path):
    from eval import load_key
    from space.scoring import KeyInfo
    from space.storage import LocalStore
    from space.submit import Submitter

    extra = ("--force_simple",) if interface == "simple" else ()
    results, predictions = _lmms_eval(tmp_path, tiny_model, tiny_export, *extra)
    records = [json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines()]
    questions = [row["question_id"] for row in map(json.loads, (tiny_export / "answer_key.jsonl").open())]
    assert [r["question_id"] for r in records] == questions  # every question once, in the key's order

    scored = _mmad_score(predictions, tiny_export, tmp_path)
    assert results["mmad_official,none"] == scored["official"]["average"]
    assert results["mmad_strict,none"] == scored["strict"]["average"]

    key = KeyInfo(load_key(tiny_export), "synthetic key", "test")
    stored = Submitter(LocalStore(tmp_path / "store"), key).submit(
        predictions, {"model_name": f"tiny-llava-{interface}", "setting": "1-shot"}, "tester")
    assert stored.result["official"]["average"] == results["mmad_official,none"]
    assert stored.result["strict"]["coverage"] == 100.0

    assert {r["question_id"]: r["response"] for r in records} == predict_replies
    print(f"{interface}: lmms-eval official {results['mmad_official,none']} strict {results['mmad_strict,none']}; "
          f"mmad score official {scored['official']['average']} strict {scored['strict']['average']}",
          file=sys.stderr)
