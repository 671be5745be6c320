"""The prediction loop: select questions, build prompts, skip what is done, write as results come."""

from __future__ import annotations

import platform
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from mmad_dataset import MMADError, row_in_config, split_question_id

from .output import PredictionWriter, check_resume, load_done, sidecar_path, write_sidecar
from .prompts import PROMPT_VERSION, Prompt, PromptSettings, build_prompt


def select_prompts(data: Any, settings: PromptSettings, config: str, limit: int | None) -> list[Prompt]:
    """Prompts for the config's first `limit` questions, in benchmark order (so a rerun with the same
    limit selects the same questions). `data` (see `data.py`) then makes sure that exactly the files
    these prompts show are there: checked on disk, or downloaded from the Hub."""
    rows = data.rows()
    conversations: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        conversations.setdefault(row["image_path"], []).append(row)
    chosen = [row for row in rows if row_in_config(row, config)][:limit]
    domain_knowledge = data.domain_knowledge() if settings.domain_knowledge else None
    prompts = [build_prompt(row, conversations[row["image_path"]][:split_question_id(row["question_id"])[1]],
                            settings, domain_knowledge) for row in chosen]
    data.require(shown_files(prompts), f"the {settings.setting} prompts need them")
    return prompts


def shown_files(prompts: list[Prompt]) -> list[str]:
    """Every image the prompts show, once, in first-shown order."""
    return list({part["path"]: None for prompt in prompts for part in prompt.parts if part["type"] == "image"})


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("mmad-toolkit", "torch", "transformers", "httpx", "pillow"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def run_predictions(prompts: list[Prompt], backend: Any, out: Path, run_info: dict[str, Any]) -> int:
    """Write every prompt's prediction to `out`, resuming; returns how many were predicted now."""
    from tqdm import tqdm

    done = load_done(out)
    settings = {**backend.settings(), **run_info, "prompt_version": PROMPT_VERSION}
    if done:
        check_resume(out, settings)
    pending = [prompt for prompt in prompts if prompt.question_id not in done]
    write_sidecar(out, {**settings, "packages": package_versions(),
                        "updated": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    writer = PredictionWriter(out)
    bar = tqdm(total=len(prompts), initial=len(prompts) - len(pending), unit="q", desc="mmad predict",
               file=sys.stderr, dynamic_ncols=True)
    try:
        for records in backend.predict(pending):
            writer.write(records)
            bar.update(len(records))
    finally:
        bar.close()
        writer.close()
    return len(pending)


def score_table(out: Path, key_path: Path) -> str:
    """The `mmad score` table for the file, or why it could not be scored."""
    from eval import ScoringError, format_table, load_key, read_predictions
    from eval.errata import score_with_errata

    try:
        key = load_key(key_path)
        return format_table(score_with_errata(read_predictions(out, key), key, "both"))
    except ScoringError as exc:
        return f"not scored: {exc}"


def ensure_output(out: Path, overwrite: bool) -> None:
    if out.is_dir():
        raise MMADError(f"--out {out} is a folder; name the predictions file, e.g. {out / 'predictions.jsonl'}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if overwrite:
        out.unlink(missing_ok=True)
        sidecar_path(out).unlink(missing_ok=True)
