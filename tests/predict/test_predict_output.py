"""Resuming: what is on disk after a crash, and refusing to mix runs in one file."""

from __future__ import annotations

import json

import pytest

from eval.predict.output import check_resume, load_done, write_sidecar
from mmad_dataset import MMADError


def _line(qid: str) -> str:
    return json.dumps({"question_id": qid, "answer": "A", "response": "A"}) + "\n"


def test_a_torn_last_line_is_cut_off(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(_line("a#0") + _line("a#1") + '{"question_id": "a#2", "ans')
    assert load_done(path) == {"a#0", "a#1"}
    assert path.read_text() == _line("a#0") + _line("a#1")


def test_a_complete_last_record_without_newline_is_kept(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(_line("a#0") + _line("a#1").rstrip("\n"))
    assert load_done(path) == {"a#0", "a#1"}
    assert path.read_text() == _line("a#0") + _line("a#1")


def test_garbage_before_the_end_is_an_error_not_silently_dropped(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(_line("a#0") + "not json\n" + _line("a#1"))
    with pytest.raises(MMADError, match=r"p.jsonl:2: not a JSON line"):
        load_done(path)


def test_a_run_with_other_settings_is_refused(tmp_path):
    path = tmp_path / "p.jsonl"
    settings = {"backend": "transformers", "model": "m", "revision": None, "prompt": {"setting": "1-shot"},
                "generation": {"max_new_tokens": 8}, "prompt_version": "v", "execution": {"batch_size": 4}}
    write_sidecar(path, settings)
    check_resume(path, {**settings, "execution": {"batch_size": 16}})
    with pytest.raises(MMADError, match="setting.*1-shot.*0-shot"):
        check_resume(path, {**settings, "prompt": {"setting": "0-shot"}})
