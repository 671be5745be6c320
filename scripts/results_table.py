"""The entries table of docs/results.md, made from `submissions/reported/`, so the page cannot drift from
the files: `python3 scripts/results_table.py --write` rewrites it; the tests compare it with the page.

Order: the default ranking (by average), then the other reported entries (by average), then the
reference lines. Each row shows its taxonomy verdict, its flags (presumptions first, marked as on the
board) and every source with its locator, whether it measured or copied, its printed average and
confidence.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from space import taxonomy  # noqa: E402

REPORTED = ROOT / "submissions" / "reported"
PAGE = ROOT / "docs" / "results.md"
HEADER = ("| # | Entry (`id`) | Model | Setting | Avg | Default ranking | Sources: title, locator (measured or copied, "
          "printed average, confidence) |")
REFERENCE_ORDER = ("random-chance-1-shot-mmad-paper", "human-expert-1-shot-mmad-authors",
                   "human-ordinary-1-shot-mmad-authors")


def _source(source: Mapping[str, Any]) -> str:
    title = f"[{source['title']}]({source['link']})" if source["link"] else source["title"]
    shown = "–" if source["average"] is None else f"{source['average']:.{source['precision']}f}"
    measured = "measured" if source["measured"] else "copied"
    return f"{title}, {source['locator']} ({measured}, {shown}, {source['confidence']})"


def _standing(entry: Mapping[str, Any]) -> str:
    if entry["status"] == "reference":
        return "reference line"
    presumed = ", ".join(name.replace("_", " ") for name in taxonomy.presumptions(entry))
    flags = [f"{taxonomy.PRESUMED_MARK} presumed: {presumed}"] * bool(presumed) + list(entry["flags"])
    verdict = "yes" if taxonomy.comparable(entry) else "no: " + "; ".join(taxonomy.why_not_comparable(entry))
    return verdict + (" · flags: " + "; ".join(flags) if flags else "")


def _line(number: int, entry: Mapping[str, Any]) -> str:
    digits = min(2, entry["sources"][0]["precision"])
    cells = [str(number), f"`{entry['id']}`", entry["model"], entry["setting"],
             f"{entry['result']['average']:.{digits}f}", _standing(entry), "<br>".join(map(_source, entry["sources"]))]
    return "| " + " | ".join(cells) + " |"


def table(folder: Path = REPORTED) -> list[str]:
    """The table's body rows, one per entry file."""
    entries = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))]
    reported = sorted((e for e in entries if e["status"] != "reference"), key=lambda e: -e["result"]["average"])
    ranked = [e for e in reported if taxonomy.comparable(e)]
    others = [e for e in reported if not taxonomy.comparable(e)]
    references = sorted((e for e in entries if e["status"] == "reference"),
                        key=lambda e: REFERENCE_ORDER.index(e["id"]) if e["id"] in REFERENCE_ORDER else 99)
    return [_line(number, entry) for number, entry in enumerate([*ranked, *others, *references], 1)]


def page_table(text: str) -> tuple[int, int]:
    """(first, last) line index of the table body on the page: the lines after HEADER and its rule."""
    lines = text.split("\n")
    first = lines.index(HEADER) + 2
    last = first
    while last + 1 < len(lines) and lines[last + 1].startswith("| "):
        last += 1
    return first, last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite the table in {PAGE.relative_to(ROOT)}")
    args = parser.parse_args()
    rows = table()
    if not args.write:
        print("\n".join(rows))
        return 0
    text = PAGE.read_text(encoding="utf-8")
    first, last = page_table(text)
    lines = text.split("\n")
    lines[first:last + 1] = rows
    PAGE.write_text("\n".join(lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
