"""An anonymous upload flood against a local app (loopback only): how much of it the Space accepts.

    python benchmarks/bench_upload_flood.py [--files 150] [--mb 1.9] [--runs 3]

Starts `python space/app.py` on 127.0.0.1 with its own temp folder (GRADIO_TEMP_DIR), posts
`--files` distinct files of `--mb` MB each to /gradio_api/upload from one client without logging
in (the bounded loop the red-team pass used), and reports per run: uploads accepted and refused
(by status code), the growth of the temp folder, and the time taken; then the median over runs.
"""

from __future__ import annotations

import argparse
import collections
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def flood(files: int, size: int) -> tuple[collections.Counter, int, float]:
    """(status codes, temp folder growth in bytes, seconds) of one flood against a fresh app."""
    with tempfile.TemporaryDirectory(prefix="mmad-flood-") as work:
        temp, port = Path(work) / "gradio-tmp", free_port()
        temp.mkdir()
        env = {**os.environ, "GRADIO_TEMP_DIR": str(temp), "GRADIO_SERVER_PORT": str(port),
               "GRADIO_SERVER_NAME": "127.0.0.1", "MMAD_STORE": str(Path(work) / "store"), "PYTHONPATH": str(ROOT)}
        server = subprocess.Popen([sys.executable, str(ROOT / "space" / "app.py")], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/gradio_api/info", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            before, codes, started = folder_bytes(temp), collections.Counter(), time.monotonic()
            with httpx.Client(timeout=60) as client:
                for i in range(files):
                    body = (f'{{"question_id": "flood-{i}#0", "response": "'.encode() + b"x" * size + b'"}\n')[:size]
                    reply = client.post(f"{url}/gradio_api/upload", files={"files": (f"p{i}.jsonl", body)})
                    codes[reply.status_code] += 1
            elapsed = time.monotonic() - started
            time.sleep(1.0)  # Gradio moves accepted files into its cache in a background task
            return codes, folder_bytes(temp) - before, elapsed
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=150)
    parser.add_argument("--mb", type=float, default=1.9)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    accepted, growth, seconds = [], [], []
    for run in range(args.runs):
        codes, grew, elapsed = flood(args.files, int(args.mb * 1e6))
        accepted.append(codes[200])
        growth.append(grew)
        seconds.append(elapsed)
        print(f"run {run + 1}: {codes[200]} of {args.files} accepted, refused {dict((c, n) for c, n in codes.items() if c != 200)}, "
              f"temp folder +{grew / 1e6:.1f} MB, {elapsed:.1f} s")
    print(f"median of {args.runs} runs: {statistics.median(accepted):g} of {args.files} uploads of {args.mb:g} MB "
          f"accepted, temp folder +{statistics.median(growth) / 1e6:.1f} MB, {statistics.median(seconds):.1f} s")


if __name__ == "__main__":
    main()
