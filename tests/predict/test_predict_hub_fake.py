"""`mmad predict --dataset ORG/NAME[@REV]` against the FAKE Hub (tests/fake_hub.py), never the real one.

The repo is an `mmad export` of `labelled_root` made self-sufficient (its mmad.json,
domain_knowledge.json and every template and mask), uploaded with `HfApi.upload_folder`. The
files each run downloads are read from the fake Hub's request log and compared with the files
its prompts show, worked out here from the raw `mmad.json`.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest
from huggingface_hub import HfApi

from fake_hub import FakeHub, point_clients_at, running_fake_hub
from mmad.cli import main

REPO = "mmad-org/MMAD"


@pytest.fixture(scope="module")
def export(labelled_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mmad export` output, as published: it is a raw root too."""
    out = tmp_path_factory.mktemp("export") / "MMAD"
    assert main(["export", "--data-dir", str(labelled_root), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def published(export: Path):
    """One fake Hub for the module, holding the export as REPO (uploaded once: it takes seconds)."""
    with running_fake_hub() as hub, pytest.MonkeyPatch.context() as patch:
        point_clients_at(hub.url, patch)
        api = HfApi(endpoint=hub.url, token="fake-token")
        api.create_repo(REPO, repo_type="dataset")
        api.upload_folder(folder_path=str(export), repo_id=REPO, repo_type="dataset")
        yield hub


@pytest.fixture
def hub(published: FakeHub, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    """The module's fake Hub, with this test's clients pointed at it and its request log cleared."""
    point_clients_at(published.url, monkeypatch)
    published.requests.clear()
    return published


def _copy_repo(hub: FakeHub, name: str) -> None:
    """A second repo with REPO's history, for a test that commits to it."""
    with hub._lock:
        original = hub.repos[("dataset", REPO)]
        hub.repos[("dataset", name)] = dataclasses.replace(original, repo_id=name, commits=list(original.commits))


def _fresh_cache(monkeypatch, folder: Path) -> None:
    import huggingface_hub.constants as hub_constants

    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(folder))


def _downloaded(hub, repo: str = REPO) -> set[str]:
    """Files fetched from the dataset repo since the log was last cleared."""
    prefix = f"/datasets/{repo}/resolve/"
    return {unquote(path[len(prefix):]).split("/", 1)[1] for method, path in hub.requests
            if method == "GET" and path.startswith(prefix)}


def _shown(mmad: dict, count: int, templates) -> set[str]:
    """Images the first `count` questions' prompts show, from the raw mmad.json."""
    files = set()
    for key, entry in mmad.items():
        for _ in entry["conversation"]:
            if count == 0:
                return files
            files |= {key, *templates(entry)}
            count -= 1
    return files


def _lines(path: Path) -> list[str]:
    return sorted(path.read_text().splitlines())


def _predict(server, out: Path, *extra: str) -> int:
    return main(["predict", "--backend", "openai", "--model", "fake-vlm", "--base-url", server.url,
                 "--out", str(out), "--concurrency", "2", "--no-score", *extra])


SETTINGS = {
    "0-shot": (["--setting", "0-shot"], lambda entry: []),
    "1-shot": ([], lambda entry: entry["random_templates"][:1]),
    "1-shot+": (["--setting", "1-shot+"], lambda entry: entry["similar_templates"][:1]),
    "k-shot 4": (["--setting", "k-shot", "--shots", "4"], lambda entry: entry["random_templates"][:4]),
    "domain knowledge": (["--setting", "0-shot", "--domain-knowledge"], lambda entry: []),
}


def test_fake_hub_dataset_runs_every_setting_fetching_only_the_files_it_shows(
        hub, labelled_root, fake_server, tmp_path, monkeypatch):
    sha = HfApi().dataset_info(REPO).sha
    mmad = json.loads((labelled_root / "mmad.json").read_text())
    for name, (flags, templates) in SETTINGS.items():
        _fresh_cache(monkeypatch, tmp_path / f"cache {name}")
        hub.requests.clear()
        fake_server.requests.clear()
        out = tmp_path / f"{name}.jsonl"
        assert _predict(fake_server, out, "--dataset", REPO, "--limit", "9", *flags) == 0, name
        shown = _shown(mmad, 9, templates)
        extra = {"domain_knowledge.json"} if "--domain-knowledge" in flags else set()
        assert _downloaded(hub) == {"answer_key.jsonl", *shown, *extra}, name
        assert {label for parts in fake_server.shown() for kind, label in parts if kind == "image"} == shown
        assert len(out.read_text().splitlines()) == 9
        sidecar = json.loads(out.with_name(out.stem + ".run.json").read_text())
        assert sidecar["dataset"] == {"repo": REPO, "revision": "main", "sha": sha}
    assert len(mmad[next(iter(mmad))]["random_templates"]) >= 4


def test_fake_hub_run_with_the_tiny_model_scores_as_mmad_score_does(hub, export, tmp_path, capsys):
    out = tmp_path / "tiny.jsonl"
    assert main(["predict", "--dataset", REPO, "--model", "tiny", "--out", str(out), "--limit", "12",
                 "--max-new-tokens", "3"]) == 0
    printed = capsys.readouterr().out
    assert main(["score", str(out), "--key", str(export / "answer_key.jsonl")]) == 0
    table = capsys.readouterr().out
    assert "Anomaly Discrimination" in table and table in printed


def test_fake_hub_pinned_revision_serves_the_questions_and_the_key(hub, export, fake_server, tmp_path, capsys):
    repo = "mmad-org/MMAD-edited"
    _copy_repo(hub, repo)
    api = HfApi()
    first = api.dataset_info(repo).sha
    rows = [json.loads(line) for line in (export / "answer_key.jsonl").read_text().splitlines()]
    rows[0]["answer"] = next(letter for letter in "ABCDE" if rows[0][letter] and letter != rows[0]["answer"])
    changed = tmp_path / "answer_key.jsonl"
    changed.write_text("".join(json.dumps(row) + "\n" for row in rows))
    api.upload_file(path_or_fileobj=str(changed), path_in_repo="answer_key.jsonl", repo_id=repo, repo_type="dataset")
    second = api.dataset_info(repo).sha
    assert second != first

    for revision, key, spec in ((first, export / "answer_key.jsonl", f"{repo}@{first}"),
                                (second, changed, repo)):
        out = tmp_path / f"{revision}.jsonl"
        capsys.readouterr()
        assert main(["predict", "--backend", "openai", "--model", "fake-vlm", "--base-url", fake_server.url,
                     "--dataset", spec, "--out", str(out), "--limit", "6", "--setting", "0-shot"]) == 0
        printed = capsys.readouterr().out
        sidecar = json.loads(out.with_name(out.stem + ".run.json").read_text())
        assert sidecar["dataset"]["sha"] == revision
        for key_path in (key, sidecar["data_dir"]):
            assert main(["score", str(out), "--key", str(key_path)]) == 0
            assert capsys.readouterr().out in printed
    assert _lines(tmp_path / f"{first}.jsonl") == _lines(tmp_path / f"{second}.jsonl")

    api.delete_file(rows[0]["template_path"], repo_id=repo, repo_type="dataset")
    hub.requests.clear()
    assert main(["predict", "--backend", "openai", "--model", "fake-vlm", "--base-url", fake_server.url,
                 "--dataset", repo, "--out", str(tmp_path / "gone.jsonl"), "--limit", "6"]) == 2
    err = capsys.readouterr().err
    assert f"dataset {repo}@main: 1 referenced file(s) missing" in err and rows[0]["template_path"] in err
    assert _downloaded(hub, repo) <= {"answer_key.jsonl"} and not (tmp_path / "gone.jsonl").exists()


def test_dataset_offline_or_unreachable_is_a_clear_error(tmp_path, capsys, monkeypatch):
    out = tmp_path / "p.jsonl"
    assert main(["predict", "--dataset", REPO, "--model", "tiny", "--out", str(out)]) == 2
    assert "HF_HUB_OFFLINE is set" in capsys.readouterr().err

    from fake_hub import point_clients_at

    point_clients_at("http://127.0.0.1:9", monkeypatch)  # the discard port: nothing listens
    assert main(["predict", "--dataset", REPO, "--model", "tiny", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the Hub at http://127.0.0.1:9" in err and "Traceback" not in err
    assert main(["predict", "--dataset", "not-a-repo", "--model", "tiny", "--out", str(out)]) == 2
    assert "expected ORG/NAME or ORG/NAME@REVISION" in capsys.readouterr().err
    assert not out.exists()


def test_fake_hub_repo_that_is_not_an_export_is_named(hub, tmp_path, capsys):
    HfApi().create_repo("mmad-org/zips", repo_type="dataset")
    assert main(["predict", "--dataset", "mmad-org/zips", "--model", "tiny", "--out", str(tmp_path / "p.jsonl")]) == 2
    assert "mmad-org/zips@main has no answer_key.jsonl, so it is not an `mmad export` folder" in capsys.readouterr().err
    assert main(["predict", "--dataset", "mmad-org/absent", "--model", "tiny", "--out", str(tmp_path / "p.jsonl")]) == 2
    assert "dataset mmad-org/absent@main: not found on" in capsys.readouterr().err


@pytest.mark.parametrize("keep_mmad_json", [True, False], ids=["export", "export without mmad.json"])
def test_an_export_folder_is_a_data_dir(export, labelled_root, fake_server, tmp_path, capsys, keep_mmad_json):
    """With or without its mmad.json (older exports), an export folder runs every setting and is its own key."""
    folder = export
    if not keep_mmad_json:
        folder = tmp_path / "export"
        shutil.copytree(export, folder)
        (folder / "mmad.json").unlink()
    out = tmp_path / "p.jsonl"
    assert _predict(fake_server, out, "--data-dir", str(folder), "--limit", "9", "--setting", "k-shot",
                    "--shots", "4", "--domain-knowledge") == 0
    mmad = json.loads((labelled_root / "mmad.json").read_text())
    shown = {label for parts in fake_server.shown() for kind, label in parts if kind == "image"}
    assert shown == _shown(mmad, 9, lambda entry: entry["random_templates"][:4])
    capsys.readouterr()
    assert main(["score", str(out), "--key", str(labelled_root), "--resamples", "0"]) == 0
    assert "Anomaly Discrimination" in capsys.readouterr().out
