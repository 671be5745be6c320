#!/usr/bin/env bash
# Create .venv-lmms-eval/: lmms-eval 0.7.3 on top of THIS interpreter's torch, transformers and datasets.
#
# `pip install lmms-eval` pulls a CUDA torch and torchvision (6.9 GB, 2 min) that would replace a CPU
# torch. This venv sees the packages of the interpreter that runs the script (`python3`: a venv, a conda
# env or the system Python) through a .pth file that adds its site directories (`--system-site-packages`
# would add the BASE interpreter's instead, which in a venv lacks torch). It installs lmms-eval itself
# with --no-deps, and adds only the modules the MMAD task path imports (its CLI, evaluator, metrics, the
# llava_hf simple and chat models). filelock<4: lmms-eval's evaluator patches `filelock._api`, which
# filelock 4 no longer has. Nothing is installed into the current environment.
#
# Idempotent: a venv that imports lmms-eval and torch and was built for this interpreter is kept; any
# other is rebuilt. The venv is built under a temporary name and moved into place only once it works,
# so a failed build leaves nothing behind (the tests then skip) and the next run tries again.
# Usage: scripts/lmms_eval_env.sh [VENV_DIR]   (default .venv-lmms-eval, git-ignored)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-.venv-lmms-eval}"
parent="$(python3 -c 'import sys; print(sys.executable)')"
check="import lmms_eval.evaluator, lmms_eval.models.chat.llava_hf, torch"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/parent-python" 2>/dev/null)" = "$parent" ] \
   && "$venv/bin/python" -c "$check" >/dev/null 2>&1; then
  echo "lmms-eval ready in $venv (kept)"
  exit 0
fi
rm -rf "$venv"
building="$venv.building"
rm -rf "$building"
trap 'rm -rf "$building"' EXIT
python3 -m venv "$building"
site="$("$building/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
python3 - "$site/_mmad_parent_env.pth" <<'PY'
import site, sys
dirs = [p for p in [*site.getsitepackages(), site.getusersitepackages()] if p]
with open(sys.argv[1], "w") as handle:  # one line: a .pth line starting with "import" is executed
    handle.write("import site; " + "; ".join(f"site.addsitedir({d!r})" for d in dirs) + "\n")
PY
"$building/bin/python" -m pip install -q --no-deps "lmms-eval==0.7.3"
"$building/bin/python" -m pip install -q "filelock<4" loguru sqlitedict pytablewriter jsonlines tenacity decord \
  sacrebleu evaluate
echo "$parent" > "$building/parent-python"
"$building/bin/python" -c "$check"
mv "$building" "$venv"
trap - EXIT
"$venv/bin/python" -c "import torch; print('lmms-eval ready in $venv (torch', torch.__version__ + ')')"
