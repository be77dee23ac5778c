"""Peer decoders with models equivalent to ours: pydantic v2 and msgspec.

pydantic models keep what ours keep: unknown keys (``extra="allow"``), unknown enum values as plain
strings (``Enum | str``), aware datetimes, nested publishing and preview mappings, frozen instances.
msgspec cannot hold an enum-or-string union nor unknown keys, so its models use plain strings and
drop unknown keys: it is a reference point for a compiled decoder, not an equivalent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import pydantic

from takeone_async.models import (
    ProjectState,
    PublishingStatus,
    ScriptInclusion,
    TripodInclusion,
    VideoFormat,
)

__all__ = ["MsgspecEvent", "MsgspecPage", "PydanticEvent", "PydanticPage"]

_CONFIG = pydantic.ConfigDict(extra="allow", frozen=True)


class PImages(pydantic.BaseModel):
    model_config = _CONFIG
    original: str | None = None
    high_res: str | None = None
    medium_res: str | None = None


class PStream(pydantic.BaseModel):
    model_config = _CONFIG
    src: str | None = None
    type: str | None = None
    video_format: VideoFormat | str | None = None
    preview_images: PImages | None = None


class PVideo(pydantic.BaseModel):
    model_config = _CONFIG
    src: str | None = None
    type: str | None = None


class PPublishing(pydantic.BaseModel):
    model_config = _CONFIG
    video: PVideo | None = None
    images: PImages | None = None


class PPreview(pydantic.BaseModel):
    model_config = _CONFIG
    video_url: str | None = None
    image_url: str | None = None


class PProject(pydantic.BaseModel):
    model_config = _CONFIG
    id: str
    video_container: str | None = None
    user: str | None = None
    state: ProjectState | str | None = None
    organization_display_name: str | None = None
    tripod_inclusion: TripodInclusion | str | None = None
    user_provided_title: str | None = None
    script_inclusion: ScriptInclusion | str | None = None
    script: str | None = None
    manager_provided_script: str | None = None
    font_size: Any = None
    font_speed: Any = None
    publishing_status: PublishingStatus | str | None = None
    language: str | None = None
    created_date_time: datetime | None = None
    modified_date_time: datetime | None = None
    published_video_stream: PStream | None = None
    publishing_info: dict[str, PPublishing] | None = None
    preview_info: dict[str, PPreview] | None = None
    preview_streaming_url: str | None = None
    preview_thumbnail_image_url: str | None = None


class PydanticPage(pydantic.BaseModel):
    model_config = _CONFIG
    count: int | None = None
    next: str | None = None
    previous: str | None = None
    results: tuple[PProject, ...]


class PContainer(pydantic.BaseModel):
    model_config = _CONFIG
    id: str
    template: str | None = None
    template_name: str | None = None
    name: str | None = None
    description: str | None = None
    hotlinking_protection_enabled: bool | None = None
    allowed_origins: tuple[str, ...] = ()
    language: str | None = None
    created_date_time: datetime | None = None
    modified_date_time: datetime | None = None
    video_stream: PStream | None = None
    publishing_info: dict[str, PPublishing] | None = None


class PydanticEvent(pydantic.BaseModel):
    model_config = _CONFIG
    type: str
    timestamp: datetime | None = None
    project: PProject | None = None
    video_container: PContainer | None = None


class MImages(msgspec.Struct, frozen=True):
    original: str | None = None
    high_res: str | None = None
    medium_res: str | None = None


class MStream(msgspec.Struct, frozen=True):
    src: str | None = None
    type: str | None = None
    video_format: str | None = None
    preview_images: MImages | None = None


class MVideo(msgspec.Struct, frozen=True):
    src: str | None = None
    type: str | None = None


class MPublishing(msgspec.Struct, frozen=True):
    video: MVideo | None = None
    images: MImages | None = None


class MPreview(msgspec.Struct, frozen=True):
    video_url: str | None = None
    image_url: str | None = None


class MProject(msgspec.Struct, frozen=True):
    id: str
    video_container: str | None = None
    user: str | None = None
    state: str | None = None
    organization_display_name: str | None = None
    tripod_inclusion: str | None = None
    user_provided_title: str | None = None
    script_inclusion: str | None = None
    script: str | None = None
    manager_provided_script: str | None = None
    font_size: Any = None
    font_speed: Any = None
    publishing_status: str | None = None
    language: str | None = None
    created_date_time: datetime | None = None
    modified_date_time: datetime | None = None
    published_video_stream: MStream | None = None
    publishing_info: dict[str, MPublishing] | None = None
    preview_info: dict[str, MPreview] | None = None
    preview_streaming_url: str | None = None
    preview_thumbnail_image_url: str | None = None


class MsgspecPage(msgspec.Struct, frozen=True):
    results: tuple[MProject, ...]
    count: int | None = None
    next: str | None = None
    previous: str | None = None


class MContainer(msgspec.Struct, frozen=True):
    id: str
    template: str | None = None
    template_name: str | None = None
    name: str | None = None
    description: str | None = None
    hotlinking_protection_enabled: bool | None = None
    allowed_origins: tuple[str, ...] = ()
    language: str | None = None
    created_date_time: datetime | None = None
    modified_date_time: datetime | None = None
    video_stream: MStream | None = None
    publishing_info: dict[str, MPublishing] | None = None


class MsgspecEvent(msgspec.Struct, frozen=True):
    type: str
    timestamp: int | None = None
    project: MProject | None = None
    video_container: MContainer | None = None
