"""The curated results in `submissions/reported/`: one entry per run, on the board's taxonomy, every number
traceable to a source that carries it (issue 8)."""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from pathlib import Path

import pytest

from mmad_dataset import SOURCES, SUBTASKS
from space import taxonomy
from space.envs import REPORTED_DIR

PATHS = sorted(Path(REPORTED_DIR).glob("*.json"))
ENTRIES = [json.loads(path.read_text(encoding="utf-8")) for path in PATHS]
BY_ID = {entry.get("id"): entry for entry in ENTRIES}

REQUIRED = ("id", "model", "model_version", "size", "type", "link", "status", "setting", "setting_detail",
            "protocol", "protocol_detail", "coverage", "coverage_detail", "training_exposure", "training_detail",
            "quantisation", "quantisation_detail", "measured_by", "basis", "run_note", "notes", "flags", "sources",
            "rescorable", "rescorable_reason", "result")
MODEL_TYPES = ("open", "API", "industrial-specialised")
SOURCE_KINDS = ("paper table", "released results", "model card", "README", "third-party paper", "issue comment")
CONFIDENCES = ("high", "medium", "low")
#: Flag marking an entry whose printed average is not the mean of its printed cells (the entry says which).
UNCONFIRMED_AVERAGE = "unconfirmed: average"


def _ids(entries) -> list[str]:
    return [entry.get("id", "?") for entry in entries]


def _normalised(name: str) -> str:
    """A model name with case, spaces, dots and dashes removed: 'MiniCPM-V2.6' and 'MiniCPM-V-2.6' collide."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _sources_with_an_average(entry):
    return [s for s in entry["sources"] if s.get("average") is not None]


def test_there_are_entries_and_file_names_are_ids():
    assert len(ENTRIES) > 30
    assert [path.stem for path in PATHS] == [entry.get("id") for entry in ENTRIES]


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_entry_has_every_schema_field_and_taxonomy_values(entry):
    assert [key for key in REQUIRED if key not in entry] == []
    assert taxonomy.reported_problems(entry) == []
    assert entry["status"] in ("reported", "reference")
    assert entry["type"] in (MODEL_TYPES if entry["status"] == "reported" else ("reference",))
    assert entry["rescorable"] is False and entry["rescorable_reason"]
    assert isinstance(entry["flags"], list) and all(isinstance(flag, str) and flag for flag in entry["flags"])
    assert entry["size"] is None or re.fullmatch(r"\d+(\.\d+)?B", entry["size"])
    # every departure from the default is explained in its detail field
    if entry["protocol"] != taxonomy.OFFICIAL_PROTOCOL:
        assert entry["protocol_detail"]
    if entry["coverage"] != taxonomy.FULL_COVERAGE:
        assert entry["coverage_detail"]
    if entry["training_exposure"] != taxonomy.NO_EXPOSURE:
        assert entry["training_detail"]
    if entry["setting"] not in taxonomy.STANDARD_SETTINGS:
        assert entry["setting_detail"]
    if entry["quantisation"] == taxonomy.QUANTISED:
        assert entry["quantisation_detail"] and [f for f in entry["flags"] if f.startswith("run quantised")]


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_every_source_names_its_kind_locator_and_confidence(entry):
    assert entry["sources"]
    for source in entry["sources"]:
        assert source["title"] and source["locator"]
        # a link, unless the locator says why there is none
        assert source["link"].startswith("https://") or (source["link"] == "" and "not resolved" in source["locator"])
        assert source["kind"] in SOURCE_KINDS
        assert isinstance(source["measured"], bool)
        assert source["confidence"] in CONFIDENCES
        assert isinstance(source["precision"], int) and 0 <= source["precision"] <= 4
        assert source["average"] is None or isinstance(source["average"], (int, float))


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_average_is_the_mean_of_the_seven_subtasks(entry):
    result = entry["result"]
    subtasks = result["subtasks"]
    assert set(subtasks) <= set(SUBTASKS)
    assert all(0 <= value <= 100 for value in subtasks.values())
    assert result["average"] is not None and 0 <= result["average"] <= 100
    if len(subtasks) < len(SUBTASKS) or any(flag.startswith(UNCONFIRMED_AVERAGE) for flag in entry["flags"]):
        return
    precision = min(source["precision"] for source in entry["sources"])
    # printed cells and average are each rounded: they may disagree by one unit of the last digit
    assert math.isclose(result["average"], sum(subtasks.values()) / len(SUBTASKS), abs_tol=10 ** -precision + 1e-9)


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_average_rounds_to_every_sources_printed_average(entry):
    """A source that prints another number for the same run must say why (`differs`)."""
    for source in _sources_with_an_average(entry):
        if source.get("differs"):
            continue
        assert round(entry["result"]["average"], source["precision"]) == pytest.approx(source["average"], abs=1e-9), \
            source["title"]


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_per_source_breakdown_when_given_is_the_four_mmad_sources(entry):
    sources = entry["result"].get("sources")
    if not sources:
        return
    assert set(sources) == set(SOURCES)
    mean = sum(source["average"] for source in sources.values()) / len(SOURCES)
    assert math.isclose(mean, entry["result"]["average"], abs_tol=1e-3)


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_unconfirmed_entries_have_low_confidence(entry):
    if any(flag.startswith("unconfirmed") for flag in entry["flags"]):
        assert entry["sources"][0]["confidence"] == "low"


def test_no_two_entries_are_the_same_run():
    runs = defaultdict(list)
    for entry in ENTRIES:
        runs[(_normalised(entry["model"]), entry["setting"], f"{entry['result']['average']:.2f}")].append(entry["id"])
    assert {run: ids for run, ids in runs.items() if len(ids) > 1} == {}


def test_distinct_runs_of_one_model_and_setting_say_how_they_differ():
    runs = defaultdict(list)
    for entry in ENTRIES:
        runs[(entry["model"], entry["setting"])].append(entry)
    for entries in runs.values():
        if len(entries) > 1:
            assert all(entry["run_note"] for entry in entries), _ids(entries)


def test_one_spelling_per_model():
    spellings = defaultdict(set)
    for entry in ENTRIES:
        spellings[_normalised(entry["model"])].add(entry["model"])
    assert {key: names for key, names in spellings.items() if len(names) > 1} == {}


def _family(name: str) -> str:
    """The name without its size token: 'InternVL2-8B' and 'InternVL2' are both the family 'internvl2'."""
    return _normalised(re.sub(r"[-\s]\d+(\.\d+)?[bB](?=$|[-\s])", "", name))


def test_size_is_in_the_name_where_the_family_has_several_sizes():
    families = defaultdict(list)
    for entry in ENTRIES:
        if entry["size"]:
            families[_family(entry["model"])].append(entry)
    for entries in families.values():
        if len({entry["size"] for entry in entries}) > 1:
            assert [e["id"] for e in entries if e["size"].lower() not in e["model"].lower()] == []


def test_normalised_names_catch_the_spellings_issue_8_found():
    assert _normalised("MiniCPM-V2.6") == _normalised("MiniCPM-V-2.6")
    assert _normalised("InternVL2") != _normalised("InternVL2-8B")
    assert _family("InternVL2") == _family("InternVL2-8B") == _family("InternVL2 26B") != _family("Qwen2.5-VL-7B")


# --- hand-written expectations from the sources ---------------------------------------------------------

def _only(model: str, setting: str = "1-shot") -> dict:
    found = [entry for entry in ENTRIES if entry["model"] == model and entry["setting"] == setting]
    assert len(found) == 1, _ids(found)
    return found[0]


def test_gpt_4o_has_exactly_two_runs_the_papers_and_the_csvs():
    gpt4o = sorted((entry for entry in ENTRIES if entry["model"] == "GPT-4o"), key=lambda e: e["result"]["average"])
    assert [round(entry["result"]["average"], 2) for entry in gpt4o] == [74.31, 74.92]
    assert [entry["sources"][0]["kind"] for entry in gpt4o] == ["released results", "paper table"]
    assert gpt4o[1]["model_version"] == "gpt-4o-2024-05-13"


def test_anomalygpt_has_two_runs_both_trained_on_mmad_source_images():
    runs = sorted((e for e in ENTRIES if e["model"] == "AnomalyGPT-7B"), key=lambda e: e["result"]["average"])
    assert [round(entry["result"]["average"], 2) for entry in runs] == [36.20, 36.52]
    assert {entry["training_exposure"] for entry in runs} == {"MMAD source images"}


@pytest.mark.parametrize("model, setting, paper_average", [
    ("MiniCPM-V-2.6", "1-shot", 66.25), ("InternVL2-8B", "1-shot", 63.14), ("InternVL2-76B", "1-shot", 70.75),
    ("SPHINX-v2-1k", "0-shot", 59.96), ("Cambrian-1-8B", "0-shot", 51.64), ("LLaVA-1.5-7B", "1-shot", 54.74),
    ("LLaVA-1.5-13B", "1-shot", 58.68), ("LLaVA-NeXT-34B", "1-shot", 67.16), ("Gemini-1.5-Pro", "1-shot", 73.09),
    ("Gemini-1.5-Flash", "1-shot", 68.90), ("GPT-4o-mini", "1-shot", 66.29), ("Qwen-VL-Chat", "1-shot", 51.66),
    ("LLaVA-NeXT-Interleave-7B", "1-shot", 59.32), ("InternLM-XComposer2-VL-7B", "1-shot", 61.73),
    ("LLaVA-OneVision-7B", "1-shot", 63.27),
])
def test_paper_row_and_authors_csv_of_the_same_run_are_one_entry(model, setting, paper_average):
    runs = [entry for entry in ENTRIES if entry["model"] == model and entry["setting"] == setting
            and any(source["locator"] == "Table 2" for source in entry["sources"])]
    assert len(runs) == 1, _ids(runs)
    entry = runs[0]
    kinds = {source["kind"]: source for source in entry["sources"]}
    assert kinds["paper table"]["average"] == paper_average
    assert kinds["released results"]["precision"] == 4
    assert set(entry["result"]["sources"]) == set(SOURCES)  # the CSV's per-source rows are kept
    assert taxonomy.comparable(entry)


def test_default_ranking_excludes_trained_subset_and_other_input_runs():
    comparable = {entry["id"] for entry in ENTRIES if taxonomy.comparable(entry) and entry["status"] == "reported"}
    excluded_models = {"EMIT-8B", "AD-Copilot-7B", "AD-Copilot-Thinking-7B", "HyCo-IAD-3B", "AnomalyR1-3B",
                       "AnomalyGPT-7B", "Claude-3.5-Sonnet"}
    assert not {BY_ID[i]["model"] for i in comparable} & excluded_models
    assert all(BY_ID[i]["setting"] in ("0-shot", "1-shot") for i in comparable)
    assert {"gpt-4o-1-shot-mmad-paper", "gpt-4o-1-shot-mmad-csv", "minicpm-v-2-6-1-shot-mmad-paper"} <= comparable


def test_emit_is_other_inputs_and_other_industrial_data():
    emit = _only("EMIT-8B", "+ other inputs")
    assert emit["training_exposure"] == "other industrial data"
    assert "heat map" in emit["setting_detail"]
    assert taxonomy.why_not_comparable(emit) == ["setting + other inputs", "training exposure: other industrial data"]


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["coverage"] != taxonomy.FULL_COVERAGE],
                         ids=_ids(e for e in ENTRIES if e["coverage"] != taxonomy.FULL_COVERAGE))
def test_a_subset_states_its_question_count_or_null(entry):
    """A subset's size sets its interval's width: the count its detail states, null when none is stated
    ("at most 5,000 questions" is a bound, not a count)."""
    stated = re.search(r"(at most )?([\d,]+) questions", entry["coverage_detail"])
    assert "questions" in entry
    exact = stated and not stated.group(1)
    assert entry["questions"] == (int(stated.group(2).replace(",", "")) if exact else None)


def test_claude_run_is_a_subset_and_says_how_big():
    claude = _only("Claude-3.5-Sonnet")
    assert claude["coverage"] == "subset" and "18%" in claude["coverage_detail"]
    assert not taxonomy.comparable(claude)


def test_human_lines_are_reference_and_say_the_paper_table_was_only_seen_transcribed():
    """The paper version we have has no human table: its rows come from a transcription and READMEs."""
    humans = [entry for entry in ENTRIES if entry["model"].startswith("Human")]
    assert sorted(round(e["result"]["average"], 2) for e in humans) == [78.69, 86.65]
    for entry in humans:
        assert entry["status"] == "reference" and not taxonomy.comparable(entry)
        assert "sample of questions" not in entry["notes"]
        for source in entry["sources"]:
            assert "arxiv.org" not in source["link"]
            if source["kind"] == "paper table":
                assert "transcription" in source["title"] and source["confidence"] != "high"
    expert = next(entry for entry in humans if entry["model"] == "Human (expert)")
    assert "https://github.com/jam-cc/AD-Copilot" in {source["link"] for source in expert["sources"]}


def test_only_omniad_3b_is_exempt_from_the_average_check():
    exempt = [entry["id"] for entry in ENTRIES if len(entry["result"]["subtasks"]) == len(SUBTASKS)
              and any(flag.startswith(UNCONFIRMED_AVERAGE) for flag in entry["flags"])]
    assert exempt == ["omniad-3b-1-shot-anomaly-lr"]
    cells = BY_ID["omniad-3b-1-shot-anomaly-lr"]["result"]["subtasks"].values()
    assert round(sum(cells) / len(SUBTASKS), 2) == 77.81  # the printed average is 77.50


def test_qwen2_5_vl_7b_keeps_each_harness_as_its_own_run():
    runs = {round(e["result"]["average"], 2): e for e in ENTRIES
            if e["model"] == "Qwen2.5-VL-7B" and e["setting"] == "1-shot"}
    assert set(runs) == {72.19, 72.56, 72.4}
    assert runs[72.19]["measured_by"] == "benchmark authors" and runs[72.4]["protocol"] == "other"


# --- issue 18: labels the sources contradict, presumptions shown as such ------------------------------

def _presumed(entry_id: str) -> set[str]:
    return set(taxonomy.presumptions(BY_ID[entry_id]))


@pytest.mark.parametrize("entry_id", ["hyco-iad-3b-1-shot-hyco-iad-readme",
                                      "qwen2-5-vl-3b-sft-hyco-iad-data-1-shot-hyco-iad-readme"])
def test_hyco_iad_runs_trained_on_mmad_questions_and_ran_1_shot_plus(entry_id):
    """Its released training data holds 713 of 1,164 QA pairs on MMAD images; its evaluation script uses
    similar_templates[0]."""
    entry = BY_ID[entry_id]
    assert entry["training_exposure"] == "MMAD questions" and "713 of its 1,164" in entry["training_detail"]
    assert "88bacbf" in entry["training_detail"]
    assert entry["setting"] == "1-shot+" and "similar_templates[0]" in entry["setting_detail"]
    assert "README says one-shot" in entry["setting_detail"]
    assert _presumed(entry_id) == set()


def test_egvlr_rows_are_a_subset_of_at_most_5000_questions():
    rows = [entry for entry in ENTRIES if entry["id"].endswith("-egvlr")]
    assert len(rows) == 3
    for entry in rows:
        assert entry["coverage"] == "subset" and "at most 5,000 questions" in entry["coverage_detail"]
        assert "LIMIT=5000" in entry["coverage_detail"] and "not stated" not in entry["coverage_detail"]
        assert entry["questions"] is None and "a bound, not a count" in entry["coverage_detail"]


@pytest.mark.parametrize("entry_id", ["gemini-2-5-pro-1-shot-judo", "kimi-vl-a3b-1-shot-judo",
                                      "qwen2-5-vl-7b-1-shot-judo"])
def test_judo_measured_rows_presume_protocol_and_coverage(entry_id):
    assert taxonomy.comparable(BY_ID[entry_id]) and _presumed(entry_id) == {"protocol", "coverage"}


def test_hyco_iad_base_run_presumes_its_setting():
    assert _presumed("qwen2-5-vl-3b-1-shot-hyco-iad-readme") == {"setting"}
    assert "1-shot or 1-shot+" in BY_ID["qwen2-5-vl-3b-1-shot-hyco-iad-readme"]["setting_detail"]


def test_the_eight_transcribed_0_shot_rows_presume_protocol_and_coverage():
    transcribed = [e["id"] for e in ENTRIES if e["setting"] == "0-shot"
                   and any("table3_shot_setting" in s["link"] for s in e["sources"])]
    assert len(transcribed) == 8
    assert all({"protocol", "coverage"} <= _presumed(entry_id) for entry_id in transcribed)
    assert all(BY_ID[entry_id]["sources"][0]["confidence"] == "low" for entry_id in transcribed)


@pytest.mark.parametrize("entry_id", ["llava-next-34b-0-shot-mmad-paper", "llava-next-34b-1-shot-mmad-paper"])
def test_llava_next_34b_runs_are_presumed_4_bit(entry_id):
    entry = BY_ID[entry_id]
    assert entry["quantisation"] == "quantised" and "4bit" in entry["quantisation_detail"]
    assert "quantisation" in _presumed(entry_id)
    assert "--dtype 4bit" in taxonomy.presumptions(entry)["quantisation"]


def test_no_presumption_hides_in_a_flag_any_more():
    """A presumption is data (`basis`), marked by the board; no flag repeats it as free text."""
    assert [e["id"] for e in ENTRIES if any("presumed official" in flag for flag in e["flags"])] == []


def test_the_default_ranking_keeps_presumed_rows():
    ranked = [e for e in ENTRIES if e["status"] == "reported" and taxonomy.comparable(e)]
    presumed = [e["id"] for e in ranked if not taxonomy.stated_only(e)]
    assert len(presumed) == 13 and "gemini-2-5-pro-1-shot-judo" in presumed


def test_newer_leads_carry_their_flags_and_aggregator_only_leads_stay_off():
    """Issue 18's leads: Triad (subset, exposure, approximate), the laya-vision decision model (one subtask),
    AgentIAD v2 (already on the board: split of MMAD, exposure); MAU-GPT is only on an aggregator page."""
    triad = BY_ID["triad-0-shot-triad-issue-2"]
    assert (triad["coverage"], triad["training_exposure"]) == ("subset", "MMAD source images")
    assert "juice_bottle" in triad["coverage_detail"] and triad["sources"][0]["confidence"] == "low"
    assert set(taxonomy.presumptions(triad)) == {"protocol"}
    laya = BY_ID["laya-vision-smolvlm-decision-model-1-shot-laya-vision"]
    assert laya["result"]["subtasks"] == {"anomaly_discrimination": 51.29}
    assert laya["flags"][0].startswith("single subtask") and laya["coverage"] == "subset"
    agentiad = _only("AgentIAD-3B", "+ other inputs")
    assert (agentiad["coverage"], agentiad["training_exposure"]) == ("subset", "MMAD questions")
    assert not [e for e in ENTRIES if "MAU-GPT" in e["model"] or "wizwand" in json.dumps(e["sources"])]
    assert not any(taxonomy.comparable(e) for e in (triad, laya, agentiad))


# --- the About tab describes these fields as the code computes them --------------------------------------

def test_about_text_states_the_coverage_the_scorer_computes(small_root):
    """Coverage = questions read as an offered letter / all questions: a blank is unanswered, and so is
    the record the official protocol skips after it."""
    from eval import load_key, score
    from space import about

    key = load_key(small_root)
    lines = [{"question_id": q.qid, "answer": q.answer} for q in key.questions[:-1]]  # the last one unanswered
    lines[0]["answer"] = ""  # an empty answer: invalid, and upstream skips the record after it
    data = "\n".join(json.dumps(line) for line in lines).encode()
    both = score(data, key, resamples=0)
    assert both["official"]["coverage"] == pytest.approx((len(key) - 3) / len(key) * 100)
    assert both["strict"]["coverage"] == pytest.approx((len(key) - 2) / len(key) * 100)
    assert both["official"]["counts"]["invalid"] == 1
    assert "Blank, null and unreadable replies are unanswered" in about.ABOUT
    assert f"at least {taxonomy.FULL_COVERAGE_MIN_SHARE:.1%} of the questions" in about.ABOUT
    assert "sample of questions" not in about.ABOUT.split("## Where the reported numbers come from")[1]


def test_provenance_page_lists_every_entry():
    """docs/results.md is the human-readable provenance table: it must not fall behind the files."""
    text = (Path(REPORTED_DIR).parent.parent / "docs" / "results.md").read_text(encoding="utf-8")
    assert [entry["id"] for entry in ENTRIES if f"`{entry['id']}`" not in text] == []


def test_the_board_refuses_to_start_on_an_entry_without_its_basis(tmp_path):
    from space.populate import load_reported

    entry = {key: value for key, value in BY_ID["gemini-2-5-pro-1-shot-judo"].items() if key != "basis"}
    (tmp_path / "x.json").write_text(json.dumps(entry), encoding="utf-8")
    with pytest.raises(ValueError, match=r"x\.json: basis: expected an object"):
        load_reported(tmp_path)
    presumed_silently = {**entry, "basis": {**BY_ID["gemini-2-5-pro-1-shot-judo"]["basis"],
                                            "protocol": {"basis": "presumed"}}}
    (tmp_path / "x.json").write_text(json.dumps(presumed_silently), encoding="utf-8")
    with pytest.raises(ValueError, match="protocol is presumed without a reason"):
        load_reported(tmp_path)


def test_provenance_table_is_the_one_the_files_make():
    """Every label on docs/results.md (setting, verdict, presumptions, flags, confidence) is the files' own:
    `python3 scripts/results_table.py --write` remakes it after an entry changes."""
    import importlib.util

    path = Path(REPORTED_DIR).parent.parent / "scripts" / "results_table.py"
    spec = importlib.util.spec_from_file_location("results_table", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.PAGE.read_text(encoding="utf-8")
    first, last = module.page_table(text)
    assert text.split("\n")[first:last + 1] == module.table()
