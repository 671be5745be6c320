"""Texts shown on the board: title, metric definitions, submission guide, citation."""

from __future__ import annotations

import mmad_dataset as mm

TITLE = "MMAD leaderboard — multimodal LLMs as industrial anomaly inspectors"

INTRODUCTION = """
[MMAD](https://github.com/jam-cc/MMAD) (ICLR 2025) asks 39,672 multiple-choice questions about 8,366
industrial images from MVTec AD, MVTec LOCO, VisA and GoodsAD, in 7 subtasks. Every number here is
traceable: **reported** rows are copied from papers or released result files and say where from;
**verified** rows were scored here, from uploaded per-question predictions, by the project's scorer,
and are re-scored whenever the scorer or the answer key is corrected.
"""

ABOUT = """
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
  gain by skipping hard questions. **Coverage** is the share of questions with a valid answer.
- **Verified** rows carry the scorer version, the answer key's sha256 and the data revision they
  were scored with. **Reported** rows cannot be re-scored: no per-question predictions exist.
  Reference lines (random chance, human expert, ordinary human) are shown but not ranked; the
  human rows were measured on a sample of questions.

## Flags

- *single-image model reported 0-shot*: the model cannot take the normal template image.
- *trains on MMAD or its source images*: the scores are not zero-shot transfer.
- *subset run*: only part of the benchmark was answered; not comparable to full runs.

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
