"""The About tab: the ranking rules, what MMAD is, and how to cite it."""

from __future__ import annotations

import gradio as gr

from mmad_dataset import PAPER_TOTAL_QUESTIONS
from space import about, render, taxonomy

RANKING_RULES = f"""
## How the ranking works

- **Comparable only (default).** Ranked entries use the official protocol on the full benchmark, in the
  paper's standard settings ({", ".join(sorted(taxonomy.STANDARD_SETTINGS))}), with training exposure
  "{taxonomy.NO_EXPOSURE}". Everything else (other settings, other metrics, subsets, models trained on MMAD,
  its source images or other industrial data, or that do not say) is one click away under *Show: all
  entries*, marked **—** in the Rank column with the reasons in *Not ranked because* (the *Provenance*
  columns and the row's detail), and never ranked.
- **Reference lines** (human, random) are marked *ref* and never ranked. In demo mode, results scored
  against the synthetic key are marked *demo*, labelled "{render.SYNTHETIC_LABEL}" and never ranked.
- **Verified results** rank only when scored against this board's own answer key, the whole
  benchmark's ({PAPER_TOTAL_QUESTIONS:,} questions), and when their official average is at most
  {taxonomy.STRICT_GAP_MAX_POINTS:g} points above the strict one (more means hedged or unreadable replies).
- **Ties.** Ranks follow the averages rounded to the 2 decimals shown: equal numbers share a rank (1, 1, 3).
- **Stable ranks.** A rank is the entry's place on the whole view (overall or one source) before any
  filter or search, so narrowing the table never renumbers it; sorting by another column reorders rows
  but keeps each row's rank. Verified submissions count as full coverage when they answer at least
  {taxonomy.FULL_COVERAGE_MIN_SHARE:.1%} of the questions.
"""


def sections(text: str) -> list[tuple[str, str]]:
    """A markdown text's `## ` sections as (title, body), in order."""
    parts = [part for part in ("\n" + text).split("\n## ") if part.strip()]
    return [(part.split("\n", 1)[0].strip(), part.split("\n", 1)[1] if "\n" in part else "") for part in parts]


def build_about_tab() -> None:
    """Lay out the tab inside the current `gr.Tab` (static text only): the ranking rules open, every other
    section one click away, so the tab reads as a list of questions rather than a wall of prose."""
    for i, (title, body) in enumerate(sections(RANKING_RULES + about.ABOUT)):
        with gr.Accordion(title, open=i == 0):
            gr.Markdown(body)
    gr.Code(about.CITATION, label="Citation (BibTeX)", language=None)
