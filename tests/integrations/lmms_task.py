"""Where the lmms-eval task lives and how lmms-eval loads its utils.py (a module, not conftest, so
that test files import it by a name no other test folder uses)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
TASK_DIR = REPO / "integrations" / "lmms_eval" / "mmad"


def load_task_utils() -> ModuleType:
    """The task's utils.py, loaded by path as lmms-eval's `!function` loads it."""
    spec = importlib.util.spec_from_file_location("mmad_lmms_utils", TASK_DIR / "utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
