"""The one declared schema of every file a store holds, checked whenever a file is read back.

A stored file comes from this app, but a store is a folder or a Hub repo that other hands (an
operator, a script, an older version, a damaged disk) can change. Everything the board reads from
a stored file is therefore checked here first: types, ranges, and finite numbers (JSON's NaN and
Infinity, and numbers too large for a float, are refused while parsing, anywhere in the file). A
file that fails is skipped and named by the store, like a truncated one; it never stops the board
and nothing non-finite reaches a page or a download.

Fields the board does not read are allowed (results carry many detailed statistics) but still
parsed with finite numbers only. pydantic is what Gradio itself validates with, so the Space needs
no further dependency.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

#: A share in percent, as the scorer writes it.
Percent = Annotated[float, Field(strict=True, ge=0, le=100, allow_inf_nan=False)]
Count = Annotated[int, Field(strict=True, ge=0)]
Text = Annotated[str, Field(strict=True, max_length=10_000)]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class SourceNumbers(_Schema):
    """One MMAD source's numbers inside a protocol (or a category's)."""

    average: Percent | None = None
    subtasks: dict[str, Percent | None] = {}
    overkill: Percent | None = None
    miss: Percent | None = None


class Category(_Schema):
    questions: Count = 0
    accuracy: Percent | None = None
    subtasks: dict[str, Percent | None] = {}


class Protocol(_Schema):
    """One protocol's numbers: what the board shows of it."""

    average: Percent | None = None
    subtasks: dict[str, Percent | None] = {}
    sources: dict[str, SourceNumbers] = {}
    categories: dict[str, Category] = {}
    coverage: Percent | None = None
    overkill: Percent | None = None
    miss: Percent | None = None
    scorer_version: Text = ""
    answer_key_sha256: Text = ""


class Official(Protocol):
    average: Percent  # a row needs it: without one there is nothing to rank or show


class Result(_Schema):
    """result.json, and each earlier result kept in history/."""

    official: Official
    strict: Protocol = Protocol()
    scored_at: Text = ""
    scorer_version: Text = ""
    answer_key_sha256: Text = ""
    data_revision: Text = ""


class Metadata(_Schema):
    """metadata.json: who submitted what, as the form cleaned it."""

    model_name: Annotated[str, Field(strict=True, min_length=1, max_length=500)]
    link: Text = ""
    license: Text = ""
    size: Text = ""
    model_type: Text = ""
    setting: Text = ""
    training_exposure: Text = ""
    notes: Text = ""
    measured_by: Text = ""
    user: Text = ""
    submitted_at: Text = ""
    submission_id: Text = ""
    predictions_file: Text = ""
    predictions_sha256: Text = ""
    content_sha256: Text = ""
    correctness_sha256: Text = ""


class Claim(_Schema):
    """index/<claim>.json: which submission holds a claim."""

    submission_id: Text
    model_name: Text = ""
    user: Text = ""
    setting: Text = ""
    submitted_at: Text = ""


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number this board stores")


def loads(data: bytes | str) -> Any:
    """JSON with finite numbers only: NaN, Infinity and 1e999 raise ValueError (so does nesting too deep)."""
    try:
        return json.loads(data, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def checked(data: bytes | str, schema: type[BaseModel]) -> dict:
    """The file's JSON object when it fits `schema`; ValueError naming the first problem otherwise."""
    value = loads(data)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    try:
        schema.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top)"
        raise ValueError(f"{where}: {first['msg'][:80]}") from None
    return value
