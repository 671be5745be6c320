"""Fixtures for the data-layer tests: one shared export, and the `mmad` CLI."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mmad.export import ExportSummary, export_root


@pytest.fixture(scope="session")
def exported(small_root: Path, tmp_path_factory: pytest.TempPathFactory) -> ExportSummary:
    """`small_root` exported once (read-only for the tests)."""
    return export_root(small_root, tmp_path_factory.mktemp("export") / "MMAD")


@pytest.fixture
def run_mmad() -> Callable[..., subprocess.CompletedProcess]:
    """Run the `mmad` command in a fresh interpreter, as a user would."""
    def run(*args: str | Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "mmad.cli", *map(str, args)],
                              capture_output=True, text=True, timeout=300)
    return run


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic raw root at 0.1% scale (~150 files, every source): for tests whose subject does not
    depend on the root's size (and that a mutation run repeats hundreds of times). Read-only."""
    from mmad.synth import write_root

    root = tmp_path_factory.mktemp("mmad_tiny") / "ALL_DATA"
    write_root(root, scale=0.001, seed=0)
    return root


def _tqdm_per_process() -> None:
    """tqdm's default lock is a multiprocessing semaphore that forked processes share, and each bar may
    start a monitor thread. A mutation run forks a child per mutant and kills the slow ones: a child killed
    while holding the semaphore hung every later child that drew a bar (even a disabled one). A thread
    lock and no monitor thread keep each process to itself."""
    import threading

    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())
    tqdm.monitor_interval = 0


_tqdm_per_process()


@pytest.fixture
def disk_full_on(monkeypatch):
    """`disk_full_on(n)`: unpacking a zip fails at its n-th member as a full disk would."""
    from mmad import download

    def install(n: int) -> None:
        copy, calls = download._copy_member, []

        def disk_full(*args):
            calls.append(1)
            if len(calls) == n:
                raise OSError(28, "No space left on device")
            copy(*args)
        monkeypatch.setattr(download, "_copy_member", disk_full)
    return install
