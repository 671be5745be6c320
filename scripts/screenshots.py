"""Screenshots of every tab of the leaderboard at 1,280 and 1,920 px, for docs/screenshots/ and review.

    python3 scripts/screenshots.py                 # writes docs/screenshots/*.png
    python3 scripts/screenshots.py --out /tmp/shots --widths 1280

Runs the app in demo mode (synthetic key, throwaway store), submits the demo's sample prediction
file and a weaker one so that verified-style rows (labelled "synthetic (demo)"), a heat map and a
paired comparison exist, then drives headless Chromium (Debian's /usr/bin/chromium) through the
board. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDTHS = (1280, 1920)
SEARCH_NO_MATCH = "no-such-model-xyz"
#: The reported row opened by its `?row=` link.
DETAIL_ID = "qwen2-vl-72b-1-shot-mmad-csv"


def wait_for_board(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#board-table").get_by_text("Qwen2-VL-72B").first).to_be_visible(timeout=60_000)


def set_search(page, text: str) -> None:
    """Type a search (no Enter: the board filters as one types) and wait until the board says what it found."""
    from playwright.sync_api import expect

    box = page.locator("#board-search textarea, #board-search input").first
    box.fill("")
    if text:
        box.press_sequentially(text, delay=30)
        expect(page.locator("#board-note")).to_contain_text(
            "No results" if text == SEARCH_NO_MATCH else "match the search", timeout=15_000)
    else:
        box.press_sequentially("x", delay=30)
        box.press("Backspace")
        expect(page.locator("#board-note")).not_to_contain_text("match the search", timeout=15_000)
    page.wait_for_timeout(600)


def settle(page) -> None:
    """Wait until no component shows Gradio's pending state (its timer, progress bar or spinner)."""
    page.wait_for_function("() => !document.querySelector('.eta-bar, .progress-text, .meta-text, "
                           ".meta-text-center, .wrap.translucent')", timeout=30_000)


def select_row(page, model: str) -> None:
    """Click a row's Average cell (not its model link, which opens the model's page)."""
    row = page.locator("#board-table [role=row]").filter(has_text=model).filter(visible=True).first
    row.locator("[data-col='2']").click()


def scroll_to_unranked(page) -> None:
    """Scroll the table to where the ranked rows end and the unranked ones (marked —) begin."""
    page.evaluate("window.scrollTo(0, 0)")
    viewport = page.locator("#board-table .virtual-table-viewport").first
    for _ in range(40):
        marks = page.locator("#board-table [role=gridcell][data-col='0']", has_text="—")
        if marks.count():
            row = int(marks.first.get_attribute("data-row"))
            height = viewport.evaluate("e => e.querySelector('[role=row][data-index]').offsetHeight")
            viewport.evaluate(f"e => e.scrollTop = {max(0, row - 6) * height}")
            page.wait_for_timeout(300)
            return
        viewport.evaluate("e => e.scrollTop += e.clientHeight * 0.8")
        page.wait_for_timeout(150)


#: The reported pair the unpaired comparison screenshot opens (`?compare=`).
REPORTED_PAIR = ("gpt-4o-1-shot-mmad-csv", "kimi-vl-a3b-1-shot-judo")


def capture(url: str, out: Path, widths=WIDTHS, *, detail_id: str = DETAIL_ID,
            paired: tuple[str, str] = ()) -> list[Path]:
    """Every tab and the board's special states at each width; returns the files written. `paired`: two
    verified row ids for the paired comparison."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width in widths:
            page = browser.new_page(viewport={"width": width, "height": 1000})

            def shot(name: str, full_page: bool = False) -> None:
                settle(page)
                page.wait_for_timeout(400)  # let plotly and the table finish their transitions
                path = out / f"{name}-{width}.png"
                page.screenshot(path=path, full_page=full_page)
                written.append(path)

            board_states(page, url, shot, detail_id)
            other_tabs(page, shot)
            for name, pair in (("13-compare-paired", paired), ("14-compare-reported", REPORTED_PAIR)):
                if pair:
                    open_comparison(page, url, pair)
                    shot(name, full_page=True)
            page.close()
        browser.close()
    return written


def open_comparison(page, url: str, pair: tuple[str, str]) -> None:
    """Open the page at `?compare=A,B` and wait for the verdict and its chart."""
    from playwright.sync_api import expect

    page.goto(f"{url}?compare={pair[0]},{pair[1]}")
    expect(page.locator("#compare-verdict")).to_contain_text("A − B =", timeout=60_000)
    expect(page.locator("#compare-chart .js-plotly-plot")).to_be_visible(timeout=30_000)


def board_states(page, url: str, shot, detail_id: str) -> None:
    """The Leaderboard tab: default, a row opened by its link, all entries, the demo row, a source, search."""
    from playwright.sync_api import expect

    page.goto(f"{url}?row={detail_id}")
    expect(page.locator("#row-detail-text").get_by_text("Sources (primary first)")).to_be_visible(timeout=60_000)
    page.locator("#row-detail-text").scroll_into_view_if_needed()
    shot("02-row-detail")
    page.goto(url)
    wait_for_board(page)
    shot("01-leaderboard")
    page.get_by_label(ALL_LABEL).check()
    expect(page.locator("#board-note")).to_contain_text("Rows marked", timeout=15_000)
    scroll_to_unranked(page)
    shot("03-all-entries")
    page.get_by_label("Provenance").check()
    expect(page.locator("#board-table").get_by_text("Not ranked because").first).to_be_visible(timeout=15_000)
    scroll_to_unranked(page)
    shot("12-provenance-columns")
    page.get_by_label("Overview").check()
    set_search(page, "demo-vl")
    select_row(page, "Demo-VL-7B")
    expect(page.locator("#row-heatmap .js-plotly-plot")).to_be_visible(timeout=15_000)
    page.locator("#row-heatmap").scroll_into_view_if_needed()
    shot("04-demo-row-heatmap")
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_label(COMPARABLE_LABEL).check()
    set_search(page, "gemini")
    shot("06-search-live")
    set_search(page, "")
    page.get_by_label("View", exact=True).click()
    page.get_by_role("option", name="VisA").click()
    expect(page.locator("#board-note")).to_contain_text("in VisA", timeout=15_000)
    shot("05-per-source-visa")
    page.get_by_text("Filters (they apply to both Show choices)").click()
    expect(page.get_by_text("Training exposure").first).to_be_visible(timeout=15_000)
    shot("11-filters-open")
    page.get_by_text("Filters (they apply to both Show choices)").click()


def other_tabs(page, shot) -> None:
    """Charts (of the VisA view left by `board_states`, then of all sources), a refused upload, About."""
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Charts").click()
    expect(page.locator("#bar-chart .js-plotly-plot")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1500)
    shot("08-charts-visa", full_page=True)
    page.get_by_role("tab", name="Leaderboard").click()
    page.get_by_label("View", exact=True).click()
    page.get_by_role("option", name="All sources").click()
    page.get_by_role("tab", name="Charts").click()
    expect(page.locator("#charts-scope")).to_contain_text("All sources", timeout=15_000)
    page.wait_for_timeout(1500)
    shot("07-charts", full_page=True)
    page.get_by_role("tab", name="Submit").click()
    expect(page.get_by_text("Submissions", exact=True)).to_be_visible(timeout=15_000)
    with tempfile.TemporaryDirectory() as folder:
        wrong = Path(folder) / "predictions.txt"
        wrong.write_text("not predictions\n", encoding="utf-8")
        page.locator("#predictions-file input[type=file]").set_input_files(str(wrong))
        expect(page.locator("#submit-outcome")).to_contain_text("Not submitted", timeout=15_000)
    page.locator("#submit-button").click()
    page.wait_for_timeout(1500)
    page.locator("#submit-outcome").scroll_into_view_if_needed()
    shot("09-submit")
    page.get_by_role("tab", name="About").click()
    expect(page.get_by_text("How the ranking works")).to_be_visible(timeout=15_000)
    page.evaluate("window.scrollTo(0, 0)")
    shot("10-about", full_page=True)


def serve_demo(workdir: Path):
    """The app in demo mode with the sample file and a weaker one submitted; returns (demo, url, their ids)."""
    from gradio_client import Client, handle_file

    from space.app import build_demo, launch_options
    from space.envs import load_settings
    from space.scoring import demo_key, sample_predictions
    from space.storage import LocalStore

    settings = dataclasses.replace(load_settings({"MMAD_DEMO": "1"}), local_user="demo-user")
    key = demo_key(workdir / "key")
    demo = build_demo(settings, store=LocalStore(workdir / "store"), key=key, enable_login=False)
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True,
                            **launch_options(settings))
    client = Client(url, verbose=False, download_files=False)
    client.predict(handle_file(str(key.sample_predictions)), "Demo-VL-7B", link="https://example.org/demo-vl",
                   size="7B", training_exposure=NO_EXPOSURE, notes="the demo's sample prediction file",
                   api_name="/submit")
    weaker = sample_predictions(workdir / "key" / "synthetic_root", workdir / "weaker.jsonl", accuracy=0.6, seed=1)
    client.predict(handle_file(str(weaker)), "Demo-VL-2B", size="2B", training_exposure=NO_EXPOSURE,
                   notes="a weaker sample file, for the comparison", api_name="/submit")
    table = client.predict(search="demo-vl", show=ALL_LABEL, api_name="/leaderboard")
    ids = {row[1]: row[-1] for row in table["data"]}
    return demo, url, tuple(next(i for name, i in ids.items() if model in name) for model in ("7B", "2B"))


def _labels():
    from space.ranking import ALL_ENTRIES, COMPARABLE_ONLY
    from space.taxonomy import NO_EXPOSURE

    return ALL_ENTRIES, COMPARABLE_ONLY, NO_EXPOSURE


ALL_LABEL, COMPARABLE_LABEL, NO_EXPOSURE = _labels()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS))
    args = parser.parse_args(argv)
    for stale in args.out.glob("*.png"):  # names of earlier versions of this script must not linger
        stale.unlink()
    with tempfile.TemporaryDirectory(prefix="mmad-screenshots-") as workdir:
        demo, url, paired = serve_demo(Path(workdir))
        try:
            for path in capture(url, args.out, args.widths, paired=paired):
                print(path)
        finally:
            demo.close()


if __name__ == "__main__":
    main()
