#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh machine, then run it.
# CPU torch comes first so that the runner extra does not pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
fi
python3 -m pip install -q "torch==2.13.0"
python3 -m pip install -q -e ".[space,runner,dev]"
# lmms-eval in its own venv on this torch (tests/integrations/test_lmms_eval_e2e.py): ~1 min, ~150 MB.
# Kept when it works for this interpreter, rebuilt otherwise; a failed build leaves nothing behind.
bash scripts/lmms_eval_env.sh || echo "lmms-eval venv not built: its test is skipped"
set +e
python3 -m pytest "$@"
status=$?
set -e
# pytest exits 5 when it collects no test: that is not a failure of the suite.
if [ "$status" = 5 ]; then exit 0; fi
exit "$status"
