"""Uploads are bounded before anything is scored or even written: per uploader, in total, per request,
and on a Space only for logged-in visitors (Gradio's /gradio_api/upload stores before any handler runs)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest

from space.app import build_demo, launch_options
from space.uploads import UPLOADS_PER_CLIENT, UploadPolicy


@pytest.fixture
def launched(settings, tmp_path, monkeypatch):
    """`launched(**settings_changes)` → (base URL, the app's temp folder) of a freshly launched app."""
    temp = tmp_path / "gradio-tmp"
    temp.mkdir()
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(temp))
    demos = []

    def start(**changes):
        configured = dataclasses.replace(settings, **changes)
        demo = build_demo(configured, key=None, enable_login=False)
        _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True,
                                **launch_options(configured))
        demos.append(demo)
        return url.rstrip("/"), temp

    yield start
    for demo in demos:
        demo.close()


def _post(url: str, *files: bytes) -> httpx.Response:
    return httpx.post(f"{url}/gradio_api/upload", timeout=60,
                      files=[("files", (f"p{i}.jsonl", body)) for i, body in enumerate(files)])


def _stored_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_an_anonymous_flood_is_cut_off_after_a_few_uploads(launched):
    url, temp = launched(max_upload_mb=0.1)
    codes = [_post(url, f"distinct file {i}\n".encode() * 5000).status_code for i in range(UPLOADS_PER_CLIENT + 10)]
    assert codes == [200] * UPLOADS_PER_CLIENT + [429] * 10
    assert _stored_bytes(temp) <= UPLOADS_PER_CLIENT * 0.1 * 1024 * 1024
    assert "too many uploads" in _post(url, b"one more\n").text


def test_one_request_cannot_carry_several_files_of_the_limit(launched):
    url, temp = launched(max_upload_mb=0.1)
    each = b"x" * 90_000  # under the limit, but three of them are not one file
    reply = _post(url, each, each + b"1", each + b"2")
    assert reply.status_code == 413 and "over the limit of 0.1048" in reply.text
    assert _stored_bytes(temp) == 0


def test_on_a_space_an_anonymous_visitor_cannot_upload(launched):
    url, temp = launched(on_space=True)
    reply = _post(url, b'{"question_id": "x#0", "answer": "A"}\n')
    assert reply.status_code == 401 and "log in" in reply.text
    assert _stored_bytes(temp) == 0


def test_a_logged_in_uploader_is_counted_by_name_not_address():
    policy = UploadPolicy(1_000, require_login=True, clock=lambda: 0.0)
    assert policy.admit(None, "10.0.0.1", 10)[0] == 401
    for _ in range(UPLOADS_PER_CLIENT):
        assert policy.admit("alice", "10.0.0.1", 10) is None
    assert policy.admit("alice", "10.0.0.2", 10)[0] == 429  # a new address is still alice
    assert policy.admit("bob", "10.0.0.1", 10) is None


def test_all_uploaders_together_stay_within_the_temp_budget_which_frees_up_with_time():
    now = [0.0]
    policy = UploadPolicy(1_000, require_login=False, clock=lambda: now[0])
    for client in range(8):  # eight addresses, one full-size file each: the whole budget
        assert policy.admit(None, f"10.0.0.{client}", 1_000) is None
    assert policy.admit(None, "10.0.1.1", 1_000)[0] == 503
    now[0] += policy.window + 1
    assert policy.admit(None, "10.0.1.1", 1_000) is None


def test_an_upload_without_a_declared_length_is_refused():
    assert UploadPolicy(1_000, require_login=False).admit(None, "10.0.0.1", None)[0] == 411
