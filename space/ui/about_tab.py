"""The About tab: the ranking rules, what MMAD is, and how to cite it."""

from __future__ import annotations

import gradio as gr

from eval.stats import DESIGN_EFFECT, z_value
from mmad_dataset import PAPER_TOTAL_QUESTIONS
from space import about, render, taxonomy

_Z, _DESIGN, _ROOT = z_value(), DESIGN_EFFECT, DESIGN_EFFECT ** 0.5  # the About text's numbers

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
- **How sure a rank is.** Every ranked row shows its range of plausible ranks, e.g. `4 (3–7)`: best =
  1 + the rows statistically better than it, worst = the rows not statistically worse than it (itself
  included). A row is statistically better than another when the low end of its 95% interval is above
  the other's high end (LMArena's rule). A rank shown alone (`2`) is separated from every other row.
  Shaded and unshaded runs of Rank cells are **tie bands**: a band ends only where two neighbours (by
  average) are separable, and the line above the table counts how many adjacent pairs of the rows shown are.
- **The intervals.** *Verified* rows: the 95% percentile interval of an image-level bootstrap of their
  predictions (images resampled within each source), stored with the result. *Reported* rows: an
  analytic 95% interval, average ± {_Z:.2f}·√Var, with Var propagated through the official average from the
  binomial variance of every (source, subtask) cell at the benchmark's question counts (anomaly
  discrimination as balanced accuracy over its normal and abnormal questions), taking each cell's
  accuracy from the most specific number printed; a subset uses the question count its source states.
  No interval where the size is unknown, for other protocols, or for reference lines.
- **The independence assumption.** The analytic interval treats the questions as independent. Questions
  about one image are correlated: on simulated runs with a random effect per image the Average's variance
  is about {_DESIGN:g}× the independent one (the design effect, `benchmarks/bench_stats.py`), so the
  reported intervals are too narrow by about √{_DESIGN:g} ≈ {_ROOT:.2f}× and the rank ranges optimistic.
  The bootstrap of verified rows resamples images, so it carries that correlation. The formulas are in
  `docs/scoring.md` ("Uncertainty").
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
