"""Questions per second of `mmad predict`'s batched transformers backend against a one-question-
per-call loop like the upstream scripts', on the same randomly initialised model, plus peak GPU memory.

    python benchmarks/bench_predict.py                      # LLaVA-1.5-7B shapes, bf16, CUDA
    python benchmarks/bench_predict.py --preset tiny        # seconds on a CPU
    python benchmarks/bench_predict.py --preset small       # a few minutes on a CPU

No weights are downloaded: the model is built from its published config with random weights,
and every generation is forced to exactly --max-new-tokens tokens so both paths do the same work.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from eval.predict.random_model import (LLAVA_15_7B_TEXT, LLAVA_15_7B_VISION, TINY_TEXT, TINY_VISION,
                                       build_random_vlm)

#: preset → (text config, vision config, side of the synthetic images in pixels)
PRESETS = {
    "tiny": (TINY_TEXT, TINY_VISION, 32),
    "small": ({**TINY_TEXT, "hidden_size": 512, "intermediate_size": 1376, "num_hidden_layers": 4,
               "num_attention_heads": 8, "num_key_value_heads": 8, "initializer_range": 0.02},
              {**TINY_VISION, "hidden_size": 256, "intermediate_size": 1024, "num_hidden_layers": 4,
               "num_attention_heads": 4, "image_size": 224, "projection_dim": 256, "initializer_range": 0.02}, 256),
    "llava-1.5-7b": (LLAVA_15_7B_TEXT, LLAVA_15_7B_VISION, 512),
}


def upstream_loop(prompts, processor, model, root: Path, max_new_tokens: int) -> None:
    """What upstream's scripts do: one question per generate call, images read from disk each time."""
    import torch
    from PIL import Image

    from eval.predict.backends.transformers_backend import chat_messages

    for prompt in prompts:
        pictures = [Image.open(root / part["path"]).convert("RGB") for part in prompt.parts if part["type"] == "image"]
        text = processor.apply_chat_template(chat_messages(prompt), tokenize=False, add_generation_prompt=True)
        inputs = processor(text=[text], images=pictures, return_tensors="pt").to(model.device)
        with torch.inference_mode():
            out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
        processor.batch_decode(out[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)


def _timed(run, device: str) -> tuple[float, float, float | None]:
    """Wall seconds, this process's CPU seconds (steadier on a shared CPU box), peak GPU GiB (None on CPU)."""
    import torch

    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start, cpu = time.perf_counter(), time.process_time()
    run()
    if cuda:
        torch.cuda.synchronize()
    return (time.perf_counter() - start, time.process_time() - cpu,
            torch.cuda.max_memory_allocated() / 2**30 if cuda else None)


def main() -> None:
    import torch
    from transformers import AutoProcessor

    from eval.predict.backends.transformers_backend import TransformersBackend
    from eval.predict.data import LocalData
    from eval.predict.images import ImageStore
    from eval.predict.prompts import PromptSettings
    from eval.predict.runner import select_prompts
    from mmad.synth import write_root

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=PRESETS, default="llava-1.5-7b")
    parser.add_argument("--questions", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=1, help="timed runs of each path; the median is reported")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()

    text, vision, side = PRESETS[args.preset]
    dtype = torch.bfloat16 if args.device.startswith("cuda") else torch.float32
    with tempfile.TemporaryDirectory() as scratch:
        root, folder = Path(scratch) / "root", Path(scratch) / "model"
        write_root(root, scale=0.02, seed=0, image_size=side)
        prompts = select_prompts(LocalData(root), PromptSettings(), "all", args.questions)
        model = build_random_vlm(folder, text=text, vision=vision, save_weights=False, device=args.device,
                                 dtype=dtype)
        model.generation_config.min_new_tokens = args.max_new_tokens
        weights_gib = torch.cuda.memory_allocated() / 2**30 if args.device.startswith("cuda") else None

        def batched() -> None:
            backend = TransformersBackend(AutoProcessor.from_pretrained(folder), model, images=ImageStore(root),
                                          name=args.preset, batch_size=args.batch_size,
                                          max_new_tokens=args.max_new_tokens)
            for _ in backend.predict(prompts):
                pass

        plain = AutoProcessor.from_pretrained(folder)
        upstream_loop(prompts[:2], plain, model, root, args.max_new_tokens)
        results = {}
        for name, run in (("runner", batched),
                          ("upstream_loop", lambda: upstream_loop(prompts, plain, model, root, args.max_new_tokens))):
            timings = [_timed(run, args.device) for _ in range(args.repeats)]
            seconds = statistics.median(wall for wall, _, _ in timings)
            results[name] = {"seconds": round(seconds, 3), "questions_per_second": round(len(prompts) / seconds, 3),
                             "cpu_seconds": round(statistics.median(cpu for _, cpu, _ in timings), 3),
                             "peak_gpu_gib": timings[-1][2] and round(timings[-1][2], 2)}
    report = {"preset": args.preset, "device": args.device, "dtype": str(dtype), "questions": len(prompts),
              "batch_size": args.batch_size, "max_new_tokens": args.max_new_tokens, "repeats": args.repeats,
              "parameters": sum(p.numel() for p in model.parameters()),
              "weights_gib": weights_gib and round(weights_gib, 2),
              **results, "speedup": round(results["upstream_loop"]["seconds"] / results["runner"]["seconds"], 2),
              "cpu_time_ratio": round(results["upstream_loop"]["cpu_seconds"] / results["runner"]["cpu_seconds"], 2)}
    if args.device.startswith("cuda"):
        report["gpu"] = torch.cuda.get_device_name()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
