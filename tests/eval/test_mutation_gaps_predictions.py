"""read_predictions edges that mutation testing (docs/mutation.md) found unguarded: the exact wording
of each refusal (what a user reads), lines the fast path must not accept, answers and replies of the
wrong type beside a valid field, option shuffles that prove nothing, and --trust-file-gold's notes."""

from __future__ import annotations

import json
import os

import pytest

from cases import record
from eval import ScoringError, read_predictions


def _line(qid: str, **fields) -> str:
    return json.dumps({"question_id": qid, **fields})


def _refusal(data: str, key, **kwargs) -> str:
    with pytest.raises(ScoringError) as info:
        read_predictions(data.encode(), key, **kwargs)
    return str(info.value)


def test_a_blank_line_between_predictions_does_not_end_the_file(mini_key):
    q = mini_key.questions
    text = f"{_line(q[0].qid, answer='B')}\n\n  \n{_line(q[1].qid, answer='A')}\n"
    parsed = read_predictions(text.encode(), mini_key)
    assert parsed.strict == {q[0].qid: ("B", "B"), q[1].qid: ("A", "C")}


def test_text_after_the_object_on_a_line_is_refused(mini_key):
    qid = mini_key.questions[0].qid
    assert _refusal(_line(qid, answer="B") + ' "A"', mini_key).startswith("line 1: not valid JSON (Extra data")
    padded = read_predictions(f"  {_line(qid, answer='B')}  \n".encode(), mini_key)  # whitespace is fine
    assert padded.strict == {qid: ("B", "B")}


@pytest.mark.parametrize(("fields", "message"), [
    ({"answer": "B", "response": 5}, '"response" must be a string, got a number'),
    ({"answer": "B", "response": {"text": "B"}}, '"response" must be a string, got an object'),
    ({"answer": ["B"]}, '"answer" must be a letter string or null, got an array'),
    ({"answer": True}, '"answer" must be a letter string or null, got a boolean'),
    ({"answer": 1.5}, '"answer" must be a letter string or null, got a number'),
])
def test_a_field_of_the_wrong_type_is_named_with_its_kind(mini_key, fields, message):
    assert _refusal(_line(mini_key.questions[0].qid, **fields), mini_key) == f"line 1: {message}"


def test_a_line_that_is_not_an_object_is_named_with_its_kind(mini_key):
    first = _line(mini_key.questions[0].qid, answer="B")
    assert _refusal(first + "\nnull", mini_key) == "line 2: expected a JSON object, got null"
    assert _refusal(first + "\n[1]", mini_key) == "line 2: expected a JSON object, got an array"


def test_a_long_wrong_answer_is_quoted_as_40_characters(mini_key):
    message = _refusal(_line(mini_key.questions[0].qid, answer="y" * 100), mini_key)
    assert f"got '{'y' * 40}…'; put the model's raw text in \"response\"" in message


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_answer_means_no_answer_and_the_reply_decides(mini_key, empty):
    q = mini_key.questions[0]  # Yes./No., gold B
    parsed = read_predictions(_line(q.qid, answer=empty, response="B").encode(), mini_key)
    assert parsed.strict == {q.qid: ("B", "B")} and parsed.records[0].given == "B"


def test_a_reply_without_a_letter_takes_the_closest_option_for_the_official_protocol(mini_key):
    q = mini_key.questions[1]  # Scratch./Crack./Stain./Dent., gold C
    parsed = read_predictions(_line(q.qid, response="it shows a stain").encode(), mini_key)
    assert parsed.records[0].given == "C"


def test_one_pretty_printed_object_gets_the_whole_explanation(mini_key):
    assert _refusal(json.dumps({"question_id": "x", "answer": "B"}, indent=2), mini_key) == (
        "line 1: the file is one JSON object spread over several lines, not JSON Lines; "
        'write one {"question_id": ..., "answer": ...} object per line')


def test_unknown_ids_are_listed_with_semicolons_and_the_first_key_id_as_example(mini_key):
    lines = "\n".join(_line(f"VisA/x/{i}.png#0", answer="A") for i in range(2))
    assert _refusal(lines, mini_key) == (
        "2 prediction(s) name questions not in the answer key (13 questions), e.g. line 1: 'VisA/x/0.png#0'; "
        "line 2: 'VisA/x/1.png#0'. Question ids look like '<image key>#<index>', "
        "e.g. 'DS-MVTec/bottle/image/good/000.png#0'")


def test_upstream_refusals_word_by_word(mini_key):
    q = mini_key.questions
    assert _refusal("[]", mini_key) == "the answers JSON holds no records"
    assert _refusal('[{"image": "x"}]', mini_key) == "record 1: missing question_type, correct_answer, gpt_answer"
    assert _refusal(json.dumps([{"question_id": q[0].qid, "answer": "B"}]), mini_key) == (
        "record 1: missing image, question_type, correct_answer, gpt_answer; "
        "for question_id predictions write JSON Lines (one object per line)")
    assert _refusal(json.dumps([record(q[0], "B", "B"), 5]), mini_key) == (
        "record 2: expected an object with image, question_type, correct_answer, gpt_answer, got a number")
    for bad in ({"image": 5}, {"question_type": 5}):
        assert _refusal(json.dumps([dict(record(q[0], "B", "B"), **bad)]), mini_key) == (
            'record 1: "image" and "question_type" must be strings')
    assert _refusal(json.dumps([record(q[1], "C", "C")]), mini_key).endswith(
        "records of an image must follow its conversation order")


def test_every_unknown_upstream_image_is_counted_and_named(mini_key):
    q = mini_key.questions
    records = [dict(record(q[0], "B", "B"), image=f"VisA/x/{i}.png") for i in range(2)] + [record(q[0], "B", "B")]
    message = _refusal(json.dumps(records), mini_key)
    assert message.startswith("2 prediction(s) name questions not in the answer key (13 questions), "
                              "e.g. record 1: 'VisA/x/0.png'; record 2: 'VisA/x/1.png'.")


def _rendered(*lines: str) -> dict:
    return {"type": "text", "text": "Question 1: Is there a defect?\n" + "\n".join(lines)}


def test_a_rendering_that_does_not_show_exactly_the_key_s_options_proves_no_shuffle(mini_key):
    first = mini_key.questions[0]  # A. Yes. / B. No., gold B
    other_texts = dict(record(first, "A", "A"), question=_rendered("A. Maybe.", "B. Yes."))
    assert "correct_answer other than the answer key's" in _refusal(json.dumps([other_texts]), mini_key)
    # Three lines for two options, "C" showing the gold text again: not a shuffle of this question.
    extra_line = dict(record(first, "C", "C"), question=_rendered("A. Yes.", "B. No.", "C. No."))
    assert "correct_answer other than the answer key's" in _refusal(json.dumps([extra_line]), mini_key)


def test_a_shuffle_shown_as_a_plain_string_question_is_judged_in_the_key_s_letters(mini_key):
    first = mini_key.questions[0]
    shuffled = dict(record(first, "A", "A"), question="Is there a defect?\nA. No.\nB. Yes.")
    parsed = read_predictions(json.dumps([shuffled]).encode(), mini_key)
    assert parsed.strict == {first.qid: ("B", "B")} and parsed.records[0] == (first.qid, "B", "B")


def test_trust_file_gold_keeps_the_file_s_letters_and_counts_the_relabelled_records(mini_key):
    q = mini_key.questions
    honest = read_predictions(json.dumps([record(q[0], "B", "B")]).encode(), mini_key, trust_file_gold=True)
    assert honest.notes == ()
    # Shown shuffled (A. No. / B. Yes.), the file's gold "A" is kept as the file wrote it, not mapped.
    shuffled = dict(record(q[0], "A", "A"), question=_rendered("A. No.", "B. Yes."))
    trusted = read_predictions(json.dumps([shuffled, record(q[1], "A", "A")]).encode(), mini_key,
                               trust_file_gold=True)
    assert trusted.records == ((q[0].qid, "A", "A"), (q[1].qid, "A", "A"))
    assert trusted.notes[0].startswith("2 record(s) carry a gold letter other than the key's")


def test_a_shuffled_record_maps_the_letters_it_can_and_keeps_the_rest_raw(mini_key):
    first = mini_key.questions[0]  # shown as A. No. / B. Yes.: shown A is the key's B (gold)
    swapped = _rendered("A. No.", "B. Yes.")

    def parsed(given):
        return read_predictions(json.dumps([dict(record(first, "A", given), question=swapped)]).encode(), mini_key)

    by_text = parsed("No.")  # the reply quotes the shown option's text
    assert by_text.strict == {first.qid: ("B", "B")} and by_text.records[0] == (first.qid, "B", "No.")
    silent = parsed(None)
    assert silent.strict == {first.qid: (None, "B")} and silent.records[0] == (first.qid, "B", None)
    listed = parsed(["A"])
    assert listed.strict == {first.qid: (None, "B")} and listed.records[0] == (first.qid, "B", ["A"])


@pytest.mark.parametrize(("correct", "shown"), [("Z", "'Z'"), (["A"], "['A']")])
def test_a_shuffled_record_whose_gold_maps_to_no_option_is_refused_naming_it(mini_key, correct, shown):
    first = mini_key.questions[0]
    item = dict(record(first, correct, "A"), question=_rendered("A. No.", "B. Yes."))
    assert f"e.g. record 1: {shown}, the key says 'B'." in _refusal(json.dumps([item]), mini_key)


def test_a_disagreeing_gold_is_refused_with_the_whole_explanation(mini_key):
    assert _refusal(json.dumps([record(mini_key.questions[0], "A", "A")]), mini_key) == (
        "1 record(s) carry a correct_answer other than the answer key's, e.g. record 1: 'A', the key says 'B'. "
        "Gold letters come from the answer key only. A shuffle of the options is accepted when each record's "
        "question shows them as 'A. text' lines; otherwise write JSON Lines with the chosen option's letter in "
        "the benchmark's order; `mmad score --trust-file-gold` reproduces upstream's numbers locally, never on "
        "the board")
    q = mini_key.questions
    two = _refusal(json.dumps([record(q[0], "A", "A"), record(q[1], "D", "A")]), mini_key)
    assert "e.g. record 1: 'A', the key says 'B'; record 2: 'D', the key says 'C'. Gold" in two


def test_an_agreeing_record_keeps_the_key_s_gold_and_the_file_s_reply(mini_key):
    first = mini_key.questions[0]
    parsed = read_predictions(json.dumps([record(first, "B", "A")]).encode(), mini_key)
    assert parsed.records == ((first.qid, "B", "A"),) and parsed.strict == {first.qid: ("A", "B")}


def test_trust_file_gold_ignores_a_gold_letter_the_question_does_not_offer(mini_key):
    first = mini_key.questions[0]
    trusted = read_predictions(json.dumps([record(first, "Z", "A")]).encode(), mini_key, trust_file_gold=True)
    assert trusted.strict == {first.qid: ("A", "B")} and trusted.notes == ()
    relabelled = read_predictions(json.dumps([record(first, "A", "A")]).encode(), mini_key, trust_file_gold=True)
    assert relabelled.notes == ("1 record(s) carry a gold letter other than the key's (options shuffled at query "
                                "time); --trust-file-gold judged them against the file's letter",)


def test_the_byte_order_mark_note_and_deep_nesting(mini_key):
    bom = read_predictions(b"\xef\xbb\xbf" + _line(mini_key.questions[0].qid, answer="B").encode(), mini_key)
    assert bom.notes == ("the file starts with a UTF-8 byte-order mark; it was ignored",)
    assert _refusal("[" * 100_000, mini_key) == "answers JSON: JSON nested too deeply"


@pytest.mark.parametrize(("data", "message"), [
    (b"hello world\nfoo\nbar,baz", "line 1 is not JSON ('hello world')"),
    (b"question_id\tanswer\nx", "line 1 looks like CSV/TSV ('question_id\\tanswer')"),
    (b"question_id,answer\nx", "line 1 looks like CSV/TSV ('question_id,answer')"),
    (b"x" * 100, f"line 1 is not JSON ('{'x' * 60}…')"),
])
def test_a_first_line_that_is_not_json_is_quoted_alone_and_short(mini_key, data, message):
    with pytest.raises(ScoringError) as info:
        read_predictions(data, mini_key)
    expected = '; expected JSON Lines with one {"question_id": ..., "answer": ...} object per line'
    assert str(info.value) == message + expected


def test_bad_bytes_are_located_by_line_and_nul_bytes_are_sniffed_in_the_first_4_kib(mini_key):
    def refusal(data: bytes) -> str:
        with pytest.raises(ScoringError) as info:
            read_predictions(data, mini_key)
        return str(info.value)

    assert refusal(b'\n{"a": 1}\n\xff\n{}\n') == "line 3: not UTF-8 text (byte 0xff); save the file as UTF-8"
    assert refusal(b" \n\t\n") == "the prediction file is empty"
    assert refusal(b"{}" + b" " * 4093 + b"\x00") == "this is a binary file (it contains NUL bytes), not JSON Lines"
    assert refusal(b"{}" + b" " * 4094 + b"\x00").startswith("line 1: not valid JSON")


@pytest.mark.parametrize(("magic", "what"), [
    (b"PK\x03\x04", "a ZIP archive (or an .xlsx workbook)"),
    (b"\x1f\x8b", "a gzip-compressed file; decompress it first"),
    (b"ARROW1", "an Arrow IPC file"), (b"\xfe\xff", "UTF-16 text; save it as UTF-8"),
])
def test_binary_formats_are_named(mini_key, magic, what):
    with pytest.raises(ScoringError) as info:
        read_predictions(magic + b"\x00rest", mini_key)
    assert str(info.value) == f"this is {what}, not JSON Lines"


def test_the_size_limit_is_inclusive_and_worded(mini_key, tmp_path):
    data = _line(mini_key.questions[0].qid, answer="B").encode()
    path = tmp_path / "p.jsonl"
    path.write_bytes(data)
    assert read_predictions(data, mini_key, max_bytes=len(data)).strict  # exactly at the limit: read whole
    assert read_predictions(path, mini_key, max_bytes=len(data)).strict
    # 1,050,001 bytes are 1.1 MB at one decimal (1.050001), not 1.0.
    assert _refusal(" " * 1_050_001, mini_key, max_bytes=1_000_000) == (
        "predictions are 1.1 MB, over the limit of 1 MB (raise it with --max-mb / max_bytes)")
    limit = f"the limit of {(len(data) - 1) / 1e6:g} MB (raise it with --max-mb / max_bytes)"
    assert _refusal(data.decode(), mini_key, max_bytes=len(data) - 1) == (
        f"predictions are {len(data) / 1e6:.1f} MB, over {limit}")
    with pytest.raises(ScoringError) as info:
        read_predictions(path, mini_key, max_bytes=len(data) - 1)
    assert str(info.value) == f"{path}: over {limit}"


def test_an_absent_path_says_why(mini_key, tmp_path):
    with pytest.raises(ScoringError) as info:
        read_predictions(tmp_path / "absent.jsonl", mini_key)
    assert str(info.value) == f"{tmp_path / 'absent.jsonl'}: cannot read (No such file or directory)"


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open descriptors in /proc/self/fd")
def test_refusing_a_folder_leaves_no_file_open(mini_key, tmp_path):
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        with pytest.raises(ScoringError, match="is a folder; pass the prediction file itself"):
            read_predictions(tmp_path, mini_key)
    assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="Linux: /proc/self/mem refuses a read at 0")
def test_a_regular_file_the_system_refuses_to_read_is_a_clear_error(mini_key):
    with pytest.raises(ScoringError) as info:
        read_predictions("/proc/self/mem", mini_key)
    assert str(info.value) == "/proc/self/mem: cannot read (Input/output error)"


def test_a_fifo_is_refused_with_the_whole_message_without_waiting_for_a_writer(mini_key, tmp_path):
    """A read that blocks on the FIFO is released after 10 s by opening its other end, and fails the test
    (instead of hanging the suite)."""
    import threading

    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    answered, released = threading.Event(), threading.Event()

    def release_a_blocked_read() -> None:
        if not answered.wait(10):
            released.set()
            with open(fifo, "wb"):
                pass

    threading.Thread(target=release_a_blocked_read, daemon=True).start()
    try:
        with pytest.raises(ScoringError) as info:
            read_predictions(fifo, mini_key)
    finally:
        answered.set()
    assert not released.is_set(), "opening the FIFO waited for a writer"
    assert str(info.value) == (
        f"{fifo}: is not a regular file (a device, FIFO or socket); pass the prediction file itself")


def test_a_huge_file_is_refused_having_read_only_past_the_limit(mini_key, tmp_path):
    """64 MiB (sparse: no disk used) with a 10-byte limit: 11 bytes are read, not the whole file."""
    import tracemalloc

    huge = tmp_path / "huge.jsonl"
    with huge.open("wb") as handle:
        handle.truncate(64 * 2 ** 20)
    tracemalloc.start()
    try:
        with pytest.raises(ScoringError, match="over the limit of 1e-05 MB"):
            read_predictions(huge, mini_key, max_bytes=10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 ** 20
