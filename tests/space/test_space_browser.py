"""A real browser (Debian's chromium via Playwright) against one running app: a page opened after an API
submission shows the row and the count; the default ranking holds only comparable entries, one per run;
the averages chart draws one bar per entry within 0–100; the row detail shows notes and sources; the
model name stays pinned; per-source views and an empty search say what they show. Screenshots of each
state go to the test's tmp dir (docs/screenshots/ is written by scripts/screenshots.py)."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
from gradio_client import Client, handle_file

from space import taxonomy
from space.app import build_demo, launch_options
from space.envs import REPORTED_DIR

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium is not installed")

ENTRIES = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(REPORTED_DIR.glob("*.json"))]
#: What the default ranking must hold, decided from the JSON files (not from the board's code).
DEFAULT_IDS = {e["id"] for e in ENTRIES if e["status"] == "reference" or (
    e["protocol"] == "official" and e["coverage"] == "full" and e["setting"] in ("0-shot", "1-shot")
    and e["training_exposure"] == "none declared")}


@pytest.fixture
def app_url(settings, key_info):
    configured = dataclasses.replace(settings, local_user="browser-user")
    demo = build_demo(configured, key=key_info, enable_login=False)
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True,
                            **launch_options(configured))
    yield url
    demo.close()


def table_ids(page) -> list[str]:
    """Every row's ID (the last column), scrolling the virtualised grid from top to bottom."""
    viewport = page.locator("#board-table .virtual-table-viewport").first
    found: dict[int, str] = {}
    viewport.evaluate("e => e.scrollTop = 0")
    for _ in range(60):
        page.wait_for_timeout(120)
        for cell in page.locator("#board-table [role=row] [role=gridcell]:last-child").all():
            found[int(cell.get_attribute("data-row"))] = cell.inner_text().strip()
        if viewport.evaluate("e => e.scrollTop + e.clientHeight >= e.scrollHeight - 2"):
            break
        viewport.evaluate("e => e.scrollTop += e.clientHeight * 0.8")
    viewport.evaluate("e => e.scrollTop = 0")
    return [found[i] for i in sorted(found)]


def bar_data(page) -> list[tuple[str, float]]:
    """(category, value) of every bar plotly holds for the averages chart."""
    return page.locator("#bar-chart .js-plotly-plot").evaluate(
        "gd => gd.data.filter(t => t.type === 'bar').flatMap(t => t.y.map((y, i) => [y, t.x[i]]))")


def test_browser_board_detail_charts_and_a_fresh_page_after_a_submission(app_url, make_predictions, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app_url)
        table = page.locator("#board-table")
        expect(page.locator("#board-meta").get_by_text("0 verified")).to_be_visible(timeout=30_000)

        # A submission through the API, then a NEW page: the row and the count are there without touching anything.
        Client(app_url, verbose=False, download_files=False).predict(
            handle_file(str(make_predictions(seed=11, accuracy=0.95))), "Browser <b>VL</b>", size="7B",
            training_exposure=taxonomy.NO_EXPOSURE, notes="greedy decoding, 448 px", api_name="/submit")
        page.close()
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app_url)
        table = page.locator("#board-table")
        expect(page.locator("#board-meta").get_by_text("1 verified")).to_be_visible(timeout=30_000)
        expect(table.get_by_text("Browser <b>VL</b>").first).to_be_visible(timeout=30_000)
        assert page.locator("#board-table b", has_text="VL").count() == 0

        ids = table_ids(page)
        assert len(ids) == len(set(ids)), "a run appears twice"
        assert set(ids) - DEFAULT_IDS == {i for i in ids if i.startswith("20")}  # only the new verified row added
        assert DEFAULT_IDS <= set(ids)
        page.screenshot(path=tmp_path / "01_board.png")

        # The model name stays pinned when the table scrolls sideways (the Provenance columns are wide).
        page.get_by_label("Provenance").check()
        expect(table.locator("[role=columnheader]", has_text="Sources")).to_be_visible(timeout=15_000)
        viewport = page.locator("#board-table .virtual-table-viewport").first
        model_cell = table.locator("[role=gridcell][data-col='1']").first
        before = model_cell.bounding_box()["x"]
        third = table.locator("[role=gridcell][data-col='2']").first.bounding_box()["x"]
        viewport.evaluate("e => e.scrollLeft = 300")
        page.wait_for_timeout(300)
        scrolled = viewport.evaluate("e => e.scrollLeft")
        assert scrolled > 100 and abs(model_cell.bounding_box()["x"] - before) < 2
        assert abs(table.locator("[role=gridcell][data-col='2']").first.bounding_box()["x"] - (third - scrolled)) < 2
        viewport.evaluate("e => e.scrollLeft = 0")
        page.get_by_label("Overview").check()

        # The row detail: notes and every source with its locator.
        table.locator("[role=row]").filter(has_text="Qwen2-VL-72B").first.locator("[data-col='2']").click()
        detail = page.locator("#row-detail-text")
        expect(detail.get_by_text("Sources (primary first)")).to_be_visible(timeout=15_000)
        expect(detail.get_by_text("Notes:")).to_be_visible()
        expect(detail.get_by_text("all_result/answers_1_shot_Qwen2-VL-72B", exact=False)).to_be_visible()
        page.screenshot(path=tmp_path / "02_detail.png", full_page=True)
        table.locator("[role=row]").filter(has_text="Browser <b>VL</b>").first.locator("[data-col='2']").click()
        expect(detail.get_by_text("greedy decoding, 448 px")).to_be_visible(timeout=15_000)
        expect(page.locator("#row-heatmap .js-plotly-plot")).to_be_visible(timeout=15_000)

        # The averages chart: one bar per entry, none past 100, the count said.
        page.get_by_role("tab", name="Charts").click()
        expect(page.locator("#bar-chart .js-plotly-plot")).to_be_visible(timeout=30_000)
        bars = bar_data(page)
        ranked = len(DEFAULT_IDS) - sum(e["status"] == "reference" for e in ENTRIES) + 1
        assert len(bars) == min(30, ranked) and len({y for y, _ in bars}) == len(bars)
        assert max(x for _, x in bars) <= 100
        assert page.locator("#bar-chart .bars .point path").count() == len(bars)
        assert page.locator("#bar-chart .errorbar path").count() == len(bars)  # every bar its 95% interval
        title = page.locator("#bar-chart .gtitle").text_content()
        assert (f"top 30 of {ranked}" if ranked > 30 else f"{ranked} entries") in title
        page.screenshot(path=tmp_path / "03_charts.png", full_page=True)

        # A per-source view: reference lines explained, radar on 0–100 axes.
        page.get_by_role("tab", name="Leaderboard").click()
        page.get_by_label("View", exact=True).click()
        page.get_by_role("option", name="VisA").click()
        expect(page.locator("#board-note").get_by_text("not shown", exact=False)).to_be_visible(timeout=15_000)
        page.get_by_role("tab", name="Charts").click()
        expect(page.locator("#bar-chart .gtitle")).to_contain_text("VisA", timeout=15_000)
        assert page.locator("#radar-chart .js-plotly-plot").evaluate(
            "gd => gd._fullLayout.polar.radialaxis.range") == [0, 100]
        page.screenshot(path=tmp_path / "04_visa.png", full_page=True)

        # An empty search says so instead of showing empty grids.
        page.get_by_role("tab", name="Leaderboard").click()
        search = page.get_by_label("Search")
        search.fill("no-such-model-xyz")
        search.press("Enter")
        expect(page.locator("#board-note").get_by_text("No results")).to_be_visible(timeout=15_000)
        expect(table).to_be_hidden()
        page.get_by_role("tab", name="Charts").click()
        expect(page.locator("#bar-chart .annotation-text").first).to_contain_text("No entries match", timeout=15_000)
        page.screenshot(path=tmp_path / "05_empty.png", full_page=True)
        browser.close()


def test_browser_compare_view_opens_from_its_link_pairs_verified_rows_and_explains_unpaired_ones(
        app_url, make_predictions, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    client = Client(app_url, verbose=False, download_files=False)
    for seed, accuracy, name in ((21, 0.95, "Sharp-VL"), (22, 0.5, "Blunt-VL")):
        client.predict(handle_file(str(make_predictions(seed=seed, accuracy=accuracy))), name, size="7B",
                       training_exposure=taxonomy.NO_EXPOSURE, api_name="/submit")
    ids = {row[1].strip("[]"): row[-1] for row in client.predict(search="VL", api_name="/leaderboard")["data"]
           if row[-1].startswith("20")}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width in (1280, 1920):
            page = browser.new_page(viewport={"width": width, "height": 1000})
            page.goto(f"{app_url}?compare={ids['Sharp-VL']},{ids['Blunt-VL']}")
            verdict = page.locator("#compare-verdict")
            expect(verdict).to_contain_text("A (Sharp-VL", timeout=60_000)
            expect(verdict).to_contain_text("is better")
            expect(verdict).to_contain_text("Paired")
            chart = page.locator("#compare-chart .js-plotly-plot")
            expect(chart).to_be_visible(timeout=30_000)
            # the Average and 7 subtasks, each with its interval drawn as an error bar
            assert chart.evaluate("gd => [gd.data[0].y.length, gd.data[0].error_x.array.length]") == [8, 8]
            assert page.locator("#compare-table").get_by_text("A better").count() >= 1
            page.screenshot(path=tmp_path / f"compare-paired-{width}.png", full_page=True)
            page.close()

        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app_url)
        page.get_by_role("tab", name="Compare").click()
        box = page.locator("#compare-b input")
        box.click()
        box.fill("Kimi")
        page.get_by_role("option", name="Kimi-VL-A3B", exact=False).first.click()
        page.locator("#compare-button").click()
        expect(page.locator("#compare-verdict")).to_contain_text("Unpaired", timeout=30_000)
        expect(page.locator("#compare-verdict")).to_contain_text("needs per-question answers")
        page.screenshot(path=tmp_path / "compare-unpaired-1280.png", full_page=True)
        browser.close()
