"""Where the lmms-eval task lives and how the tests import its utils.py (a module, not conftest, so
that test files import it by a name no other test folder uses)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
TASK_DIR = REPO / "integrations" / "lmms_eval" / "mmad"


def load_task_utils() -> ModuleType:
    """The task's utils.py, imported by its dotted name from this clone.

    lmms-eval loads the same file by path (`!function utils.name`); the end-to-end test runs that
    way. Here it is imported as `integrations.lmms_eval.mmad.utils` so that tools following modules
    by name (coverage, mutmut's mutation switches) see the functions the tests call.
    """
    if str(REPO) not in sys.path:
        sys.path.append(str(REPO))
    module = importlib.import_module("integrations.lmms_eval.mmad.utils")
    assert Path(module.__file__).resolve() == TASK_DIR / "utils.py", f"imported another clone's {module.__file__}"
    return module
