"""Texts shown on the board: title, metric definitions, submission guide, citation."""

from __future__ import annotations

import mmad_dataset as mm
from space import ranking, taxonomy

TITLE = "MMAD leaderboard — multimodal LLMs as industrial anomaly inspectors"

INTRODUCTION = """
- [MMAD](https://github.com/jam-cc/MMAD) (ICLR 2025): 39,672 multiple-choice questions on 8,366 industrial images
  (MVTec AD, MVTec LOCO, VisA, GoodsAD), in 7 subtasks.
- **Reported** rows are copied from papers and released result files, each with its sources.
  **Verified** rows were scored here from uploaded predictions, and are re-scored when the scorer or the key changes.
"""

def _values(values: tuple[str, ...]) -> str:
    return ", ".join(f"*{value}*" for value in values)


def _question_errata() -> str:
    return "\n".join(f"- `{image}`, its {qtype} question: {text}."
                     for (image, qtype), text in mm.KNOWN_QUESTION_ISSUES.items())


def _subtask_errata() -> str:
    return "\n".join(f"- All of `{subtask}`: {text}." for subtask, text in mm.KNOWN_SUBTASK_ISSUES.items())


ABOUT = f"""
## What the columns mean

- **Subtasks.** Anomaly Discrimination (is there a defect?), Defect Classification, Defect
  Localization, Defect Description, Defect Analysis, Object Classification, Object Analysis
  (Object Structure and Object Details fold into it, as upstream does).
- **Balanced anomaly discrimination.** Accuracy on normal images and accuracy on defective images,
  averaged, per source. A model that always answers "defective" gets 50, not the share of defective
  images. Overkill (normal called defective) and miss (defect called normal) are shown where known.
- **Macro over sources.** Each subtask score is the unweighted mean of its 4 per-source
  accuracies (DS-MVTec, MVTec-LOCO, VisA, GoodsAD); the **average** is the mean of the 7 subtask
  scores, which equals the mean of the 4 per-source averages. This is how the paper's Table 2 is
  computed; it is not a micro average over questions. Random guessing gives 28.57.
- **Official protocol** reproduces the upstream scorer: questions without a usable answer are
  dropped from the denominators, as the authors' scripts do.
- **Strict protocol** counts a missing or unparseable answer as wrong, so a submission cannot
  gain by skipping hard questions.
- **Coverage** (verified rows) is the share of the benchmark's questions answered with a readable
  letter, under each protocol: questions read as a letter the question offers, divided by all
  questions in the answer key. Blank, null and unreadable replies are unanswered (they also show up
  in the **invalid rate**). The official protocol drops an invalid answer and, like upstream's
  scripts, skips the record after it unseen; that record is unanswered too, so a blank costs two
  questions. A verified row is *full* only when both protocols see at least
  {taxonomy.FULL_COVERAGE_MIN_SHARE:.1%} of the questions answered, so blanks, junk or omissions,
  however placed, hide at most {round(39_672 * (1 - taxonomy.FULL_COVERAGE_MIN_SHARE))} of 39,672
  questions from a ranked row: abstaining cannot buy more than about half a point (tested with an
  oracle that knows the key and with a 75%-precise "unsure" signal on a full-size synthetic key).
- **Verified** rows carry the scorer version, the answer key's sha256 and the data revision they
  were scored with. **Reported** rows cannot be re-scored: no per-question predictions exist.
  Ties: entries whose numbers are equal at the precision shown share a rank.

## Which results are compared with which

Every entry, reported or verified, is one run of a model and says:

- **Setting**: {_values(taxonomy.SETTINGS)}: what the model is shown besides the query image,
  in the paper's terms (no template; one random normal template of the same category, the paper's
  default; the most similar normal template; several templates; the category's defect descriptions
  in the prompt), plus inputs the paper does not use (heat maps, expert models, agents, soft prompts).
- **Protocol**: {_values(taxonomy.PROTOCOLS)}. *{taxonomy.OFFICIAL_PROTOCOL}* is the aggregation above;
  a reported result computed another way (for example accuracy pooled per question type, with no
  per-source average and no balanced anomaly discrimination) is *{taxonomy.OTHER_PROTOCOL}*, and says how.
- **Coverage**: {_values(taxonomy.COVERAGES)}. A verified submission is *{taxonomy.FULL_COVERAGE}* when
  it answers at least {taxonomy.FULL_COVERAGE_MIN_SHARE:.1%} of the questions. A reported result is
  *{taxonomy.SUBSET_COVERAGE}* when its source ran part of the benchmark (a sample of questions, a
  subset of images, the test part of a train/test split of MMAD) and says which part.
- **Training exposure**: {_values(taxonomy.TRAINING_EXPOSURES)}: what the model saw in training that
  MMAD tests, as its authors declare it.
- **Quantisation**: {_values(taxonomy.QUANTISATIONS)}: how the weights were held for the run
  (an API model's is *{taxonomy.QUANTISATION_NOT_STATED}*). It does not decide the ranking; a quantised run is flagged.
- **Measured by**: {_values(taxonomy.MEASURED_BY)}.

**Stated or presumed.** For each of setting, protocol, coverage, training exposure and quantisation, a
reported entry records whether a source it cites *states* the value or the board *presumes* it, and
why. A presumed value carries a **{taxonomy.PRESUMED_MARK}** in its cell and leads the Flags cell; the row
detail gives the reason. The default ranking keeps presumed rows, marked, because each presumption
has a reason and dropping them would hide results no better known otherwise (the JUDO rows, the
paper's 0-shot rows); *{ranking.STATED_ONLY}* in **Show** hides every row that rests on one.

**The default ranking shows only comparable entries**: the *{taxonomy.OFFICIAL_PROTOCOL}* protocol,
*{taxonomy.FULL_COVERAGE}* coverage, a {" or ".join(sorted(taxonomy.STANDARD_SETTINGS))} setting and
*{taxonomy.NO_EXPOSURE}* training exposure. Everything else is one filter away, with the reason next
to it. Reference lines (random chance, human expert, ordinary human) are shown but never ranked.

## Where the reported numbers come from

Each reported entry lists every text that carries its numbers, with the table or row, whether that
text ran the model or copied the number, and how confident we are in it. When the paper and the
authors' released per-model results are the same run, they are one entry with both sources; GPT-4o
and AnomalyGPT have two different runs each, and say how they differ. `docs/results.md` in the
repository lists every entry's sources and the published results we left out, with the reason.

The human rows: the paper version we could read has no human table. Both rows appear in a later
version's Table 2 as transcribed by a third party, and the expert row also in the AD-Copilot
README by the same authors. How many questions and annotators the human study used is not stated
in any of these texts.

## Flags

- *unconfirmed: …*: a number we could not check against its parts (an average without subtask
  scores, cells that do not average to the printed value); its confidence is low.
- *subset run*, *run quantised (…)*, *differs from the paper's run*: what they say; the entry's notes
  give the details.
- *{taxonomy.PRESUMED_MARK} presumed: …*: the comparability fields the board presumes (see above).

## Known wrong questions

The official protocol scores every question as upstream does, errata included, so its numbers keep
reproducing the authors'. Known wrong items are flagged in the dataset's `known_issue` column and in
an export's `errata.json`; `mmad score` reports how many of them a file answered and its average
without them, so you can see whether an erratum matters. Upstream has no question ids, so a
question's erratum is keyed by its image and question type and resolved to its `<image>#<index>`
id when the answer key is loaded (in upstream's order, Defect Localization is usually `#2`).

{_question_errata()}
- {len(mm.KNOWN_ISSUES)} images filed under the wrong category: {next(iter(mm.KNOWN_ISSUES.values()))}.
{_subtask_errata()}

""" + """
## How to make a prediction file

One JSON object per line (JSONL), one line per question:

```json
{"question_id": "DS-MVTec/bottle/image/broken_large/000.png#0", "answer": "B"}
{"question_id": "DS-MVTec/bottle/image/broken_large/000.png#1", "response": "The answer is C."}
```

`question_id` is `<image path>#<index of the question in the image's conversation>`, as in the
`question_id` column of the dataset. Give the option letter in `answer`, or the model's raw text in
`response` (the scorer extracts the letter). The upstream answers JSON written by the authors'
evaluation scripts is accepted too. `mmad predict` writes this file for a model, and
`mmad score PREDICTIONS --key DATA` shows locally what the board will compute.
"""

SUBMIT_INTRO = """
Upload per-question predictions; they are checked and scored against the benchmark's answer key on
upload, stored together with your metadata and the result, and the row appears on the board at once.
Validation problems are reported with the line that caused them. Please declare honestly whether the
model saw MMAD or its source datasets (MVTec AD, MVTec LOCO, VisA, GoodsAD) in training.
"""

NO_KEY = """
**Submissions are off: no answer key is configured.** Set one of

- `MMAD_DATA_DIR` — a raw MMAD root (holding `mmad.json`), `mmad.json` itself, an exported dataset
  folder or its `answer_key.jsonl`;
- `MMAD_DATA_REPO` (+ `MMAD_DATA_REVISION`, a commit to pin) — a Hub dataset repo holding
  `answer_key.jsonl`;

or start with `--demo` (`MMAD_DEMO=1`) to try the whole flow on a synthetic mini benchmark.
"""

DEMO_NOTE = """
**Demo mode.** The answer key is a synthetic mini benchmark made by `mmad synth`, not MMAD; scores
here mean nothing. Download the sample prediction file below and submit it to see the flow.
"""

CITATION = mm.CITATION
