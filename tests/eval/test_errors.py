"""Bad input gets a ScoringError with a clear message (exit 2 from the CLI), never a traceback."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import record
from eval import ScoringError, read_predictions, score


def line(qid, **fields) -> str:
    return json.dumps({"question_id": qid, **fields})


def refused(data: bytes | str, key, match: str, **kwargs) -> str:
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(ScoringError, match=match) as info:
        read_predictions(raw, key, **kwargs)
    return str(info.value)


def test_not_json_names_the_line(mini_key):
    q = mini_key.questions
    refused(line(q[0].qid, answer="B") + '\n{"question_id": "x", "answer"', mini_key, r"^line 2: not valid JSON")


def test_not_an_object(mini_key):
    first = line(mini_key.questions[0].qid, answer="B")
    refused(first + '\n"B"', mini_key, r"line 2: expected a JSON object, got a string")


def test_whole_file_is_one_pretty_printed_object(mini_key):
    message = refused(json.dumps({"a": "B"}, indent=2), mini_key, "line 1")
    assert "not JSON Lines" in message


def test_missing_or_bad_question_id(mini_key):
    refused('{"answer": "B"}', mini_key, r'line 1: missing "question_id"')
    refused('{"question_id": 3, "answer": "B"}', mini_key, r'line 1: "question_id" must be a string')


def test_unknown_ids_are_counted_and_shown(mini_key):
    lines = "\n".join(line(f"DS-MVTec/bottle/image/good/9{i}.png#0", answer="A") for i in range(7))
    message = refused(lines, mini_key, r"^7 prediction\(s\) name questions not in the answer key")
    assert "line 1:" in message and "line 5:" in message and "line 6:" not in message
    assert "'<image key>#<index>'" in message


def test_duplicate_ids(mini_key):
    qid = mini_key.questions[0].qid
    lines = "\n".join([line(qid, answer="B"), line(mini_key.questions[1].qid, answer="C"), line(qid, answer="A")])
    refused(lines, mini_key, r"line 3: duplicate question_id .* \(first on line 1\)")


def test_answer_letter_the_question_does_not_offer(mini_key):
    message = refused(line(mini_key.questions[0].qid, answer="E"), mini_key, "line 1: answer 'E' is not an option")
    assert "it offers A, B" in message


@pytest.mark.parametrize("answer", ["Yes", "b", "A.", "AB"])
def test_answer_must_be_a_capital_letter(mini_key, answer):
    refused(line(mini_key.questions[0].qid, answer=answer), mini_key, "must be one capital letter")


@pytest.mark.parametrize(("fields", "match"), [
    ({}, 'needs "answer"'), ({"answer": 1}, '"answer" must be a letter string'),
    ({"response": ["B"]}, '"response" must be a string')])
def test_wrong_field_types(mini_key, fields, match):
    refused(line(mini_key.questions[0].qid, **fields), mini_key, match)


@pytest.mark.parametrize("data", [b"", b"\n\n  \n"])
def test_empty_file(mini_key, data):
    refused(data, mini_key, "empty")


def test_utf8_bom_is_accepted_with_a_note(mini_key):
    data = b"\xef\xbb\xbf" + line(mini_key.questions[0].qid, answer="B").encode()
    result = score(read_predictions(data, mini_key), mini_key, "strict", resamples=0)
    assert result["counts"]["scored"] == 13 and "byte-order mark" in result["notes"][0]


def test_utf16_and_bad_bytes(mini_key):
    refused(line(mini_key.questions[0].qid, answer="B").encode("utf-16"), mini_key, "UTF-16")
    bad = (line(mini_key.questions[0].qid, answer="B") + "\n").encode() + b'{"question_id": "\xff"}'
    refused(bad, mini_key, r"line 2: not UTF-8")


def test_csv_is_recognised(mini_key):
    refused("question_id,answer\nDS-MVTec/bottle/image/good/000.png#0,B\n", mini_key, "looks like CSV")


def test_parquet_is_recognised(mini_key):
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table({"question_id": [mini_key.questions[0].qid], "answer": ["B"]}), buffer)
    refused(buffer.getvalue(), mini_key, "Parquet")


def test_size_limit(mini_key, tmp_path):
    data = line(mini_key.questions[0].qid, answer="B")
    refused(data, mini_key, "over the limit", max_bytes=10)
    path = tmp_path / "p.jsonl"
    path.write_text(data)
    refused_path = pytest.raises(ScoringError, match="over the limit")
    with refused_path:
        read_predictions(path, mini_key, max_bytes=10)


def test_paths_that_are_not_files(mini_key, tmp_path):
    with pytest.raises(ScoringError, match="cannot read"):
        read_predictions(tmp_path / "absent.jsonl", mini_key)
    with pytest.raises(ScoringError, match="is a folder"):
        read_predictions(tmp_path, mini_key)


def test_upstream_file_errors(mini_key):
    q = mini_key.questions
    refused("[]", mini_key, "no records")
    refused('[{"image": "x"}]', mini_key, "record 1: missing question_type, correct_answer, gpt_answer")
    refused(json.dumps([{"question_id": q[0].qid, "answer": "B"}]), mini_key, "write JSON Lines")
    refused(json.dumps([record(q[0], "B", "B"), 5]), mini_key, "record 2: expected an object")
    foreign = dict(record(q[0], "B", "B"), image="DS-MVTec/bottle/image/good/999.png")
    refused(json.dumps([foreign]), mini_key, r"^1 prediction\(s\) name questions not in the answer key")
    refused(json.dumps([record(q[0], "B", "B"), record(q[1], "C", "C"), record(q[1], "C", "C")]), mini_key,
            "record 3: .* more records than its 2 question")
    refused(json.dumps([record(q[1], "C", "C")]), mini_key, "record 1: question 0 of .* is 'Object Classification'")


def test_answer_key_errors(tmp_path):
    from eval import load_key

    with pytest.raises(ScoringError, match="not found"):
        load_key(tmp_path / "nothing")
    (tmp_path / "mmad.json").write_text("[1]")
    with pytest.raises(ScoringError, match="answer key"):
        load_key(tmp_path)


# -- fuzzing: whatever the bytes, only ScoringError escapes --------------------------------------

def _only_scoring_errors(data: bytes, key) -> None:
    try:
        predictions = read_predictions(data, key)
    except ScoringError as exc:
        assert str(exc)
        return
    score(predictions, key, resamples=0)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(data=st.binary(max_size=400))
def test_fuzz_random_bytes(mini_key, data):
    _only_scoring_errors(data, mini_key)


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6)


@FUZZ
@given(data=st.data())
def test_fuzz_jsonl_with_wrong_types(mini_key, data):
    qids = [q.qid for q in mini_key.questions]
    lines = []
    for _ in range(data.draw(st.integers(1, 8))):
        obj = data.draw(st.dictionaries(st.sampled_from(["question_id", "answer", "response", "extra"]),
                                        _values | st.sampled_from(qids) | st.sampled_from(list("ABCDE")), max_size=4))
        text = json.dumps(obj)
        cut = data.draw(st.integers(0, len(text)))
        lines.append(text[:cut] if data.draw(st.booleans()) and cut < len(text) else text)
    _only_scoring_errors("\n".join(lines).encode(), mini_key)


@FUZZ
@given(data=st.data())
def test_fuzz_upstream_records(mini_key, data):
    images = sorted(mini_key.by_image)
    items = data.draw(st.lists(st.fixed_dictionaries(
        {"image": st.sampled_from(images) | _values,
         "question_type": st.sampled_from(["Anomaly Detection", "Object Structure", "Defect Analysis"]) | _values,
         "correct_answer": st.sampled_from(list("ABCDE")) | _values,
         "gpt_answer": st.sampled_from(list("ABCDE")) | _values}), max_size=8))
    _only_scoring_errors(json.dumps(items).encode(), mini_key)


@FUZZ
@given(text=st.text(max_size=300))
def test_fuzz_text(mini_key, text):
    _only_scoring_errors(text.encode("utf-8", "surrogatepass"), mini_key)


def test_fake_gold_upstream_file_is_refused_and_gold_comes_from_the_key(small_key):
    """A file answering A everywhere and claiming A as gold scored 100 against its own letters."""
    fake = [record(q, "A", "A") for q in small_key.questions]
    message = refused(json.dumps(fake), small_key, r"record\(s\) carry a correct_answer other than the answer key's")
    assert "--trust-file-gold" in message and len(message) < 1000
    honest = [record(q, q.answer, "A") for q in small_key.questions]
    always_a = score(read_predictions(json.dumps(honest).encode(), small_key), small_key, resamples=0)
    trusted = score(read_predictions(json.dumps(fake).encode(), small_key, trust_file_gold=True), small_key,
                    resamples=0)
    assert trusted["official"]["average"] == 100.0 and always_a["official"]["average"] < 60.0


def test_trust_file_gold_is_an_explicit_cli_flag(mini_key, mini_key_path, tmp_path, capsys):
    from mmad.cli import main

    path = tmp_path / "answers.json"
    path.write_text(json.dumps([record(q, "A", "A") for q in mini_key.questions]))
    assert main(["score", str(path), "--key", str(mini_key_path), "--resamples", "0"]) == 2
    assert "correct_answer other than the answer key's" in capsys.readouterr().err
    assert main(["score", str(path), "--key", str(mini_key_path), "--resamples", "0", "--trust-file-gold"]) == 0


def test_long_integer_is_a_clear_error(mini_key, mini_key_path, tmp_path, capsys):
    """Python refuses integers over 4,300 digits with a ValueError; the user gets a line number, exit 2."""
    from mmad.cli import main

    qid = mini_key.questions[0].qid
    refused('{"question_id": "%s", "answer": %s}' % (qid, "9" * 5000), mini_key, r"^line 1: a number has too many")
    refused("[%s]" % ("9" * 5000), mini_key, r"^answers JSON: a number has too many")
    path = tmp_path / "long.jsonl"
    path.write_text('{"question_id": "%s", "answer": %s}\n' % (qid, "9" * 5000))
    assert main(["score", str(path), "--key", str(mini_key_path)]) == 2
    err = capsys.readouterr().err
    assert "too many digits" in err and "Traceback" not in err


def test_dev_zero_is_refused_without_reading(mini_key_path, capsys):
    """--max-mb is a read limit, and only regular files are read: /dev/zero used to fill memory (a FIFO, which
    hung: tests/eval/test_mutation_gaps_predictions.py)."""
    from mmad.cli import main

    assert main(["score", "/dev/zero", "--key", str(mini_key_path), "--max-mb", "1"]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_user_text_in_messages_is_a_short_prefix(mini_key):
    """An unknown id of a megabyte is quoted as 80 characters and an ellipsis, whatever the file holds."""
    huge = "DS-MVTec/" + "x" * 1_000_000
    lines = "\n".join(line(f"{huge}{i}#0", answer="A") for i in range(3))
    message = refused(lines, mini_key, "3 prediction")
    assert len(message) < 1000 and "…" in message
    qtype = dict(record(mini_key.questions[0], "B", "B"), question_type="Q" * 100_000)
    assert len(refused(json.dumps([qtype]), mini_key, "record 1: question 0")) < 1000


def test_option_shuffle_proven_by_the_rendered_question_is_judged_in_the_key_s_letters(mini_key):
    """LLaVA-style scripts shuffle options and store the question as shown: the shuffle is verified, not trusted."""
    first = mini_key.questions[0]  # two options, gold B in the key
    (a, a_text), (b, b_text) = sorted(first.options.items())
    swapped = {"type": "text", "text": f"Question 1: {first.question_type}? \nA. {b_text}\nB. {a_text}\n"}
    shuffled = dict(record(first, "A", "A"), question=swapped)  # "A" as shown is the key's gold B
    result = score(read_predictions(json.dumps([shuffled]).encode(), mini_key), mini_key, "strict", resamples=0)
    assert result["sources"]["DS-MVTec"]["normal_accuracy"] == 50.0  # right: 1 of its 2 normal images
    lying = dict(record(first, "B", "B"), question=swapped)  # claims the key's A text is gold
    refused(json.dumps([lying]), mini_key, "correct_answer other than the answer key's")
    unproven = dict(record(first, "A", "A"), question={"type": "text", "text": "Question 1: is it fine?"})
    refused(json.dumps([unproven]), mini_key, "correct_answer other than the answer key's")
