"""`mmad predict` end to end with a tiny random LLaVA on the synthetic tree, then `mmad score`."""

from __future__ import annotations

import json
import shutil

import pytest

from eval import load_key, read_predictions
from mmad.cli import main
from mmad_dataset import read_rows


def _predict(root, model, out, *extra: str) -> int:
    return main(["predict", "--data-dir", str(root), "--model", str(model), "--out", str(out),
                 "--max-new-tokens", "3", "--batch-size", "4", *extra])


def _records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def key(small_root):
    return load_key(small_root)


@pytest.fixture(scope="module")
def k_shot_root(small_root, tmp_path_factory):
    """The synthetic tree holds only each image's first templates; k-shot needs the next ones too."""
    root = tmp_path_factory.mktemp("k_shot") / "root"
    shutil.copytree(small_root, root)
    for row in read_rows(root):
        for path in json.loads(row["random_templates"])[:3]:
            if not (root / path).exists():
                shutil.copyfile(root / row["template_path"], root / path)
    return root


def test_missing_template_files_are_named_before_any_work(small_root, tiny_vlm, tmp_path, capsys):
    root = tmp_path / "root"
    shutil.copytree(small_root, root)
    (root / json.loads(read_rows(root)[0]["random_templates"])[2]).unlink()
    assert _predict(root, tiny_vlm, tmp_path / "p.jsonl", "--setting", "k-shot", "--shots", "3") == 2
    assert "referenced file(s) missing" in capsys.readouterr().err
    assert not (tmp_path / "p.jsonl").exists()


def test_files_the_prompts_do_not_show_may_be_missing(small_root, tiny_vlm, tmp_path):
    """Partial downloads are common (upstream issue #6): a 0-shot run needs no template and no mask."""
    root = tmp_path / "root"
    shutil.copytree(small_root, root)
    rows = read_rows(root)
    for row in rows:
        for column in ("template_path", "similar_template_path", "mask_path"):
            if row[column]:
                (root / row[column]).unlink(missing_ok=True)
    out = tmp_path / "p.jsonl"
    assert _predict(root, tiny_vlm, out, "--setting", "0-shot", "--limit", "4", "--no-score") == 0
    assert [r["question_id"] for r in _records(out)] == [row["question_id"] for row in rows[:4]]


#: flags → (what the sidecar must record as the prompt, images per prompt, domain knowledge shown)
SETTING_CASES = {
    "0-shot": (["--setting", "0-shot"], {"setting": "0-shot", "shots": 0}, 1, False),
    "1-shot": (["--setting", "1-shot"], {}, 2, False),
    "1-shot+": (["--setting", "1-shot+"], {"setting": "1-shot+"}, 2, False),
    "k-shot 3": (["--setting", "k-shot", "--shots", "3"], {"setting": "k-shot", "shots": 3}, 4, False),
    "domain knowledge": (["--domain-knowledge"], {"domain_knowledge": True}, 2, True),
    "cumulative": (["--cumulative"], {"cumulative": True}, 2, False),
    "permuted": (["--permute-options", "--seed", "3"], {"permute_seed": 3}, 2, False),
    "loglik": (["--loglik"], {}, 2, False),
}
DEFAULT_PROMPT = {"setting": "1-shot", "shots": 1, "domain_knowledge": False, "cumulative": False,
                  "permute_seed": None}


@pytest.fixture
def processor_texts(monkeypatch) -> list[str]:
    """The texts the model's processor receives (after the chat template), in call order."""
    from transformers import LlavaProcessor

    texts: list[str] = []
    original = LlavaProcessor.__call__

    def recording(self, *args, text=None, **kwargs):
        texts.extend(text)
        return original(self, *args, text=text, **kwargs)

    monkeypatch.setattr(LlavaProcessor, "__call__", recording)
    return texts


@pytest.mark.parametrize("case", list(SETTING_CASES))
def test_every_setting_writes_a_scorable_file(k_shot_root, tiny_vlm, tmp_path, capsys, processor_texts, case):
    extra, prompt, images, knowledge = SETTING_CASES[case]
    out = tmp_path / "preds.jsonl"
    assert _predict(k_shot_root, tiny_vlm, out, "--limit", "10", *extra) == 0
    printed = capsys.readouterr().out
    assert "10 predictions (10 new, 0 resumed)" in printed
    assert main(["score", str(out), "--key", str(k_shot_root)]) == 0
    assert capsys.readouterr().out in printed  # the table printed is `mmad score`'s
    mmad = json.loads((k_shot_root / "mmad.json").read_text())
    asked = [(key, i) for key, entry in mmad.items() for i in range(len(entry["conversation"]))][:10]
    records = _records(out)
    assert [r["question_id"] for r in records] == [f"{key}#{i}" for key, i in asked]
    letters = {f"{key}#{i}": set(mmad[key]["conversation"][i]["Options"]) for key, i in asked}
    assert all(r["answer"] in letters[r["question_id"]] or r["answer"] == "" for r in records)
    sidecar = json.loads(out.with_name("preds.run.json").read_text())
    assert sidecar["model"] == str(tiny_vlm) and sidecar["prompt_version"] and sidecar["packages"]["transformers"]
    assert sidecar["prompt"] == {**DEFAULT_PROMPT, **prompt}
    texts = processor_texts
    assert [text.count("<image>") for text in texts] == [images] * 10
    assert ["domain knowledge" in text for text in texts] == [knowledge] * 10
    questions = [text.count("Question: ") for text in texts]
    assert questions == ([i + 1 for _, i in asked] if "--cumulative" in extra else [1] * 10)
    if "--loglik" in extra:
        assert sidecar["generation"]["mode"] == "loglik"
        assert all(r["answer"] in letters[r["question_id"]] and r["response"].startswith("loglik ") for r in records)


def test_config_selects_questions(small_root, tiny_vlm, tmp_path):
    out = tmp_path / "p.jsonl"
    assert _predict(small_root, tiny_vlm, out, "--config", "visa", "--limit", "6", "--no-score") == 0
    assert [r["question_id"].split("/")[0] for r in _records(out)] == ["VisA"] * 6


def _loglik_scores(record: dict) -> dict[str, float]:
    """`loglik A=-6.9756 B=-7.1000` → {"A": -6.9756, "B": -7.1}."""
    return {letter: float(value) for letter, value in (item.split("=") for item in record["response"].split()[1:])}


@pytest.mark.parametrize("mode", [[], ["--loglik"]], ids=["generate", "loglik"])
def test_batching_with_left_padding_does_not_change_replies(small_root, tiny_vlm, tmp_path, mode):
    one, six = tmp_path / "one.jsonl", tmp_path / "six.jsonl"
    common = ["--limit", "12", "--max-new-tokens", "6", "--no-score", *mode]
    assert _predict(small_root, tiny_vlm, one, *common, "--batch-size", "1") == 0
    assert _predict(small_root, tiny_vlm, six, *common, "--batch-size", "6") == 0
    if not mode:
        assert _records(six) == _records(one)
        assert len({r["response"] for r in _records(one)}) > 6, "replies should depend on the prompt"
        return
    # Padding changes the order of float operations: log-likelihoods agree to rounding, not to the digit
    # (one CPU thread gives -6.9756 against -6.9757), and the answer may differ only between tied letters.
    tolerance = 2e-3
    for alone, batched in zip(_records(one), _records(six), strict=True):
        first, second = _loglik_scores(alone), _loglik_scores(batched)
        assert alone["question_id"] == batched["question_id"] and first.keys() == second.keys()
        assert all(abs(first[letter] - second[letter]) <= tolerance for letter in first)
        assert abs(first[alone["answer"]] - first[batched["answer"]]) <= tolerance
    assert len({r["response"] for r in _records(one)}) > 6, "scores should depend on the prompt"


def test_each_image_is_read_and_preprocessed_once(small_root, tiny_vlm):
    from eval.predict.backends.transformers_backend import TransformersBackend
    from eval.predict.data import LocalData
    from eval.predict.images import ImageStore
    from eval.predict.prompts import PromptSettings
    from eval.predict.runner import select_prompts

    prompts = select_prompts(LocalData(small_root), PromptSettings(), "all", 30)
    images = ImageStore(small_root)
    backend = TransformersBackend.load(str(tiny_vlm), images=images, batch_size=4, max_new_tokens=2)
    assert sum(len(batch) for batch in backend.predict(prompts)) == 30
    distinct = {part["path"] for p in prompts for part in p.parts if part["type"] == "image"}
    shown = sum(part["type"] == "image" for p in prompts for part in p.parts)
    assert shown > len(distinct)
    assert images.reads == len(distinct)
    assert backend.processor.image_processor.calls == len(distinct)


def test_rerun_resumes_and_a_torn_line_is_redone(small_root, tiny_vlm, tmp_path, capsys, key):
    out = tmp_path / "p.jsonl"
    assert _predict(small_root, tiny_vlm, out, "--limit", "8", "--no-score") == 0
    first = out.read_text()
    out.write_text(first + '{"question_id": "torn')
    capsys.readouterr()
    assert _predict(small_root, tiny_vlm, out, "--limit", "14", "--no-score") == 0
    assert "14 predictions (6 new, 8 resumed)" in capsys.readouterr().out
    assert out.read_text().startswith(first)
    ids = [r["question_id"] for r in _records(out)]
    assert len(ids) == len(set(ids)) == 14
    assert len(read_predictions(out, key).records) == 14


def test_resuming_with_another_setting_is_refused(small_root, tiny_vlm, tmp_path, capsys):
    out = tmp_path / "p.jsonl"
    assert _predict(small_root, tiny_vlm, out, "--limit", "4", "--no-score") == 0
    assert _predict(small_root, tiny_vlm, out, "--limit", "4", "--setting", "0-shot") == 2
    assert "other settings" in capsys.readouterr().err
    assert _predict(small_root, tiny_vlm, out, "--limit", "4", "--setting", "0-shot", "--overwrite",
                    "--no-score") == 0


def test_features_padded_per_batch_are_preprocessed_together():
    import torch

    from eval.predict.backends.transformers_backend import OncePerImage

    class Padding:
        """Like LLaVA-NeXT: a picture's patch count varies, so features pad to the batch's widest."""

        def __call__(self, images, **kwargs):
            width = max(len(image) for image in images)
            return {"pixel_values": torch.stack([torch.tensor(image + [0] * (width - len(image))) for image in images])}

    wrapped = OncePerImage(Padding())
    short, long = [1], [2, 3]
    assert wrapped([short, long, short])["pixel_values"].tolist() == [[1, 0], [2, 3], [1, 0]]
    assert wrapped([short, short])["pixel_values"].tolist() == [[1], [1]]
