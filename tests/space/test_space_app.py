"""The app end to end over HTTP on 127.0.0.1 with gradio_client: board, submit, admin re-score."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import os
import json
import tempfile
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from space import ranking, render, taxonomy
from space.app import build_demo
from space.envs import REPORTED_DIR
from space.ranking import counts
from space.storage import LocalStore



NONE = taxonomy.NO_EXPOSURE


def _column(table: dict, name: str) -> list:
    column = table["headers"].index(name)
    return [row[column] for row in table["data"]]


def _board(client, **controls) -> dict:
    return client.predict(**controls, api_name="/leaderboard")


def _bundled() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(REPORTED_DIR.glob("*.json"))]


def test_board_without_key_serves_comparable_entries_by_default(serve, make_predictions):
    client = serve(None)
    bundled = _bundled()
    table = _board(client)
    expected = {e["id"] for e in bundled if e["status"] == "reference" or taxonomy.comparable(e)}
    assert set(_column(table, "ID")) == expected and table["headers"][:2] == ["Rank", "Model"]
    everything = _board(client, show=ranking.ALL_ENTRIES)
    assert sorted(_column(everything, "ID")) == sorted(e["id"] for e in bundled)
    stated = _board(client, show=ranking.STATED_ONLY)
    assert set(_column(stated, "ID")) == {i for i in expected if taxonomy.stated_only(next(
        e for e in bundled if e["id"] == i))} and "gemini-2-5-pro-1-shot-judo" not in _column(stated, "ID")
    assert "presumption (†) are hidden too" in stated["note"]
    provenance = _board(client, show=ranking.ALL_ENTRIES, columns=list(render.PRESETS["Provenance"]))
    flags = dict(zip(_column(provenance, "ID"), _column(provenance, "Flags")))
    assert flags["gemini-2-5-pro-1-shot-judo"].startswith("† presumed: protocol, coverage")
    big = _board(client, sizes=["> 40B"], show_reference=False, view="VisA")
    assert {row for row in _column(big, "Size")} == {"72B", "76B"}
    with pytest.raises(AppError, match="no answer key"):
        client.predict(handle_file(str(make_predictions())), "x", api_name="/submit")


def test_empty_search_says_no_results(serve):
    client = serve(None)
    table = client.predict(search="no-such-model-xyz", api_name="/leaderboard")
    assert table["data"] == [] and table["note"].startswith("**No results** for “no-such-model-xyz”")
    long = client.predict(search="x" * 5000, api_name="/leaderboard")["note"]
    assert "x" * 60 + "…" in long and len(long) < 400


def test_upload_is_scored_and_a_new_page_shows_the_row_and_the_count(serve, key_info, make_predictions, settings):
    client = serve(key_info)
    before, _ = client.predict(api_name="/header")
    assert "0 verified" in before
    message, status, _ = client.predict(handle_file(str(make_predictions(accuracy=1.0))), "Perfect-VL",
                                        link="https://example.org", size="7B", training_exposure=NONE,
                                        api_name="/submit")
    assert "official average **100.00**" in message
    assert status["data"][0][1:5] == ["tester", "Perfect-VL", "1-shot", "scored"]
    fresh = Client(client.src, verbose=False, download_files=False)  # what a newly opened page loads
    meta, status = fresh.predict(api_name="/header")
    assert "1 verified" in meta and status["data"][0][2] == "Perfect-VL"
    assert str(settings.store_dir) not in meta and "local folder" in meta
    table = _board(fresh, search="perfect")
    assert _column(table, "Model") == ["[Perfect-VL](https://example.org)"]
    assert _column(table, "Rank") == ["1"] and _column(table, "Average") == [100.0]
    assert table["display"][0][table["headers"].index("Average")] == "100.00"
    assert (settings.store_dir / "verified").is_dir()


def test_invalid_file_shows_the_scorer_message(serve, key_info, tmp_path):
    client = serve(key_info)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{ not json\n")
    with pytest.raises(AppError, match="line 1"):
        client.predict(handle_file(str(bad)), "Broken", api_name="/submit")


def test_oversize_upload_is_refused(serve, key_info, make_predictions):
    client = serve(key_info, max_upload_mb=0.001)
    # The client refuses before sending, from the limit the Space sets on its upload component.
    with pytest.raises(ValueError, match="exceeds the maximum file size of 1048 bytes"):
        client.predict(handle_file(str(make_predictions())), "Big", api_name="/submit")


def test_only_admins_can_rescore(serve, key_info, make_predictions, settings):
    client = serve(key_info)
    client.predict(handle_file(str(make_predictions(seed=3))), "Any-VL", api_name="/submit")
    with pytest.raises(AppError, match="not an admin"):
        client.predict("", api_name="/rescore")
    admin = serve(key_info, admin_token="operator-secret")
    with pytest.raises(AppError, match="not an admin"):
        admin.predict("guess", api_name="/rescore")
    summary, _ = admin.predict("operator-secret", api_name="/rescore")
    assert "Re-scored 1 submission(s); 0 failed" in summary
    [stored] = LocalStore(settings.store_dir).list()
    assert len(stored.history) == 1


def test_login_required_refuses_anonymous_submissions(serve, key_info, make_predictions):
    client = serve(key_info, on_space=True)
    with pytest.raises(httpx.HTTPStatusError, match="401"):  # the upload itself is refused (space/uploads.py)
        client.predict(handle_file(str(make_predictions())), "Anon", api_name="/submit")


def test_downloads_share_one_folder_and_neutralise_formulas(serve, key_info, make_predictions, tmp_path,
                                                            monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    client = serve(key_info)
    client.predict(handle_file(str(make_predictions(seed=5))), '=HYPERLINK("http://evil","x")',
                   training_exposure=NONE, api_name="/submit")
    first = client.predict(api_name="/export_json")
    again = client.predict(api_name="/export_json")
    records = json.loads(Path(first["path"]).read_text(encoding="utf-8"),
                         parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    assert any(r["strict_average"] is None for r in records)  # reported rows: null, never NaN
    expected = {e["id"] for e in _bundled() if e["status"] == "reference" or taxonomy.comparable(e)}
    assert len(records) == len(expected) + 1 and {"model", "average", "measured_by", "sources"} <= set(records[0])
    assert first["orig_name"] == again["orig_name"]
    snapshot = _board(client)["snapshot"]
    assert len(snapshot) == 10 and {r["snapshot"] for r in records} == {snapshot}
    assert f"Snapshot **`{snapshot}`**" in client.predict(api_name="/header")[0]
    exported = client.predict(show=ranking.ALL_ENTRIES, api_name="/export_csv")
    rows = list(csv.DictReader(open(exported["path"], encoding="utf-8")))
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in {r["model"] for r in rows}
    assert {r["snapshot"] for r in rows} == {snapshot}
    client.predict(handle_file(str(make_predictions(seed=6))), "Another-VL", api_name="/submit")
    assert _board(client)["snapshot"] != snapshot  # a new result is a new snapshot
    assert len(rows) == len(_bundled()) + 1
    [folder] = [p for p in (tmp_path / "tmp").iterdir() if p.name.startswith("mmad-board-export")]
    assert len(list(folder.iterdir())) == 2  # one JSON (twice), one CSV


def test_a_file_planted_where_exports_used_to_go_is_never_served(serve, tmp_path, monkeypatch):
    """Exports went to a fixed <tmp>/mmad-board-exports/mmad_leaderboard-<sha of the content>.csv, and an
    existing file of that name was served as is: another local user could plant the download."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    client = serve(None)
    real = Path(client.predict(api_name="/export_csv")["path"]).read_bytes()
    shared = tmp_path / "tmp" / "mmad-board-exports"
    shared.mkdir(exist_ok=True)
    planted = shared / f"mmad_leaderboard-{hashlib.sha256(real).hexdigest()[:12]}.csv"
    planted.write_bytes(b"model,average\nPlanted,99.9\n")
    served = Path(client.predict(api_name="/export_csv")["path"]).read_bytes()
    assert served == real and b"Planted" not in served


def test_demo_results_are_labelled_synthetic_and_never_ranked(serve, key_info, make_predictions):
    client = serve(dataclasses.replace(key_info, demo=True), demo=True)
    client.predict(handle_file(str(make_predictions(seed=7, accuracy=1.0))), "Demo-VL", training_exposure=NONE,
                   api_name="/submit")
    meta, _ = client.predict(api_name="/header")
    assert "0 verified, 1 synthetic (demo, never ranked)" in meta
    table = _board(client)
    ranks = dict(zip(_column(table, "Model"), _column(table, "Rank")))
    assert ranks["Demo-VL"] == "demo" and "1" in ranks.values()
    assert _column(table, "Model").index("Demo-VL") > _column(table, "Rank").index("1")


def test_hub_store_through_the_app_and_a_failing_commit_is_explained(serve, key_info, make_predictions, fake_hub,
                                                                     settings):
    from space.app import make_store

    hub_settings = dataclasses.replace(settings, submissions_repo="board/subs", hub_endpoint=fake_hub.url,
                                       hf_token="t")
    store = make_store(hub_settings)
    demo = build_demo(hub_settings, store=store, key=key_info, enable_login=False)
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    try:
        client = Client(url, verbose=False, download_files=False)
        fake_hub.fail_commits(500)
        with pytest.raises(AppError, match="could not commit on the Hub.*500"):
            client.predict(handle_file(str(make_predictions(seed=1))), "Hub-VL", api_name="/submit")
        assert not any(p.startswith("verified/") for p in fake_hub.files("board/subs"))
        message, status, _ = client.predict(handle_file(str(make_predictions(seed=1))), "Hub-VL", api_name="/submit")
        assert "Scored and stored" in message
        assert [row[4] for row in status["data"]] == ["scored", "failed"]
        stored = [p for p in fake_hub.files("board/subs") if p.startswith("verified/")]
        assert len(stored) == 3 and any(p.endswith("/result.json") for p in stored)
    finally:
        demo.close()


def test_login_is_required_on_a_space():
    from space.envs import load_settings

    assert load_settings({"SPACE_ID": "org/board", "SYSTEM": "spaces"}).login_required
    assert not load_settings({}).login_required
    assert load_settings({"MMAD_REQUIRE_LOGIN": "1"}).login_required


def test_demo_mode_has_a_synthetic_key_a_sample_file_and_a_throwaway_store():
    from space.app import make_store
    from space.envs import DEFAULT_STORE, load_settings
    from space.scoring import resolve_key, score_bytes

    demo_settings = load_settings({"MMAD_DEMO": "1"})
    info = resolve_key(demo_settings)
    assert info.sample_predictions.is_file() and "synthetic" in info.description
    result = score_bytes(info.sample_predictions.read_bytes(), info, max_bytes=10**8)
    assert result["official"]["coverage"] == 100  # its exact numbers: tests/eval/test_demo_sample.py
    assert make_store(demo_settings).root != DEFAULT_STORE


def test_only_results_scored_against_this_boards_full_key_rank(tmp_path, key_info, make_predictions):
    """A synthetic or partial key, another key's result, no key, or hedged replies: shown, never ranked."""
    from space.populate import Board
    from space.scoring import score_bytes
    from space.storage import Files, LocalStore, new_submission_id

    store = LocalStore(tmp_path / "store")
    for seed, name in ((1, "Honest-VL"), (2, "Elsewhere-VL")):
        result = score_bytes(make_predictions(seed=seed).read_bytes(), key_info, max_bytes=10**8)
        if name == "Elsewhere-VL":
            result["official"]["answer_key_sha256"] = "0" * 64
        sid = new_submission_id()
        store.save(Files.for_submission(sid, b"{}\n", "predictions.jsonl",
                                        {"model_name": name, "setting": "1-shot", "training_exposure": NONE,
                                         "predictions_file": "predictions.jsonl"}, result))

    def reasons(key) -> dict[str, list[str]]:
        return {r.model: r.not_ranked_because() for r in Board(store, key=key).verified}

    assert reasons(key_info) == {"Honest-VL": [], "Elsewhere-VL": [
        "scored against another answer key (sha256 000000000000…), not this board's"]}
    small = dataclasses.replace(key_info, full_size=39672)
    assert set(map(tuple, reasons(small).values())) == {(
        f"scored against a key of {len(key_info.key):,} questions (synthetic test key), not the benchmark's 39,672",)}
    assert set(map(tuple, reasons(None).values())) == {("no answer key is configured here to check its score",)}

    def badges(key) -> dict[str, str]:
        board = Board(store, key=key)
        return {r.model: render.status_badge(r) for r in board.verified} | {"verified": counts(board.rows)["verified"]}

    assert badges(key_info) == {"Honest-VL": "✓ verified", "Elsewhere-VL": "scored on another key", "verified": 1}
    assert badges(small) == {"Honest-VL": f"scored on a {len(key_info.key):,}-question key",
                             "Elsewhere-VL": "scored on another key", "verified": 0}
    assert badges(None) == {"Honest-VL": "unchecked: no answer key here", "Elsewhere-VL": "unchecked: no answer key here",
                            "verified": 0}


def test_hedged_replies_far_above_strict_do_not_rank():
    from space.populate import row_from_submission

    def row(official: float, strict: float, coverage: float = 100.0):
        result = {"official": {"average": official, "coverage": coverage, "answer_key_sha256": "k"},
                  "strict": {"average": strict, "coverage": coverage}}
        return row_from_submission("20260101T000000Z-0123456789", {"model_name": "M", "setting": "1-shot",
                                                                    "training_exposure": NONE}, result)

    assert row(80.0, 75.0).ranked
    hedged = row(100.0, 0.0)
    assert not hedged.ranked and hedged.not_ranked_because()[0].startswith("official average 100.00 points above")
    few = row(100.0, 0.0, coverage=5.0)  # a 40-question run: coverage is the real reason, hedging comes after
    assert few.not_ranked_because()[0].startswith("subset: ") and "points above strict" in few.not_ranked_because()[1]


def test_submit_without_a_file_asks_for_one_and_is_not_a_failed_attempt(serve, key_info):
    client = serve(key_info)
    with pytest.raises(AppError, match=r"Choose a prediction file \(\.jsonl or \.json\) first\."):
        client.predict(None, "No-File-VL", api_name="/submit")
    status, _ = client.predict(api_name="/refresh")
    assert all(row[2] != "No-File-VL" for row in status["data"])


def test_sigterm_stops_the_demo_app_and_removes_its_temporary_folders(tmp_path):
    """A service manager stops the app with SIGTERM; the demo key and store folders must not stay behind."""
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "TMPDIR": str(tmp_path), "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    app = subprocess.Popen([sys.executable, "space/app.py", "--demo"], cwd=Path(__file__).resolve().parents[2],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(240):  # up to about a minute on a busy machine
            if app.poll() is not None:
                pytest.fail(f"the app exited at start: {app.stderr.read().decode()[-500:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("the app did not answer within a minute")
        assert len(list(tmp_path.glob("mmad-demo-*"))) == 2  # the demo key's folder and its store
        app.send_signal(signal.SIGTERM)
        app.wait(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
    assert list(tmp_path.glob("mmad-demo-*")) == []


def test_leaderboard_api_answers_in_pages_that_walk_every_row_once(serve, monkeypatch):
    """An answer is bounded (at most `MAX_PAGE_ROWS` rows, so a 10,000-row board answers as fast as a small
    one); `total` says how many rows match, and `offset`/`limit` walk them in the table's order."""
    from space.ui import callbacks

    monkeypatch.setattr(callbacks, "MAX_PAGE_ROWS", 40)
    client = serve(None)
    everything = _bundled()
    first = _board(client, show=ranking.ALL_ENTRIES)
    assert (len(first["data"]), first["total"], first["offset"], first["limit"]) == (40, len(everything), 0, 40)
    assert len(first["display"]) == 40
    walked = [*_column(first, "ID")]
    for offset in range(40, len(everything), 30):
        page = _board(client, show=ranking.ALL_ENTRIES, offset=offset, limit=30)
        assert (page["offset"], page["total"], page["headers"]) == (offset, len(everything), first["headers"])
        walked += _column(page, "ID")
    assert sorted(walked) == sorted(e["id"] for e in everything) and len(set(walked)) == len(walked)
    assert _board(client, show=ranking.ALL_ENTRIES, limit=10**9)["limit"] == 40  # never more than the cap
    past_the_end = _board(client, show=ranking.ALL_ENTRIES, offset=10**6)
    assert past_the_end["data"] == [] and past_the_end["total"] == len(everything)
    for bad in ({"offset": -1}, {"limit": 0}, {"offset": "x" * 5000}, {"limit": 2.5}, {"offset": True}):
        with pytest.raises(AppError) as refused:
            _board(client, **bad)
        assert ("offset" in str(refused.value) or "limit" in str(refused.value)) and len(str(refused.value)) < 300
