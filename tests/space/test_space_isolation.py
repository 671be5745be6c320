"""A file that is slow to score costs one request, never the board: scoring runs in a CPU-limited child."""

from __future__ import annotations

import dataclasses
import re
import threading
import time

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

import space.submit
import space.worker
from space.app import build_demo, launch_options
from space.rescore import rescore_all
from space.storage import LocalStore
from space.submit import Submitter

#: A regex that backtracks for tens of seconds while holding the GIL: a slow path nobody foresaw.
_CATASTROPHIC = (re.compile(r"(a+)+$"), "a" * 30 + "!")


def _slow_measure(content, info, max_bytes):
    """The worker's computation with tens of seconds of CPU spent first inside one C call (GIL held)."""
    pattern, text = _CATASTROPHIC
    pattern.match(text)
    return space.worker.Scored({}, "", "")


@pytest.fixture
def slow_scorer(monkeypatch):
    """Scoring takes tens of seconds, wherever it runs (the worker's child, or this process before)."""
    monkeypatch.setattr(space.worker, "_measure", _slow_measure, raising=False)

    def slow_parse(*args, **kwargs):
        _slow_measure(None, None, None)
        raise AssertionError("the slow path ran in the server's process")

    monkeypatch.setattr(space.submit, "parse", slow_parse, raising=False)


def test_a_slow_file_gets_a_clear_error_and_the_board_stays_responsive(settings, key_info, make_predictions,
                                                                         slow_scorer):
    demo = build_demo(dataclasses.replace(settings, score_cpu_seconds=2), key=key_info, enable_login=False)
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True,
                            **launch_options(settings))
    try:
        client = Client(url, verbose=False, download_files=False)
        outcome: dict = {}

        def submit() -> None:
            try:
                client.predict(handle_file(str(make_predictions(seed=1))), "Slow-VL", api_name="/submit")
                outcome["error"] = None
            except AppError as exc:
                outcome["error"] = str(exc)

        slow = threading.Thread(target=submit)
        started = time.monotonic()
        slow.start()
        time.sleep(2.0)  # the upload is in and being scored
        info = httpx.get(f"{url}gradio_api/info", timeout=60)
        board = client.predict(api_name="/leaderboard")
        waited = time.monotonic() - started
        slow.join(timeout=120)
        assert info.status_code == 200 and board["headers"]
        # from the upload to both answers: the regex alone takes far longer than this bound on any machine,
        # and in the server's process it would hold the GIL (this test's thread included) until it ended
        assert waited < 15, f"the unrelated requests were answered {waited:.1f} s after the upload"
        assert "CPU time" in (outcome.get("error") or "") and "nothing was stored" in outcome["error"]
        assert LocalStore(settings.store_dir).list() == []
    finally:
        demo.close()


def test_rescore_of_a_slow_stored_file_fails_alone_and_keeps_its_result(tmp_path, key_info, make_predictions,
                                                                         monkeypatch):
    store = LocalStore(tmp_path / "store")
    Submitter(store, key_info).submit(make_predictions(seed=2), {"model_name": "Kept-VL"}, "alice")
    [stored] = store.list()
    monkeypatch.setattr(space.worker, "_measure", _slow_measure)
    report = rescore_all(store, key_info, max_bytes=10**8, cpu_seconds=1)
    assert list(report.failed) == [stored.id] and "CPU time" in report.failed[stored.id]
    assert store.list()[0].result == stored.result
