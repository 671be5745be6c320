"""Configuration of the Space, read from the environment once at start-up.

Everything a deployment changes is an environment variable (on a Space: a variable or a secret),
so the code is the same locally, in tests and on the Hub.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: The curated, reported entries shipped with the code (one JSON file per entry).
REPORTED_DIR = PROJECT_ROOT / "submissions" / "reported"
DEFAULT_STORE = PROJECT_ROOT / "submissions"
#: The largest legitimate file, measured (benchmarks/bench_upload_size.py): the whole benchmark with
#: 400-character raw replies is 18.1 MiB as JSONL and 27.2 MiB as an upstream answers JSON; the
#: default leaves a margin over the latter. Longer replies: submit the letters, or raise MMAD_MAX_UPLOAD_MB.
DEFAULT_MAX_UPLOAD_MB = 32


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    """What the Space needs to know about where it runs and what it may do."""

    store_dir: Path
    submissions_repo: str | None
    hf_token: str | None
    hub_endpoint: str | None
    data_dir: str | None
    data_repo: str | None
    data_revision: str | None
    on_space: bool
    require_login: bool
    admins: frozenset[str]
    admin_token: str | None
    local_user: str
    max_per_day: int
    max_upload_mb: float
    demo: bool
    rescore_on_start: bool
    #: CPU seconds one upload may take to parse and score (space/worker.py).
    score_cpu_seconds: int = 60

    @property
    def login_required(self) -> bool:
        """On a Space submissions must be attributable to a Hub account. Outside one, MMAD_REQUIRE_LOGIN
        is refused at start (space.identity.check_settings): Gradio's mocked login makes anyone the token's owner."""
        return self.on_space or self.require_login

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `environ` (default: the process environment)."""
    env = os.environ if environ is None else environ
    return Settings(
        store_dir=Path(env.get("MMAD_STORE") or DEFAULT_STORE),
        submissions_repo=env.get("MMAD_SUBMISSIONS_REPO") or None,
        hf_token=env.get("HF_TOKEN") or None,
        hub_endpoint=env.get("HF_ENDPOINT") or None,
        data_dir=env.get("MMAD_DATA_DIR") or None,
        data_repo=env.get("MMAD_DATA_REPO") or None,
        data_revision=env.get("MMAD_DATA_REVISION") or None,
        # Gradio's own test for real OAuth (gradio.utils.get_space): SPACE_ID alone leaves the login mocked.
        on_space=bool(env.get("SPACE_ID")) and env.get("SYSTEM") == "spaces",
        require_login=_flag(env.get("MMAD_REQUIRE_LOGIN")),
        admins=frozenset(n.strip() for n in (env.get("MMAD_ADMINS") or "").split(",") if n.strip()),
        admin_token=env.get("MMAD_ADMIN_TOKEN") or None,
        local_user=env.get("MMAD_LOCAL_USER") or "local",  # never the OS user name: it would show on the page
        max_per_day=int(env.get("MMAD_MAX_PER_DAY") or 5),
        max_upload_mb=float(env.get("MMAD_MAX_UPLOAD_MB") or DEFAULT_MAX_UPLOAD_MB),
        demo=_flag(env.get("MMAD_DEMO")),
        rescore_on_start=_flag(env.get("MMAD_RESCORE_ON_START", "1")),
        score_cpu_seconds=int(env.get("MMAD_SCORE_CPU_SECONDS") or 60),
    )
