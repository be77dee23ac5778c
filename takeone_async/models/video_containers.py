"""Video container templates and video containers: the profile slots videos are recorded into."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs

from ._extra import extra_field
from .media import PublishingFormat, VideoFormat, VideoStream, published_stream_url

__all__ = [
    "ContainerType",
    "Inclusion",
    "RecordingOrientation",
    "VideoContainer",
    "VideoContainerTemplate",
]


class ContainerType(StrEnum):
    """How a container template is sold."""

    SINGLE = "single"
    SUBSCRIPTION = "subscription"


class RecordingOrientation(StrEnum):
    """How the phone is held while recording."""

    LANDSCAPE = "landscape"
    PORTRAIT = "portrait"


class Inclusion(StrEnum):
    """Whether subtitles, lower thirds or music are added."""

    YES = "yes"
    NO = "no"
    DEFER_TO_USER = "defer_to_user"


@attrs.frozen
class VideoContainerTemplate:
    """A template that video containers are made from."""

    id: str
    container_type: ContainerType | str | None = None
    name: str | None = None
    description: str | None = None
    video_hosting_enabled: bool | None = None
    video_download_enabled: bool | None = None
    manager_review_required: bool | None = None
    video_format: VideoFormat | str | None = None
    video_formats: tuple[VideoFormat | str, ...] = ()
    recording_video_orientation: RecordingOrientation | str | None = None
    subtitles_inclusion: Inclusion | str | None = None
    lower_thirds_inclusion: Inclusion | str | None = None
    music_inclusion: Inclusion | str | None = None
    is_active: bool | None = None
    language: str | None = None
    default_manager_provided_script: str | None = None
    default_user_provided_title: str | None = None
    created_date_time: datetime | None = None
    modified_date_time: datetime | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class VideoContainer:
    """A profile slot made from a template; its projects are recordings."""

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
    video_stream: VideoStream | None = None
    publishing_info: Mapping[str, PublishingFormat] | None = attrs.field(default=None, hash=False)
    extra: Mapping[str, Any] = extra_field()

    def stream_url(self, video_format: str = "landscape") -> str | None:
        """The HLS manifest URL of one published format, or None if there is none."""
        return published_stream_url(self.publishing_info, video_format)
