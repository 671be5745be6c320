"""Images are read once per image, not once per question: the questions of one image run together
and a small LRU keeps the decoded pictures (and their file bytes for HTTP backends)."""

from __future__ import annotations

import base64
import mimetypes
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any


class LRU:
    """A bounded mapping that forgets the least recently used entry; safe across request threads."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Any, make) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return value


class ImageStore:
    """Root-relative image paths → decoded RGB pictures or data URLs, each file read once while cached."""

    def __init__(self, root: str | Path, capacity: int = 64) -> None:
        self.root = Path(root)
        self._pictures = LRU(capacity)
        self._urls = LRU(capacity)
        self.reads = 0

    def _read(self, path: str) -> bytes:
        self.reads += 1
        return (self.root / path).read_bytes()

    def picture(self, path: str):
        from io import BytesIO

        from PIL import Image

        return self._pictures.get_or_make(path, lambda: Image.open(BytesIO(self._read(path))).convert("RGB"))

    def data_url(self, path: str) -> str:
        """The file's own bytes, base64-encoded, with the MIME type its extension names."""
        mime = mimetypes.guess_type(path)[0] or "image/png"
        return self._urls.get_or_make(
            path, lambda: f"data:{mime};base64,{base64.b64encode(self._read(path)).decode('ascii')}")
