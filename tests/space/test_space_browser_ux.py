"""The board as a new user meets it, in Chromium at 1,280 and 1,920 px, against one app for the module: the
default table fits with no horizontal scroll, the sorted column and the rank's basis are marked, the search
filters as one types, the Charts tab says which selection it draws, a `?row=` link opens its row, a bad
upload's error stays inline next to the button (one message, the Submissions list intact) and a good one
links to its highlighted row."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from mmad_dataset import SUBTASKS
from space import taxonomy
from space.app import build_demo, launch_options
from space.envs import REPORTED_DIR, load_settings
from space.ranking import ALL_ENTRIES, SHORT_TITLES

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium is not installed")

ENTRIES = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(REPORTED_DIR.glob("*.json"))]
#: An entry outside the default ranking (a subset run), decided from the JSON files.
SUBSET = next(e for e in ENTRIES if e["coverage"] == "subset")
MUST_SHOW_1280 = ["Rank", "Model", "Average", *(SHORT_TITLES[s] for s in SUBTASKS)]
MUST_SHOW_1920 = [*MUST_SHOW_1280, "Size", "Setting"]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, key_info):
    folder = tmp_path_factory.mktemp("ux")
    settings = dataclasses.replace(load_settings({}), store_dir=folder / "store", local_user="browser-user")
    demo = build_demo(settings, key=key_info, enable_login=False)
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True,
                            **launch_options(settings))
    yield url
    demo.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def open_board(browser, url: str, width: int):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.goto(url)
    expect(page.locator("#board-table [role=gridcell]").first).to_be_visible(timeout=30_000)
    return page


def heads(page) -> dict[str, dict]:
    """Every column heading's text → its box."""
    found = {}
    for head in page.locator("#board-table [role=columnheader]").all():
        found[" ".join(head.inner_text().split())] = head.bounding_box()
    return found


def fits(page, names: list[str]) -> list[str]:
    """The headings among `names` that are missing or end right of the table's visible area."""
    viewport = page.locator("#board-table .virtual-table-viewport").first.bounding_box()
    right = viewport["x"] + viewport["width"]
    shown = heads(page)

    def box(name):
        return next((b for text, b in shown.items() if text == name or text.startswith(name + " ")), None)
    return [n for n in names if box(n) is None or box(n)["x"] + box(n)["width"] > right + 1]


def test_the_table_fits_sorting_is_marked_search_is_live_and_a_row_link_opens_its_row(browser, app_url):
    from playwright.sync_api import expect

    page = open_board(browser, app_url, 1920)
    viewport = page.locator("#board-table .virtual-table-viewport").first
    assert viewport.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "the default table scrolls sideways"
    assert fits(page, MUST_SHOW_1920) == []
    assert "Average ▼" in heads(page) and "Rank (by Average)" in heads(page)
    assert page.locator("#board-table .cell-menu-button").first.is_hidden()  # sorting only by the marked control
    expect(page.locator("#board-meta")).to_contain_text("Snapshot")

    # Live search: typed, no Enter; the table and the Charts tab follow.
    page.locator("#board-search textarea, #board-search input").first.press_sequentially("gemini", delay=40)
    expect(page.locator("#board-note")).to_contain_text("match the search", timeout=15_000)
    expect(page.locator("#board-table [role=gridcell][data-col='1']", has_text="Human")).to_have_count(0)
    models = page.locator("#board-table [role=gridcell][data-col='1']").all_inner_texts()
    assert "Gemini-2.5-Pro †" in models and not any(m.startswith("Qwen") for m in models)
    page.get_by_role("tab", name="Charts").click()
    expect(page.locator("#charts-scope")).to_contain_text("gemini", timeout=15_000)
    # Emptying the box by hand brings every row back (the last keystroke's refresh wins).
    page.get_by_role("tab", name="Leaderboard").click()
    box = page.locator("#board-search textarea, #board-search input").first
    for _ in "gemini":
        box.press("Backspace")
    expect(page.locator("#board-note")).not_to_contain_text("match the search", timeout=15_000)
    expect(page.locator("#board-table [role=gridcell][data-col='1']", has_text="Human").first).to_be_visible()

    # Sorting by a subtask marks that column, not the average.
    page.get_by_label("Sort by").click()
    page.get_by_role("option", name="Defect Loc.").click()
    expect(page.locator("#board-table [role=columnheader]", has_text="Defect Loc. ▼")).to_be_visible(timeout=15_000)
    page.close()

    page = open_board(browser, app_url, 1280)
    assert fits(page, MUST_SHOW_1280) == []
    page.close()

    # A link to a row outside the default ranking: its detail opens, and the table shows all entries.
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{app_url}?row={SUBSET['id']}")
    expect(page.locator("#row-detail-text")).to_contain_text(SUBSET["model"], timeout=30_000)
    expect(page.locator("#row-detail-text")).to_contain_text("not ranked: subset")
    expect(page.get_by_label(ALL_ENTRIES)).to_be_checked(timeout=15_000)
    page.close()


def test_upload_errors_stay_inline_and_a_submission_links_to_its_highlighted_row(browser, app_url, tmp_path,
                                                                                  make_predictions):
    from playwright.sync_api import expect

    page = open_board(browser, app_url, 1280)
    page.get_by_role("tab", name="Submit").click()
    outcome = page.locator("#submit-outcome")
    wrong = tmp_path / "predictions.txt"
    wrong.write_text("not predictions\n", encoding="utf-8")
    page.locator("#predictions-file input[type=file]").set_input_files(str(wrong))
    expect(outcome).to_contain_text("this one is .txt", timeout=15_000)
    page.locator("#submit-button").click()
    page.wait_for_timeout(12_000)  # longer than a toast lives
    expect(outcome).to_contain_text("this one is .txt")
    assert "Choose a prediction file" not in outcome.inner_text()
    assert page.locator(".toast-body").count() == 0
    status = page.locator("#status-table")
    expect(status).to_be_visible()
    assert "Error" not in status.inner_text()

    page.get_by_label("Model name").fill("Inline-VL")
    page.get_by_label("Training exposure", exact=False).first.click()
    page.get_by_role("option", name=taxonomy.NO_EXPOSURE).click()
    page.locator("#predictions-file button[aria-label='Clear'], #predictions-file .label-clear-button").first.click()
    page.locator("#predictions-file input[type=file]").set_input_files(str(make_predictions(seed=21)))
    expect(outcome).not_to_contain_text(".txt", timeout=15_000)
    page.locator("#submit-button").click()
    expect(outcome).to_contain_text("Scored and stored", timeout=60_000)
    link = outcome.get_by_role("link", name="Open its row on the board")
    assert link.get_attribute("href").startswith("?row=20")
    expect(status).to_contain_text("Inline-VL")
    page.get_by_role("tab", name="Leaderboard").click()
    expect(page.locator("#row-detail-text")).to_contain_text("Inline-VL", timeout=15_000)
    highlighted = page.locator("#board-table [role=gridcell][data-col='1']", has_text="Inline-VL").first
    assert "255, 243, 191" in highlighted.evaluate("e => getComputedStyle(e).backgroundColor + "
                                                   "getComputedStyle(e.closest('[role=gridcell]')).backgroundColor")
    page.close()
