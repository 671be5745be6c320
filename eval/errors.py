"""The scorer's one error type: a user-input problem with a message that says where and why."""

from __future__ import annotations

from mmad_dataset import MMADError


class ScoringError(MMADError):
    """A prediction file or answer key cannot be scored; the CLI prints it and exits 2."""
