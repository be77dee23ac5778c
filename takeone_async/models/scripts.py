"""Script generation templates and script generations: AI-written scripts for a recording."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs

from ._extra import extra_field

__all__ = ["ScriptGeneration", "ScriptGenerationState", "ScriptGenerationTemplate"]


class ScriptGenerationState(StrEnum):
    """Progress of a script generation (documented values; others may appear)."""

    INITIALIZED = "initialized"
    COMPLETED = "completed"
    ERROR = "error"


@attrs.frozen
class ScriptGenerationTemplate:
    """A prompt whose parameters are described by a JSON Schema (kept as raw JSON)."""

    id: str
    name: str | None = None
    description: str | None = None
    video_container_template: str | None = None
    prompt_parameters_schema: Any = attrs.field(default=None, hash=False)
    active: bool | None = None
    created_date_time: datetime | None = None
    modified_date_time: datetime | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class ScriptGeneration:
    """One run of a script generation template; ``script`` is empty until completed."""

    id: str
    state: ScriptGenerationState | str | None = None
    template: str | None = None
    prompt_parameters: Any = attrs.field(default=None, hash=False)
    script: str | None = None
    created_date_time: datetime | None = None
    modified_date_time: datetime | None = None
    extra: Mapping[str, Any] = extra_field()
