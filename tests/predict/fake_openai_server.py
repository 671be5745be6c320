"""A minimal stand-in for an OpenAI-compatible chat-completions server, for tests only.

It is not a model: it answers each question by picking the option whose text sorts first, which
makes the right answer depend on the option texts and not on their letters (so a permuted prompt
must map back to the same key letter). `faults` scripts failures for the next requests: an int is
an HTTP status, bytes are a raw 200 body. `shown()` gives back what each request showed the
model, in order: texts, and images as the label written into them by `labelled_image` (so a test
can tell which file was sent even when two files look alike). The real-server check (`transformers serve`) is in
test_predict_serve.py; it needs packages the project does not install.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO

from PIL import Image

_OPTION = re.compile(r"^([A-E])\. (.*)$", re.MULTILINE)
LABEL = "mmad-test-path"


def labelled_image(path: str, size: int = 28) -> bytes:
    """A small image that carries `path` in its metadata (PNG text chunk, JPEG comment)."""
    from PIL import PngImagePlugin

    buf = BytesIO()
    picture = Image.new("RGB", (size, size), tuple(path.encode()[-3:].ljust(3, b"0")))
    if path.lower().endswith((".jpg", ".jpeg")):
        picture.save(buf, format="JPEG", comment=path.encode())
    else:
        info = PngImagePlugin.PngInfo()
        info.add_text(LABEL, path)
        picture.save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def image_label(data: bytes) -> str | None:
    info = Image.open(BytesIO(data)).info
    comment = info.get("comment")
    return info.get(LABEL) or (comment.decode() if isinstance(comment, bytes) else comment)


def choose(text: str) -> str:
    """The letter of the alphabetically first option of the last question in the prompt text."""
    last = text.rsplit("Question: ", 1)[-1]
    return min(_OPTION.findall(last), key=lambda item: item[1])[0]


class FakeOpenAIServer:
    def __init__(self, delay: float = 0.0) -> None:
        self.faults: list[int | bytes] = []
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.in_flight = self.max_in_flight = 0
        self.delay = delay
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/v1"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def shown(self) -> list[list[tuple[str, str | None]]]:
        """Per request, its content parts: ("text", text) or ("image", the image's label)."""
        return [[("text", part["text"]) if part["type"] == "text"
                 else ("image", image_label(base64.b64decode(part["image_url"]["url"].split(",", 1)[1])))
                 for part in body["messages"][0]["content"]] for body in self.requests]

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def _answer(self, body: dict) -> bytes:
        content = body["messages"][0]["content"]
        for part in content:
            if part["type"] == "image_url":
                header, data = part["image_url"]["url"].split(",", 1)
                assert header.startswith("data:image/") and header.endswith(";base64")
                Image.open(BytesIO(base64.b64decode(data))).verify()
        text = "".join(part["text"] for part in content if part["type"] == "text")
        reply = {"id": "x", "object": "chat.completion", "model": body["model"],
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": f"Answer: {choose(text)}."}}]}
        return json.dumps(reply).encode()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server._lock:
                    server.requests.append(body)
                    server.headers.append(dict(self.headers))
                    fault = server.faults.pop(0) if server.faults else None
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    time.sleep(server.delay)
                    if self.path != "/v1/chat/completions":
                        status, payload = 404, b'{"error": "not found"}'
                    elif isinstance(fault, int):
                        status, payload = fault, b'{"error": {"message": "scripted failure"}}'
                    else:
                        status, payload = 200, fault if isinstance(fault, bytes) else server._answer(body)
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                finally:
                    with server._lock:
                        server.in_flight -= 1

        return Handler
