"""Two lmms-eval runs written to one output folder: each keeps its own prediction file and its own
scores, whatever their sizes, their order, or how often the aggregation functions are called.

The task's utils.py is driven as lmms-eval drives it (process_results per doc, then the two
aggregation functions with the run's args), without lmms-eval itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lmms_task import load_task_utils

from eval import load_key, score

utils = load_task_utils()


@pytest.fixture(scope="module")
def docs(tiny_export: Path, tmp_path_factory: pytest.TempPathFactory):
    from datasets import load_dataset

    # A module fixture is set up before the per-test HF home: its own cache, never the user's.
    cache = tmp_path_factory.mktemp("hf_datasets")
    plain = load_dataset(str(tiny_export), "all", split="test", cache_dir=str(cache))
    return utils.process_docs(plain.remove_columns(["image", "template_image", "similar_template_image", "mask"]))


def _run(docs, reply, out: Path) -> tuple[float, float]:
    """One run: every doc answered by `reply(doc)`, aggregated under both metrics as lmms-eval does."""
    items = [utils.process_results(doc, [reply(doc)])["mmad_official"] for doc in docs]

    class Args:
        output_path = str(out)

    return utils.aggregate_official(items, args=Args()), utils.aggregate_strict(items, args=Args())


def _gold(doc) -> str:
    return f"The answer is {doc['answer']}."


def _first(doc) -> str:
    return "A"


def test_two_runs_of_one_size_in_one_folder_keep_their_own_files_and_scores(docs, tiny_export, tmp_path):
    key = load_key(tiny_export)
    good = _run(docs, _gold, tmp_path)
    naive = _run(docs, _first, tmp_path)
    assert good == (100.0, 100.0)
    assert naive[1] < 100.0 and naive != good
    written = sorted((tmp_path / utils.PREDICTIONS_DIR).glob("*.jsonl"))
    assert len(written) == 2, "the second run must not overwrite the first one's predictions"
    by_reply = {json.loads(p.read_text().splitlines()[0])["response"]: p for p in written}
    assert set(by_reply) == {"A", _gold(docs[0])}
    for reply, expected in (("A", naive), (_gold(docs[0]), good)):
        direct = score(by_reply[reply], key, "both", resamples=0)
        assert (direct["official"]["average"], direct["strict"]["average"]) == expected
    assert _run(docs, _gold, tmp_path) == good, "re-running the first run gives its own scores again"
    assert _run(docs, _first, tmp_path) == naive


def test_runs_in_other_folders_are_scored_from_their_own_file(docs, tmp_path):
    first = _run(docs, _gold, tmp_path / "one")
    second = _run(docs, _first, tmp_path / "two")
    assert first != second
    for folder in ("one", "two"):
        assert len(list((tmp_path / folder / utils.PREDICTIONS_DIR).glob("*.jsonl"))) == 1


def test_runs_differing_in_one_late_reply_are_told_apart(docs, tmp_path):
    """Same size, same replies but the last question's."""
    final = docs[len(docs) - 1]
    last = final["question_id"]
    wrong = next(letter for letter in "ABCDE" if final[letter] and letter != final["answer"])
    good = _run(docs, _gold, tmp_path)
    slip = _run(docs, lambda doc: wrong if doc["question_id"] == last else _gold(doc), tmp_path)
    assert slip[1] < good[1] == 100.0
    assert len(list((tmp_path / utils.PREDICTIONS_DIR).glob("*.jsonl"))) == 2
