"""Where `--model` is loaded from: the built-in random `tiny` model, a local folder, or the Hub.

A hub id is checked with one short request before transformers starts downloading: without it,
an unreachable Hub costs about 25 s of retries per file, minutes in all, before any error. When
the Hub cannot be reached (or HF_HUB_OFFLINE is set), a model already in the Hugging Face cache
loads from there; otherwise the run stops at once with an error naming offline mode or the network.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mmad_dataset import MMADError

from ..errors import quoted
from .data import hub_failure

#: `--model tiny`: a randomly initialised LLaVA built on the spot (eval.predict.random_model), to
#: try the runner with no download. Its answers are noise; its score is chance level.
TINY_MODEL = "tiny"
#: Seconds the reachability check may take.
PROBE_TIMEOUT = 10.0


def _cached(name: str, revision: str | None) -> bool:
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(name, "config.json", revision=revision), str)


def hub_load_options(name: str, revision: str | None) -> dict[str, Any]:
    """Extra `from_pretrained` options for `name` (a folder or hub id); raises MMADError when a hub
    model can be neither reached nor found in the cache."""
    if Path(name).is_dir():
        return {}
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import (HfHubHTTPError, HFValidationError, RepositoryNotFoundError,
                                        RevisionNotFoundError)
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError:
        raise MMADError(f"--model {quoted(name, 80)}: no such folder, and not a Hub model id "
                        f"('org/name'); try --model {TINY_MODEL}") from None

    what = f"model {name}" + (f"@{revision}" if revision else "")
    if constants.HF_HUB_OFFLINE:
        if _cached(name, revision):
            return {"local_files_only": True}
        raise MMADError(f"{what}: not in the Hugging Face cache, and HF_HUB_OFFLINE is set so it cannot be "
                        f"downloaded; unset HF_HUB_OFFLINE, pass a local folder, or try --model {TINY_MODEL}")
    try:
        HfApi().model_info(name, revision=revision, timeout=PROBE_TIMEOUT)
    except (RepositoryNotFoundError, RevisionNotFoundError) as exc:
        raise hub_failure(what, exc) from None
    except HfHubHTTPError:
        return {}  # reachable; transformers reports gating or server errors in its own words
    except Exception as exc:  # the HTTP client's transport errors (huggingface_hub's choice of client)
        if _cached(name, revision):
            print(f"mmad predict: the Hub cannot be reached; loading {name} from the cache", file=sys.stderr)
            return {"local_files_only": True}
        raise hub_failure(what, exc) from None
    return {}
