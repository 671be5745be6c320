"""The Space's demo: its sample prediction file scores exactly what the upstream scorer's
transcription computes from the raw synthetic mmad.json — not merely "somewhere between 60 and 90"."""

from __future__ import annotations

import json
import warnings

import pytest

from upstream_oracle import caculate_accuracy_mmad


def test_demo_sample_scores_what_upstream_computes(tmp_path):
    from space.scoring import demo_key, score_bytes

    info = demo_key(tmp_path)
    result = score_bytes(info.sample_predictions.read_bytes(), info, max_bytes=10**8)
    mmad = json.loads((tmp_path / "synthetic_root" / "mmad.json").read_text(encoding="utf-8"))
    given = {}
    for line in info.sample_predictions.read_text(encoding="utf-8").splitlines():
        prediction = json.loads(line)
        given[prediction["question_id"]] = prediction["answer"]
    # The records upstream's query scripts would write: mmad.json order, gold from mmad.json.
    records = [{"image": key, "question_type": item["type"], "correct_answer": item["Answer"],
                "gpt_answer": given[f"{key}#{index}"]}
               for key, entry in mmad.items() for index, item in enumerate(entry["conversation"])]
    assert len(given) == len(records)  # one answer per question: coverage 100%
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = caculate_accuracy_mmad(records, show_overkill_miss=True)
    official, strict = result["official"], result["strict"]
    assert official["coverage"] == 100.0 and official["counts"]["invalid"] == 0
    assert official["average"] == pytest.approx(table.at["Average", "Average"], abs=1e-9)
    for source, row in official["sources"].items():
        assert row["average"] == pytest.approx(table.at[source, "Average"], abs=1e-9), source
    # Every answer is a valid letter of its question, so strict counts the same questions the same way.
    assert strict["average"] == pytest.approx(official["average"], abs=1e-9)
    right = sum(r["gpt_answer"] == r["correct_answer"] for r in records)
    assert 0.6 < right / len(records) < 0.8  # the file answers about 70% right, as documented
