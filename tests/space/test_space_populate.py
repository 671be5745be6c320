"""Board rows, tables, filters and charts from the bundled entries and verified results."""

from __future__ import annotations

import csv
import json

import pytest

from mmad_dataset import SOURCES, SUBTASKS
from space import populate
from space.envs import REPORTED_DIR
from space.populate import Filters

ENTRIES = populate.load_reported(REPORTED_DIR)
ROWS = [populate.row_from_reported(e) for e in ENTRIES]


def _verified(name="Mine <b>x</b>", average=80.0, coverage=100.0, exposure="none", link="https://e.org/m"):
    result = {"scored_at": "2026-01-02T00:00:00Z", "data_revision": "rev",
              "official": {"average": average, "subtasks": {s: average for s in SUBTASKS}, "coverage": coverage,
                           "sources": {src: {"average": average - 1, "subtasks": {s: average - 1 for s in SUBTASKS}}
                                       for src in SOURCES},
                           "overkill": 12.5, "miss": 7.5, "scorer_version": "1.0.0", "answer_key_sha256": "ab" * 32},
              "strict": {"average": average - 2, "sources": {}}}
    metadata = {"model_name": name, "link": link, "size": "7B", "model_type": "open", "setting": "1-shot",
                "training_exposure": exposure, "user": "u", "submitted_at": "2026-01-02T00:00:00Z"}
    return populate.row_from_submission("20260102T000000Z-0123456789", metadata, result)


def test_seed_holds_every_reported_row_and_every_authors_file():
    for path in REPORTED_DIR.glob("*.json"):
        assert json.loads(path.read_text())["id"] == path.stem
    provenances = [e["provenance"] for e in ENTRIES]
    assert provenances.count("authors' released results") == 22
    assert len(ENTRIES) == 54
    for entry in ENTRIES:
        assert entry["rescorable"] is False and entry["rescorable_reason"]
        assert set(entry["result"]["subtasks"]) == set(SUBTASKS)
        assert entry["source"] and entry["status"] in ("reported", "reference")
    csv_rows = [e for e in ENTRIES if e["provenance"] == "authors' released results"]
    assert all(set(e["result"]["sources"]) == set(SOURCES) for e in csv_rows)
    claude = next(e for e in ENTRIES if e["model"].startswith("Claude"))
    assert "subset run" in claude["flags"]


def test_paper_and_authors_csv_stay_separate_rows_with_their_own_numbers():
    gpt4o = {r.provenance: r.average for r in ROWS if r.model == "GPT-4o"}
    assert gpt4o == {"paper table": 74.92, "authors' released results": pytest.approx(74.306, abs=1e-3)}


def test_table_ranks_models_but_not_reference_lines():
    frame = populate.table(ROWS)
    human = frame[frame["Model"].str.contains("Human")]
    assert set(human["Rank"]) == {""} and len(human) == 2
    ranked = frame[frame["Rank"] != ""]
    assert ranked.iloc[0]["Rank"] == "1" and ranked.iloc[0]["Average"] == 82.29
    assert list(ranked["Average"]) == sorted(ranked["Average"], reverse=True)


def test_per_source_view_uses_source_numbers_and_drops_rows_without_them():
    frame = populate.table(ROWS, view="VisA")
    assert len(frame) == 22
    qwen72 = frame[frame["Model"].str.contains("Qwen2-VL-72B")].iloc[0]
    assert qwen72["Average"] == pytest.approx(78.56, abs=0.01)


def test_filters_by_type_size_setting_provenance_and_training():
    only_api = populate.filter_rows(ROWS, Filters(types=["API"], show_reference=False))
    assert only_api and all(r.type == "API" for r in only_api)
    big = populate.filter_rows(ROWS, Filters(sizes=["> 40B"], show_reference=False))
    assert {r.size for r in big} == {"72B", "76B"}
    zero = populate.filter_rows(ROWS, Filters(settings=["0-shot"], show_reference=False))
    assert {r.model for r in zero} >= {"SPHINX", "Cambrian-1"}
    dk = populate.filter_rows(ROWS, Filters(settings=["+ domain knowledge"], show_reference=False))
    assert len(dk) == 4
    clean = populate.filter_rows(ROWS, Filters(trained="exclude"))
    assert not any(populate.TRAINED_FLAG in r.flags for r in clean)
    trained = populate.filter_rows(ROWS, Filters(trained="only", show_reference=False))
    assert {r.model for r in trained} >= {"AnomalyR1", "HyCo-IAD"}
    searched = populate.filter_rows(ROWS, Filters(search="qwen 72b", show_reference=False))
    assert {r.model for r in searched} == {"Qwen2-VL-72B-Instruct", "Qwen2.5-VL-72B-Instruct-AWQ"}
    assert populate.filter_rows(ROWS, Filters(provenances=["verified here"], show_reference=False)) == []


def test_verified_row_shows_strict_average_coverage_and_flags():
    row = _verified(coverage=60.0, exposure="MMAD questions or images")
    frame = populate.table([row, *ROWS], columns=populate.OPTIONAL_COLUMNS)
    mine = frame[frame["Status"] == populate.STATUS_BADGE["verified"]].iloc[0]
    assert (mine["Strict avg"], mine["Coverage"], mine["Overkill"]) == (78.0, 60.0, 12.5)
    assert "subset run" in mine["Flags"] and "trains on MMAD" in mine["Flags"]
    assert mine["Rank"] == "3"


def test_user_text_renders_inert_in_markdown_cells():
    row = _verified(name="<script>alert(1)</script> [x](javascript:alert(1)) **b**", link="javascript:alert(1)")
    cell = populate.table([row])["Model"].iloc[0]
    assert "<script>" not in cell and "](javascript" not in cell and "**" not in cell
    assert populate.safe_url("javascript:alert(1)") is None
    linked = populate.table([_verified(link="https://e.org/a b)")])["Model"].iloc[0]
    assert linked.endswith("(https://e.org/a%20b%29)")


def test_column_selection_and_sort():
    frame = populate.table(ROWS, columns=["Average", "Defect Loc."], sort_by="Defect Loc.")
    assert list(frame.columns) == ["Rank", "Model", "Average", "Defect Loc."]
    assert list(frame["Defect Loc."]) == sorted(frame["Defect Loc."], reverse=True)


def test_plain_export_is_unescaped_and_complete(tmp_path):
    frame = populate.plain_table([_verified(name="A*B"), *ROWS])
    path = tmp_path / "board.csv"
    frame.to_csv(path, index=False)
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 55 and rows[0]["model"] == "Human (expert)"
    assert any(r["model"] == "A*B" for r in rows)


def test_charts_have_bars_reference_lines_and_radar_traces():
    bar = populate.bar_figure(ROWS, [r for r in ROWS if r.status == "reference"])
    labels = bar.data[0].y
    assert len(labels) == 30 and not any("Human" in label for label in labels)
    assert len(bar.layout.shapes) == 3 and list(bar.layout.xaxis.range) == [0, 100]
    chosen = [r.id for r in ROWS[:3]]
    assert len(populate.radar_figure(ROWS, chosen).data) == 3


def test_size_and_setting_categories():
    assert [populate.size_bucket(s) for s in ("7B", "500M", "26B", "72B", None, "big")] == [
        "≤ 10B", "≤ 10B", "10–40B", "> 40B", "unknown", "unknown"]
    assert [populate.setting_category(s) for s in ("0-shot", "1-shot", "1-shot + soft prompt", "4-shot",
                                                   "1-shot + domain knowledge", "n/a")] == [
        "0-shot", "1-shot", "1-shot+", "k-shot", "+ domain knowledge", "n/a"]
