"""Where `--model` comes from: the built-in tiny model offline, and a hub id that cannot be reached
(offline mode, or no network) stopping at once with an error that says so."""

from __future__ import annotations

import json

import pytest
from fake_hub import fake_hub  # noqa: F401  (pytest fixture)

from mmad.cli import main


def test_tiny_model_runs_offline_with_no_download(small_root, tmp_path, capsys):
    out = tmp_path / "p.jsonl"
    assert main(["predict", "--data-dir", str(small_root), "--model", "tiny", "--out", str(out), "--limit", "5",
                 "--max-new-tokens", "2"]) == 0
    assert "5 predictions (5 new, 0 resumed)" in capsys.readouterr().out
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 5
    sidecar = json.loads((tmp_path / "p.run.json").read_text())
    assert (sidecar["backend"], sidecar["model"], sidecar["revision"]) == ("transformers", "tiny", None)


def test_the_pil_fallback_note_is_not_printed_and_other_warnings_are():
    """transformers says on every run that an image processor falls back to PIL without torchvision; the
    runner silences that note only (the note is `warning_once`, so it is emitted here directly). What the
    logger hands its handlers is checked with a handler of the test's own: transformers' stderr handler
    keeps whichever stream was `sys.stderr` when another test first configured it."""
    import logging

    from eval.predict.backends.transformers_backend import PIL_FALLBACK_NOTE, quiet_pil_fallback

    emitter = logging.getLogger("transformers.utils.import_utils")
    shown: list[str] = []
    keep = logging.Handler()
    keep.emit = lambda record: shown.append(record.getMessage())
    level = emitter.level
    emitter.addHandler(keep)
    emitter.setLevel(logging.WARNING)
    try:
        quiet_pil_fallback()
        emitter.warning(f"`CLIPImageProcessor` {PIL_FALLBACK_NOTE} to `CLIPImageProcessorPil`")
        emitter.warning("something else went wrong")
    finally:
        emitter.removeHandler(keep)
        emitter.setLevel(level)
    assert shown == ["something else went wrong"]


def test_an_uncached_hub_model_offline_is_a_clear_error(small_root, tmp_path, capsys):
    out = tmp_path / "p.jsonl"
    assert main(["predict", "--data-dir", str(small_root), "--model", "some-org/not-cached-VL", "--out", str(out),
                 "--limit", "2"]) == 2
    err = capsys.readouterr().err
    assert "model some-org/not-cached-VL: not in the Hugging Face cache, and HF_HUB_OFFLINE is set" in err
    assert "--model tiny" in err and "Traceback" not in err


def test_an_unreachable_hub_is_a_clear_error(small_root, tmp_path, capsys, monkeypatch):
    from fake_hub import point_clients_at

    point_clients_at("http://127.0.0.1:9", monkeypatch)  # the discard port: nothing listens
    out = tmp_path / "p.jsonl"
    assert main(["predict", "--data-dir", str(small_root), "--model", "some-org/some-VL", "--out", str(out),
                 "--limit", "2"]) == 2
    err = capsys.readouterr().err
    assert "model some-org/some-VL: cannot reach the Hub at http://127.0.0.1:9" in err
    assert "HF_HUB_OFFLINE=1" in err and "Traceback" not in err


def test_a_cached_hub_model_loads_offline_and_without_network(fake_hub, tiny_vlm, small_root, tmp_path, capsys,
                                                              monkeypatch):  # noqa: F811
    import huggingface_hub.constants as hub_constants
    from huggingface_hub import HfApi

    from fake_hub import point_clients_at

    api = HfApi(endpoint=fake_hub.url, token="fake-token")
    api.create_repo("mmad-org/tiny-vl")
    api.upload_folder(folder_path=str(tiny_vlm), repo_id="mmad-org/tiny-vl")
    common = ["--data-dir", str(small_root), "--model", "mmad-org/tiny-vl", "--limit", "2", "--max-new-tokens", "2",
              "--no-score"]
    assert main(["predict", *common, "--out", str(tmp_path / "online.jsonl")]) == 0
    point_clients_at("http://127.0.0.1:9", monkeypatch)
    assert main(["predict", *common, "--out", str(tmp_path / "no-network.jsonl")]) == 0
    assert "the Hub cannot be reached; loading mmad-org/tiny-vl from the cache" in capsys.readouterr().err
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    assert main(["predict", *common, "--out", str(tmp_path / "offline.jsonl")]) == 0
    online = (tmp_path / "online.jsonl").read_text()
    assert online == (tmp_path / "no-network.jsonl").read_text() == (tmp_path / "offline.jsonl").read_text()


def test_a_processor_that_needs_torchvision_says_how_to_get_it(tiny_vlm, small_root, tmp_path, capsys):
    """A Qwen2.5-VL-style processor (its video processor needs torchvision), built from the tiny model's files."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("torchvision") is not None:
        pytest.skip("torchvision is installed here")
    folder = tmp_path / "qwen-like"
    shutil.copytree(tiny_vlm, folder)
    (folder / "processor_config.json").write_text(json.dumps(
        {"processor_class": "Qwen2_5_VLProcessor", "image_processor": {"image_processor_type": "Qwen2VLImageProcessor"}}))
    (folder / "video_preprocessor_config.json").write_text(json.dumps({"video_processor_type": "Qwen2VLVideoProcessor"}))
    assert main(["predict", "--data-dir", str(small_root), "--model", str(folder), "--out", str(tmp_path / "p.jsonl"),
                 "--limit", "1"]) == 2
    err = capsys.readouterr().err
    assert "requires the Torchvision library" in err and "Models that need torchvision" in err
    assert "Traceback" not in err
