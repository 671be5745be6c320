"""`mmad predict (--data-dir ROOT | --dataset ORG/NAME[@REV]) --model NAME --out FILE [--backend ...] [...]`."""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict
from pathlib import Path

from mmad_dataset import CONFIG_NAMES, DEFAULT_CONFIG, MMADError

from .prompts import SETTINGS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    data = parser.add_argument_group("data and output")
    where = data.add_mutually_exclusive_group(required=True)
    where.add_argument("--data-dir", type=Path, help="raw MMAD root (holds mmad.json and images) or mmad export folder")
    where.add_argument("--dataset", metavar="ORG/NAME[@REV]",
                       help="a published MMAD dataset on the Hub: downloads only the files the run shows, "
                            "scores against its answer_key.jsonl at the same commit")
    data.add_argument("--out", required=True, type=Path, help="predictions file (JSONL); an existing one is resumed")
    data.add_argument("--config", default=DEFAULT_CONFIG, choices=CONFIG_NAMES, help="which questions (default: all)")
    data.add_argument("--limit", type=int, help="only the config's first N questions")
    data.add_argument("--overwrite", action="store_true", help="start again instead of resuming")
    data.add_argument("--no-score", action="store_true", help="do not print the score table at the end")
    prompt = parser.add_argument_group("prompt")
    prompt.add_argument("--setting", default="1-shot", choices=list(SETTINGS),
                        help="templates shown: none, random_templates[0] (paper default), similar_templates[0], "
                             "or random_templates[:--shots]")
    prompt.add_argument("--shots", type=int, default=2, help="templates for k-shot (default 2)")
    prompt.add_argument("--domain-knowledge", action="store_true", help="prefix the category's domain knowledge")
    prompt.add_argument("--cumulative", action="store_true",
                        help="GPT-4o script's mode: call i lists the image's questions 1..i")
    prompt.add_argument("--permute-options", action="store_true",
                        help="shuffle each question's options (seeded by --seed and the question id)")
    prompt.add_argument("--seed", type=int, default=0, help="seed of --permute-options and of sampling")
    model = parser.add_argument_group("model")
    model.add_argument("--backend", default="transformers", choices=("transformers", "openai"))
    model.add_argument("--model", required=True,
                       help="hub id or local folder, or 'tiny' (a random tiny LLaVA built here, to try the runner "
                            "offline); for openai, the served model name")
    model.add_argument("--revision", help="hub revision (transformers)")
    model.add_argument("--max-new-tokens", type=int, default=128)
    model.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    model.add_argument("--batch-size", type=int, default=8, help="prompts per generate call (transformers)")
    model.add_argument("--device", help="e.g. cuda:1 or cpu (transformers; default: cuda if available)")
    model.add_argument("--loglik", action="store_true",
                       help="pick the option letter with the highest next-token log-probability (transformers)")
    api = parser.add_argument_group("openai backend")
    api.add_argument("--base-url", default="https://api.openai.com/v1", help="endpoint root, ending in /v1")
    api.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the key")
    api.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    api.add_argument("--max-retries", type=int, default=5, help="retries on 429, 5xx and connection errors")
    api.add_argument("--retry-delay", type=float, default=1.0, help="first backoff in seconds, doubled per retry")
    api.add_argument("--timeout", type=float, default=120.0, help="seconds per request")


def _backend(args: argparse.Namespace, images):
    if args.backend == "openai":
        if args.loglik:
            raise MMADError("--loglik needs the transformers backend (chat endpoints do not score given letters)")
        from .backends.openai_backend import OpenAIBackend

        return OpenAIBackend(args.model, images=images, base_url=args.base_url,
                             api_key=os.environ.get(args.api_key_env), concurrency=args.concurrency,
                             max_retries=args.max_retries, retry_delay=args.retry_delay, timeout=args.timeout,
                             max_tokens=args.max_new_tokens, temperature=args.temperature)
    from .backends.transformers_backend import TransformersBackend

    return TransformersBackend.load(args.model, images=images, revision=args.revision, device=args.device,
                               batch_size=args.batch_size, max_new_tokens=args.max_new_tokens,
                               temperature=args.temperature, loglik=args.loglik, seed=args.seed)


def run(args: argparse.Namespace) -> int:
    from .data import HubData, LocalData
    from .images import ImageStore
    from .prompts import PromptSettings
    from .runner import ensure_output, run_predictions, score_table, select_prompts

    for name in ("limit", "batch_size", "concurrency"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise MMADError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    settings = PromptSettings(setting=args.setting, shots=args.shots, domain_knowledge=args.domain_knowledge,
                              cumulative=args.cumulative, permute_seed=args.seed if args.permute_options else None)
    ensure_output(args.out, args.overwrite)
    data = HubData.open(args.dataset) if args.dataset else LocalData(args.data_dir)
    prompts = select_prompts(data, settings, args.config, args.limit)
    backend = _backend(args, ImageStore(data.root))
    run_info = {"prompt": {**asdict(settings), "shots": settings.template_count}, "config": args.config,
                "limit": args.limit, **data.describe()}
    fresh = run_predictions(prompts, backend, args.out, run_info)
    print(f"{args.out}: {len(prompts)} predictions ({fresh} new, {len(prompts) - fresh} resumed)")
    if not args.no_score:
        print(score_table(args.out, data.key_path))
    return 0
