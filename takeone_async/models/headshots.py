"""Headshot container templates, headshot containers and headshot projects."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs

from ._extra import extra_field
from .projects import TripodInclusion
from .video_containers import ContainerType

__all__ = [
    "HeadshotContainer",
    "HeadshotContainerTemplate",
    "HeadshotProject",
    "HeadshotProjectState",
]


class HeadshotProjectState(StrEnum):
    """Progress of a headshot project (documented values; others may appear)."""

    CAPTURING = "capturing"
    PROCESSING = "processing"


@attrs.frozen
class HeadshotContainerTemplate:
    """A template that headshot containers are made from."""

    id: str
    container_type: ContainerType | str | None = None
    is_active: bool | None = None
    name: str | None = None
    description: str | None = None
    default_user_provided_title: str | None = None
    image_download_enabled: bool | None = None
    manager_review_required: bool | None = None
    number_of_shots: int | None = None
    image_capture_orientation: str | None = None
    output_image_formats: tuple[str, ...] = ()
    output_image_width: int | None = None
    created_date_time: datetime | None = None
    modified_date_time: datetime | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class HeadshotContainer:
    """A headshot slot for one user, made from a template."""

    id: str
    template: str | None = None
    template_name: str | None = None
    user: str | None = None
    name: str | None = None
    description: str | None = None
    created_date_time: datetime | None = None
    modified_date_time: datetime | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class HeadshotProject:
    """One headshot session; ``shots`` is undocumented and kept as raw JSON."""

    id: str
    headshot_container: str | None = None
    user: str | None = None
    state: HeadshotProjectState | str | None = None
    organization_display_name: str | None = None
    tripod_inclusion: TripodInclusion | str | None = None
    user_provided_title: str | None = None
    created_date_time: datetime | None = None
    modified_date_time: datetime | None = None
    shots: Any = attrs.field(default=None, hash=False)
    extra: Mapping[str, Any] = extra_field()
