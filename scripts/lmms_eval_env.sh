#!/usr/bin/env bash
# Create .venv-lmms-eval/: lmms-eval 0.7.3 on top of this environment's torch, transformers and datasets.
#
# `pip install lmms-eval` pulls a CUDA torch and torchvision (6.9 GB, 2 min) that would replace a CPU
# torch. This venv sees the base environment's packages (--system-site-packages), installs lmms-eval
# itself with --no-deps, and adds only the modules the MMAD task path imports (its CLI, evaluator,
# metrics, the llava_hf simple and chat models). filelock<4: lmms-eval's evaluator patches
# `filelock._api`, which filelock 4 no longer has. Nothing is installed into the base environment.
# Usage: scripts/lmms_eval_env.sh [VENV_DIR]   (default .venv-lmms-eval, git-ignored)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-.venv-lmms-eval}"
python3 -m venv --system-site-packages "$venv"
"$venv/bin/python" -m pip install -q --no-deps "lmms-eval==0.7.3"
"$venv/bin/python" -m pip install -q "filelock<4" loguru sqlitedict pytablewriter jsonlines tenacity decord \
  sacrebleu evaluate
"$venv/bin/python" -c "import lmms_eval.evaluator, lmms_eval.models.chat.llava_hf, torch; \
print('lmms-eval ready in $venv (torch', torch.__version__ + ')')"
