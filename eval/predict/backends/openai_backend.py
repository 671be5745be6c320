"""Any OpenAI-compatible chat-completions endpoint (OpenAI, Gemini's compatible API, vLLM,
`transformers serve`): images as base64 data URLs, bounded concurrency, retries with exponential
backoff on 429, 5xx and connection errors.

Failure policy: an endpoint that keeps failing, or answers a request with a client error (4xx
other than 429) or with a body that is not a chat completion (malformed JSON, no `choices`), stops
the run with an `EndpointError` naming the endpoint; what was written stays, and a rerun resumes.
A completion whose content is empty or null (e.g. a content filter) is recorded with answer ''
(the scorer counts it wrong).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from itertools import islice
from typing import Any

from mmad_dataset import MMADError

from ..images import ImageStore
from ..prompts import Prompt, extract_answer

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class EndpointError(MMADError):
    """The endpoint failed in a way retrying will not fix, or kept failing."""


class OpenAIBackend:
    def __init__(self, model: str, *, images: ImageStore, base_url: str, api_key: str | None,
                 concurrency: int = 8, max_retries: int = 5, retry_delay: float = 1.0, timeout: float = 120.0,
                 max_tokens: int = 128, temperature: float = 0.0) -> None:
        import httpx

        self.model, self.images, self.url = model, images, base_url.rstrip("/") + "/chat/completions"
        self.concurrency, self.max_retries, self.retry_delay = concurrency, max_retries, retry_delay
        self.generation = {"max_tokens": max_tokens, "temperature": temperature}
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(headers=headers, timeout=timeout,
                                   limits=httpx.Limits(max_connections=concurrency))

    def settings(self) -> dict[str, Any]:
        return {"backend": "openai", "model": self.model, "revision": None, "generation": self.generation,
                "execution": {"url": self.url, "concurrency": self.concurrency, "max_retries": self.max_retries}}

    def payload(self, prompt: Prompt) -> dict[str, Any]:
        content = [{"type": "text", "text": part["text"]} if part["type"] == "text"
                   else {"type": "image_url", "image_url": {"url": self.images.data_url(part["path"])}}
                   for part in prompt.parts]
        return {"model": self.model, "messages": [{"role": "user", "content": content}], **self.generation}

    def _post(self, body: dict[str, Any]) -> Any:
        """One request with retries; returns the decoded JSON body of a 2xx answer."""
        import httpx

        last = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self.retry_delay * 2 ** (attempt - 1))
            try:
                response = self.client.post(self.url, json=body)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code in RETRY_STATUS:
                last = f"HTTP {response.status_code}: {response.text[:200]}"
                continue
            if response.status_code >= 400:
                raise EndpointError(f"{self.url} answered HTTP {response.status_code}: {response.text[:300]}")
            try:
                return response.json()
            except ValueError:
                raise EndpointError(f"{self.url} answered with malformed JSON: {response.text[:300]!r}") from None
        raise EndpointError(f"{self.url} failed {self.max_retries + 1} times; last: {last}")

    def complete(self, prompt: Prompt) -> dict[str, str]:
        answer = self._post(self.payload(prompt))
        try:
            content = answer["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise EndpointError(f"{self.url} answered without choices[0].message.content: "
                                f"{str(answer)[:300]}") from None
        if not isinstance(content, (str, type(None))):
            raise EndpointError(f"{self.url} answered a non-text message content: {str(content)[:300]}")
        reply = content or ""
        return {"question_id": prompt.question_id, "answer": extract_answer(reply, prompt), "response": reply}

    def predict(self, prompts: list[Prompt]) -> Iterator[list[dict[str, str]]]:
        """At most `concurrency` requests in flight; each finished one is yielded at once."""
        queue = iter(prompts)
        with ThreadPoolExecutor(self.concurrency) as pool:
            running = {pool.submit(self.complete, p) for p in islice(queue, self.concurrency)}
            try:
                while running:
                    finished, running = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        yield [future.result()]
                        following = next(queue, None)
                        if following is not None:
                            running.add(pool.submit(self.complete, following))
            finally:
                for future in running:
                    future.cancel()
