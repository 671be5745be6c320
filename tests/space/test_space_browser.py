"""A real browser (Debian's chromium via Playwright) loads the board, filters it, submits a file and
sees the new row. Screenshots are saved under the test's tmp dir."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from space.app import build_demo, launch_options

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium is not installed")


@pytest.fixture
def app_url(settings, key_info):
    configured = dataclasses.replace(settings, local_user="browser-user")
    demo = build_demo(configured, key=key_info, enable_login=False)
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True,
                            **launch_options(configured))
    yield url
    demo.close()


def test_browser_filters_submits_and_sees_the_new_row(app_url, make_predictions, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1300})
        page.goto(app_url)
        table = page.locator("#board-table")

        def cell(text: str):
            return table.get_by_text(text).filter(visible=True)
        expect(cell("AD-Copilot-Thinking").first).to_be_visible(timeout=30_000)
        expect(cell("Human (expert)").first).to_be_visible()
        page.screenshot(path=tmp_path / "01_board.png", full_page=True)

        search = page.get_by_label("Search")
        search.fill("qwen2-vl")
        search.press("Enter")
        expect(cell("AD-Copilot-Thinking")).to_have_count(0, timeout=15_000)
        expect(cell("Qwen2-VL-72B-Instruct").first).to_be_visible()
        page.screenshot(path=tmp_path / "02_filtered.png", full_page=True)

        page.get_by_role("tab", name="Charts").click()
        expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=30_000)
        page.screenshot(path=tmp_path / "03_charts.png", full_page=True)

        page.get_by_role("tab", name="Submit").click()
        page.get_by_label("Model name").fill("Browser <b>VL</b>")
        page.get_by_label("Size (parameters)").fill("7B")
        upload = make_predictions(seed=11, accuracy=0.9)
        for attempt in range(3):  # the hidden input can be swapped while the tab first renders
            page.locator("input[type=file][accept*='.jsonl']").set_input_files(str(upload))
            try:
                expect(page.get_by_text(upload.name).first).to_be_visible(timeout=8_000)
                break
            except AssertionError:
                if attempt == 2:
                    raise
        page.get_by_role("button", name="Submit and score").click()
        expect(page.get_by_text("Scored and stored as")).to_be_visible(timeout=60_000)
        page.screenshot(path=tmp_path / "04_submitted.png", full_page=True)

        page.get_by_role("tab", name="Leaderboard").click()
        search.fill("browser")
        search.press("Enter")
        expect(cell("Browser <b>VL</b>").first).to_be_visible(timeout=15_000)
        expect(cell("✓ verified").first).to_be_visible()
        assert page.locator("#board-table b", has_text="VL").count() == 0
        page.screenshot(path=tmp_path / "05_new_row.png", full_page=True)
        browser.close()
