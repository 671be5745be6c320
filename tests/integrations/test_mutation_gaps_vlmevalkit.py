"""VLMEvalKit export and import behaviour that mutation testing (docs/mutation.md) found unguarded."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eval.predict.prompts import PromptSettings, build_prompt
from mmad.vlmevalkit import export_tsv, import_predictions, read_index, tsv_rows
from mmad_dataset import MMADError, load_rows


@pytest.fixture(scope="module")
def tsv(tiny_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vlm") / "MMAD.tsv"
    export_tsv(tiny_export, out)
    return out


def _index(tsv: Path) -> list[dict[str, str]]:
    with tsv.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _refusal(*args) -> str:
    with pytest.raises(MMADError) as refused:
        import_predictions(*args)
    return str(refused.value)


def test_rows_default_to_base64_images_named_flat_and_the_hint_is_predicts_instruction(tiny_export):
    first = next(tsv_rows(tiny_export))
    row = load_rows(tiny_export)[0]
    prompt = build_prompt(row, [], PromptSettings(), None)
    first_image = next(i for i, part in enumerate(prompt.parts) if part["type"] == "image")
    texts = [part["text"] for part in prompt.parts[:first_image]]
    assert first["hint"] == "".join(texts[:-1]).strip()  # the template announcement is left out
    assert "image" in first and "/" not in first["image_path"]
    template, query = eval(first["image_path"])  # noqa: S307 - the list literal VLMEvalKit evaluates
    assert query == row["image_path"].replace("/", "__") and "__" in template


def test_domain_knowledge_is_in_the_hint_only_when_asked_and_only_then_read(tiny_export, tmp_path):
    with_knowledge = next(tsv_rows(tiny_export, settings=PromptSettings(domain_knowledge=True)))
    without = next(tsv_rows(tiny_export))
    assert len(with_knowledge["hint"]) > len(without["hint"])
    broken = tmp_path / "export"
    shutil.copytree(tiny_export, broken)
    (broken / "domain_knowledge.json").write_text("{not json", encoding="utf-8")
    assert next(tsv_rows(broken))["hint"] == without["hint"]


def test_an_unknown_image_mode_is_named_with_the_choices(tiny_export):
    with pytest.raises(MMADError) as refused:
        next(tsv_rows(tiny_export, images="zip"))
    assert str(refused.value) == "unknown image mode 'zip'; choose from base64, paths"


def test_replies_come_back_verbatim_with_their_letters_even_when_they_look_like_numbers(tsv, tmp_path):
    rows = _index(tsv)
    option_text = rows[2]["B"]
    predictions = tmp_path / "model_MMAD.csv"
    predictions.write_text(f'index,prediction\n0,1.50\n1,NA\n2.0,"{option_text}"\n3,\n4,(C) é\n', encoding="utf-8")
    out = tmp_path / "deep" / "er" / "converted.jsonl"
    assert import_predictions(predictions, tsv, out) == 5
    text = out.read_text(encoding="utf-8")
    assert "é" in text  # written as UTF-8 text, not as \\u escapes
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["response"] for r in records] == ["1.50", "NA", option_text, "", "(C) é"]
    assert [r["question_id"] for r in records] == [rows[i]["question_id"] for i in range(5)]
    assert records[2]["answer"] == "B" and records[4]["answer"] == "C" and records[3]["answer"] == ""


def test_a_repeated_index_is_refused_with_its_row(tsv, tmp_path):
    predictions = tmp_path / "p.tsv"
    predictions.write_text("index\tprediction\n0\tA\n0.0\tB\n", encoding="utf-8")
    assert _refusal(predictions, tsv, tmp_path / "o.jsonl") == f"{predictions}: row 3: index 0 appears twice"


def test_prediction_file_errors_name_the_file_and_what_is_wrong(tsv, tmp_path):
    odd = tmp_path / "p.txt"
    odd.write_text("index,prediction\n", encoding="utf-8")
    assert _refusal(odd, tsv, tmp_path / "o") == (
        f"{odd}: expected one of .xlsx, .tsv, .csv, .json (VLMEvalKit's prediction formats)")
    columns = tmp_path / "p.csv"
    columns.write_text("id,answer\n0,A\n", encoding="utf-8")
    assert _refusal(columns, tsv, tmp_path / "o") == f"{columns}: no index or prediction column; columns are id, answer"
    latin = tmp_path / "latin.csv"
    latin.write_bytes("index,prediction\n0,caf\xe9\n".encode("latin-1"))
    message = _refusal(latin, tsv, tmp_path / "o")
    assert message.startswith(f"{latin}: cannot read it as a VLMEvalKit prediction file (") and "utf-8" in message
    broken = tmp_path / "p.json"
    broken.write_text("[{", encoding="utf-8")
    assert f"({broken}: malformed JSON at line 1, column 3" in _refusal(broken, tsv, tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_json_predictions_may_hold_nan_as_pandas_writes_it(tsv, tmp_path):
    predictions = tmp_path / "p.json"
    predictions.write_text('[{"index": 0, "prediction": "B", "score": NaN}]', encoding="utf-8")
    assert import_predictions(predictions, tsv, tmp_path / "o.jsonl") == 1


@pytest.mark.parametrize("header", ["", "index\tquestion_id\n", "question_id\tA\tB\tC\tD\tE\n"])
def test_a_tsv_not_written_by_the_export_is_refused_clearly(tmp_path, header):
    tsv = tmp_path / "MMAD.tsv"
    tsv.write_text(header + ("0\tq\n" if header else ""), encoding="utf-8")
    predictions = tmp_path / "p.csv"
    predictions.write_text("index,prediction\n0,A\n", encoding="utf-8")
    assert _refusal(predictions, tsv, tmp_path / "o") == (
        f"{tsv}: not a TSV written by `mmad vlmevalkit export` (no index, question_id and A-E columns)")


def test_a_tsv_with_just_the_columns_the_import_reads_is_enough(tmp_path):
    tsv = tmp_path / "MMAD.tsv"
    tsv.write_text("index\tquestion_id\tA\tB\tC\tD\tE\n0\tq#0\tYes\tNo\t\t\t\n", encoding="utf-8")
    predictions = tmp_path / "p.csv"
    predictions.write_text("index,prediction\n0,No\n", encoding="utf-8")
    assert import_predictions(predictions, tsv, tmp_path / "o.jsonl") == 1
    assert json.loads((tmp_path / "o.jsonl").read_text(encoding="utf-8"))["answer"] == "B"


def _in_ascii_locale(code: str, *args: Path) -> None:
    """Run `code` (argv: args) in a fresh interpreter whose locale encoding is ASCII."""
    env = {**os.environ, "LC_ALL": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    subprocess.run([sys.executable, "-c", f"import sys; {code}", *map(str, args)], env=env, check=True, timeout=120)


def test_import_reads_and_writes_utf8_under_an_ascii_locale(tsv, tmp_path):
    """CI containers often run with LANG=C: the files are UTF-8 whatever the locale."""
    rows = _index(tsv)
    tsv_copy = tmp_path / "MMAD.tsv"
    tsv_copy.write_text(tsv.read_text(encoding="utf-8").replace(rows[0]["question"], "Qué défaut ?", 1),
                        encoding="utf-8")
    assert "Qué défaut ?" in tsv_copy.read_text(encoding="utf-8")
    predictions = tmp_path / "p.csv"
    predictions.write_text("index,prediction\n0,(B) café\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    _in_ascii_locale("from mmad.vlmevalkit import import_predictions as i; i(*sys.argv[1:])",
                     predictions, tsv_copy, out)
    assert json.loads(out.read_text(encoding="utf-8"))["response"] == "(B) café"
    import_predictions(predictions, tsv_copy, tmp_path / "here.jsonl")  # this process's locale: UTF-8
    assert (tmp_path / "here.jsonl").read_bytes() == out.read_bytes()


def test_export_counts_its_rows_writes_plain_lines_and_makes_its_folder(tiny_export, tmp_path):
    out = tmp_path / "LMUData" / "deep" / "MMAD.tsv"
    count = export_tsv(tiny_export, out, settings=PromptSettings(setting="0-shot"))
    assert count == len(load_rows(tiny_export)) == len(_index(out))
    assert b"\r" not in out.read_bytes()
    first = _index(out)[0]
    # One picture: a plain base64 string and file name, as VLMEvalKit's own single-image TSVs have them.
    assert not first["image"].startswith("[") and not first["image_path"].startswith("[")
    paths = next(tsv_rows(tiny_export, settings=PromptSettings(setting="0-shot"), images="paths"))
    assert paths["image_path"] == str((tiny_export / load_rows(tiny_export)[0]["image_path"]).resolve())


def test_export_refuses_a_non_tsv_name_and_a_missing_picture(tiny_export, tmp_path):
    with pytest.raises(MMADError) as refused:
        export_tsv(tiny_export, tmp_path / "MMAD.csv")
    assert str(refused.value) == (
        f"{tmp_path / 'MMAD.csv'}: VLMEvalKit reads <NAME>.tsv from its data folder; name the file so")
    broken = tmp_path / "export"
    shutil.copytree(tiny_export, broken)
    row = load_rows(broken)[0]
    (broken / row["image_path"]).unlink()
    with pytest.raises(MMADError) as refused:
        export_tsv(broken, tmp_path / "MMAD.tsv", settings=PromptSettings(setting="0-shot"))
    assert str(refused.value) == f"{broken}: lacks {row['image_path']}, which question {row['question_id']} shows"


@pytest.mark.parametrize("suffix, sep", [(".csv", ","), (".tsv", "\t")])
def test_replies_that_are_all_numbers_stay_as_written(tsv, tmp_path, suffix, sep):
    predictions = tmp_path / f"p{suffix}"
    predictions.write_text(f"index{sep}prediction\n0{sep}1.50\n1{sep}2\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    import_predictions(predictions, tsv, out)
    assert [json.loads(line)["response"] for line in out.read_text(encoding="utf-8").splitlines()] == ["1.50", "2"]


def _edited_export(tiny_export: Path, folder: Path, edit) -> Path:
    """A copy of the export whose `mmad.json` (what `load_rows` reads) went through `edit`, in place."""
    copy = folder / "export"
    shutil.copytree(tiny_export, copy)
    mmad = json.loads((copy / "mmad.json").read_text(encoding="utf-8"))
    edit(mmad)
    (copy / "mmad.json").write_text(json.dumps(mmad), encoding="utf-8")
    return copy


def test_the_tsv_has_each_column_once_in_vlmevalkits_order(tsv, tiny_export, tmp_path):
    with tsv.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle, delimiter="\t"))
    assert header == ["index", "question_id", "image", "image_path", "question", "hint", "A", "B", "C", "D", "E",
                      "answer", "category", "l2-category"]
    paths = tmp_path / "MMAD_paths.tsv"
    export_tsv(tiny_export, paths, images="paths")
    with paths.open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle, delimiter="\t"))[:4] == ["index", "question_id", "image_path", "question"]


def test_a_config_without_questions_is_refused_by_name(tiny_export, tmp_path):
    def drop_visa(mmad: dict) -> None:
        for image in [image for image in mmad if image.startswith("VisA/")]:
            del mmad[image]

    no_visa = _edited_export(tiny_export, tmp_path, drop_visa)
    with pytest.raises(MMADError) as refused:
        export_tsv(no_visa, tmp_path / "MMAD.tsv", config="visa")
    assert str(refused.value) == f"{no_visa}: config 'visa' has no question"


def test_text_with_line_breaks_and_accents_survives_the_round_trip(tiny_export, tmp_path):
    """A question or option holding a carriage return or a newline stays one row, as written, for
    VLMEvalKit (pandas) and for the import; the file is UTF-8 under an ASCII locale too."""
    def edit(mmad: dict) -> None:
        first = next(iter(mmad.values()))["conversation"][0]
        first["Question"] = "Is the part\rdamaged? é"
        first["Options"]["B"] = "No,\r\nit is fine"

    export = _edited_export(tiny_export, tmp_path, edit)
    here, there = tmp_path / "here" / "MMAD.tsv", tmp_path / "there" / "MMAD.tsv"
    export_tsv(export, here)
    _in_ascii_locale("from mmad.vlmevalkit import export_tsv as e; e(*sys.argv[1:])", export, there)
    assert there.read_bytes() == here.read_bytes()
    import pandas as pd

    data = pd.read_csv(here, sep="\t")  # what VLMEvalKit's `load` does with a .tsv
    assert len(data) == len(load_rows(tiny_export))
    assert data["question"][0] == "Is the part\rdamaged? é"
    assert read_index(here)["0"]["B"] == "No,\r\nit is fine"


def test_a_single_column_prediction_file_names_the_missing_column(tsv, tmp_path):
    for suffix, column in ((".csv", "index"), (".tsv", "prediction")):
        predictions = tmp_path / f"p{suffix}"
        predictions.write_text(f"{column}\n0\n", encoding="utf-8")
        missing = "prediction" if column == "index" else "index"
        assert _refusal(predictions, tsv, tmp_path / "o") == (
            f"{predictions}: no {missing} column; columns are {column}")


def test_a_build_prompt_setting_for_conversations_still_asks_one_question_per_row(tiny_export):
    rows = list(tsv_rows(tiny_export, settings=PromptSettings(setting="0-shot", cumulative=True)))
    plain = list(tsv_rows(tiny_export, settings=PromptSettings(setting="0-shot")))
    assert rows == plain


def _workbook(path: Path, rows: list[list]) -> Path:
    import openpyxl
    book = openpyxl.Workbook()
    for row in [["index", "prediction"], *rows]:
        book.active.append(row)
    book.save(path)
    return path


def test_xlsx_replies_come_back_as_the_spreadsheet_shows_them(tsv, tmp_path):
    """Spreadsheet cells may hold numbers (an editor's autocorrect) or text such as NA; both stay as shown."""
    numbers = _workbook(tmp_path / "model_MMAD.XLSX", [[0, 1.5], [1, 2]])
    out = tmp_path / "o.jsonl"
    assert import_predictions(numbers, tsv, out) == 2
    assert [json.loads(line)["response"] for line in out.read_text(encoding="utf-8").splitlines()] == ["1.5", "2"]
    texts = _workbook(tmp_path / "texts.xlsx", [[0, "NA"], [1, None], [2.0, "(C) é"]])
    import_predictions(texts, tsv, out)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["response"] for r in records] == ["NA", "", "(C) é"]
    assert [r["question_id"] for r in records] == [row["question_id"] for row in _index(tsv)[:3]]


def test_xlsx_without_openpyxl_says_what_to_install_or_how_to_avoid_it(tsv, tmp_path, monkeypatch):
    book = _workbook(tmp_path / "model_MMAD.xlsx", [[0, "A"]])
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # as if it were not installed
    assert _refusal(book, tsv, tmp_path / "o") == (
        f"{book}: reading .xlsx needs openpyxl (pip install openpyxl), or run VLMEvalKit with PRED_FORMAT=tsv")
