"""Answer keys for the scorer's tests: a hand-made mini benchmark whose numbers are computed by hand,
and the synthetic small root."""

from __future__ import annotations

from pathlib import Path

import pytest

from cases import write_mini
from eval import AnswerKey, load_key

@pytest.fixture(scope="session", autouse=True)
def isolated_key_cache(tmp_path_factory: pytest.TempPathFactory):
    """Parsed-key cache in a temporary folder, never the user's ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MMAD_CACHE", str(tmp_path_factory.mktemp("key_cache")))
        yield


@pytest.fixture(scope="session")
def mini_key_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_mini(tmp_path_factory.mktemp("mini"))


@pytest.fixture(scope="session")
def mini_key(mini_key_path: Path) -> AnswerKey:
    return load_key(mini_key_path)


@pytest.fixture(scope="session")
def small_key(small_root: Path) -> AnswerKey:
    return load_key(small_root)
