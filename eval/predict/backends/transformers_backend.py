"""Local models through transformers: the model's own chat template, several images per prompt,
batched generation with left padding, greedy by default, or log-likelihood scoring of the letters."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from mmad_dataset import MMADError

from ..images import LRU, ImageStore
from ..prompts import Prompt, extract_answer


def chat_messages(prompt: Prompt) -> list[dict[str, Any]]:
    """The prompt as one user turn for a chat template; pictures are passed to the processor apart."""
    content = [{"type": "text", "text": part["text"]} if part["type"] == "text" else {"type": "image"}
               for part in prompt.parts]
    return [{"role": "user", "content": content}]


#: transformers' note when an image processor falls back to its PIL twin because torchvision is missing.
PIL_FALLBACK_NOTE = "requires torchvision (not installed); falling back"


class _QuietPilFallback(logging.Filter):
    """Drops transformers' PIL-fallback note: the PIL processor gives MMAD's prompts the same inputs, so the
    note asks nothing of the user on every run; a model that truly needs torchvision (a video processor)
    stops with its own error instead, saying which torchvision to install (docs/predict.md)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return PIL_FALLBACK_NOTE not in record.getMessage()


def quiet_pil_fallback() -> None:
    """Install the filter once on the logger that emits the note."""
    emitter = logging.getLogger("transformers.utils.import_utils")
    if not any(isinstance(f, _QuietPilFallback) for f in emitter.filters):
        emitter.addFilter(_QuietPilFallback())


def _from_pretrained(name: str, revision: str | None, dtype: Any) -> tuple[Any, Any]:
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from ..models import hub_load_options

    options = hub_load_options(name, revision)
    try:
        processor = AutoProcessor.from_pretrained(name, revision=revision, **options)
    except ImportError as exc:  # e.g. Qwen2-VL/2.5-VL's video processor needs torchvision
        needs = str(exc).strip().splitlines()[0][:300]
        raise MMADError(f"model {name}: {needs} Install the torchvision build that matches your torch "
                        "(docs/predict.md, 'Models that need torchvision').") from None
    model = AutoModelForImageTextToText.from_pretrained(name, revision=revision, dtype=dtype, **options)
    return processor, model


class OncePerImage:
    """Wraps a processor's image processor so each distinct picture is preprocessed once, then its
    features are reused in every prompt that shows it. Per-image features are concatenated along the
    first axis (LLaVA, Qwen2-VL layouts); where their other axes differ (processors that pad across
    a batch, such as LLaVA-NeXT's), the whole batch is preprocessed together instead."""

    def __init__(self, inner: Any, capacity: int = 64) -> None:
        self._inner = inner
        self._features = LRU(capacity)
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _one(self, picture: Any, kwargs: dict[str, Any]) -> Any:
        self.calls += 1
        return {"picture": picture, "features": self._inner([picture], **{**kwargs, "return_tensors": "pt"})}

    def __call__(self, images: Any, **kwargs: Any) -> Any:
        import torch
        from transformers import BatchFeature

        # The picture is kept in the entry so that its id cannot be reused while the entry lives.
        parts = [self._features.get_or_make(id(picture), lambda p=picture: self._one(p, kwargs))["features"]
                 for picture in images]
        if any(len({tuple(part[key].shape[1:]) for part in parts}) > 1 for key in parts[0]):
            return self._inner(images, **kwargs)
        return BatchFeature({key: torch.cat([part[key] for part in parts]) for key in parts[0]})


class TransformersBackend:
    def __init__(self, processor: Any, model: Any, *, images: ImageStore, name: str, revision: str | None = None,
                 batch_size: int = 8, max_new_tokens: int = 128, temperature: float = 0.0, loglik: bool = False,
                 seed: int = 0) -> None:
        import torch

        self.processor, self.model, self.model_name, self.revision = processor, model.eval(), name, revision
        self.processor.tokenizer.padding_side = "left"
        self.processor.image_processor = OncePerImage(self.processor.image_processor)
        self.device, self.dtype = model.device, model.dtype
        # Upstream's Qwen2.5-VL script numbers the pictures ("Picture 1: "); only templates that know the flag get it.
        uses_ids = "add_vision_id" in str(getattr(processor, "chat_template", "") or "")
        self.template_options = {"add_vision_id": True} if uses_ids else {}
        self.images, self.batch_size, self.loglik, self.seed = images, batch_size, loglik, seed
        self.generation = {"max_new_tokens": max_new_tokens, "do_sample": temperature > 0}
        if temperature > 0:
            self.generation["temperature"] = temperature
        torch.manual_seed(seed)

    @classmethod
    def load(cls, name: str, *, revision: str | None = None, device: str | None = None,
             **options: Any) -> TransformersBackend:
        """From the hub, a folder or `tiny` (built here, see `models.TINY_MODEL`): bf16 on a GPU, float32 on CPU."""
        import torch

        from ..models import TINY_MODEL

        quiet_pil_fallback()
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        if name != TINY_MODEL:
            processor, model = _from_pretrained(name, revision, dtype)
        else:
            import tempfile

            from ..random_model import build_random_vlm

            with tempfile.TemporaryDirectory(prefix="mmad-tiny-") as folder:
                build_random_vlm(folder)
                processor, model = _from_pretrained(folder, None, dtype)
        return cls(processor, model.to(device), name=name, revision=revision, **options)

    def settings(self) -> dict[str, Any]:
        mode = {"mode": "loglik"} if self.loglik else {"mode": "generate", **self.generation}
        return {"backend": "transformers", "model": self.model_name, "revision": self.revision,
                "generation": {**mode, "seed": self.seed},
                "execution": {"batch_size": self.batch_size, "device": str(self.device),
                              "dtype": str(self.dtype).removeprefix("torch.")}}

    def _inputs(self, prompts: list[Prompt]) -> Any:
        texts = [self.processor.apply_chat_template(chat_messages(p), tokenize=False, add_generation_prompt=True,
                                                    **self.template_options) for p in prompts]
        pictures = [self.images.picture(part["path"]) for prompt in prompts for part in prompt.parts
                    if part["type"] == "image"]
        return self.processor(text=texts, images=pictures, padding=True, return_tensors="pt").to(self.device)

    def _generate(self, prompts: list[Prompt]) -> list[tuple[str, str]]:
        import torch

        inputs = self._inputs(prompts)
        with torch.inference_mode():
            out = self.model.generate(**inputs, **self.generation)
        replies = self.processor.batch_decode(out[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        return [(extract_answer(reply, prompt), reply) for prompt, reply in zip(prompts, replies)]

    def _letter_ids(self, letter: str) -> list[int]:
        """Token ids that start the letter, bare or after a space (tokenizers differ on which follows)."""
        encode = self.processor.tokenizer.encode
        return sorted({encode(text, add_special_tokens=False)[0] for text in (letter, " " + letter)})

    def _score_letters(self, prompts: list[Prompt]) -> list[tuple[str, str]]:
        """Argmax of the next-token log-probability over the shown letters: never a parse failure."""
        import torch

        inputs = self._inputs(prompts)
        with torch.inference_mode():
            logprobs = torch.log_softmax(self.model(**inputs).logits[:, -1, :].float(), dim=-1)
        results = []
        for row, prompt in zip(logprobs, prompts):
            scores = {letter: torch.logsumexp(row[self._letter_ids(letter)], dim=0).item() for letter in prompt.options}
            best = max(scores, key=scores.get)
            reply = "loglik " + " ".join(f"{letter}={score:.4f}" for letter, score in scores.items())
            results.append((prompt.options[best][0], reply))
        return results

    def predict(self, prompts: list[Prompt]) -> Iterator[list[dict[str, str]]]:
        run = self._score_letters if self.loglik else self._generate
        for start in range(0, len(prompts), self.batch_size):
            batch = prompts[start:start + self.batch_size]
            yield [{"question_id": p.question_id, "answer": answer, "response": reply}
                   for p, (answer, reply) in zip(batch, run(batch))]
