"""Projects: one recording each, with its life cycle and publishing state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs

from ._extra import extra_field
from .media import PreviewFormat, PublishingFormat, VideoStream, published_stream_url

__all__ = ["Project", "ProjectState", "PublishingStatus", "ScriptInclusion", "TripodInclusion"]


class ProjectState(StrEnum):
    """Where the recording is (documented values; others may appear)."""

    RECORDING = "recording"
    EDITING = "editing"
    COMPLETED = "completed"


class PublishingStatus(StrEnum):
    """Whether the project's video can be, is being, or has been published."""

    CAN_PUBLISH = "can_publish"
    CANNOT_PUBLISH = "cannot_publish"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    UNPUBLISHING = "unpublishing"


class TripodInclusion(StrEnum):
    """Whether the user records with a tripod."""

    WITH_TRIPOD = "with_tripod"
    WITHOUT_TRIPOD = "without_tripod"


class ScriptInclusion(StrEnum):
    """Whether the user reads a script."""

    SCRIPTED = "scripted"
    UNSCRIPTED = "unscripted"


@attrs.frozen
class Project:
    """One recording of a video container by an app user."""

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
    font_size: Any = attrs.field(default=None, hash=False)
    font_speed: Any = attrs.field(default=None, hash=False)
    publishing_status: PublishingStatus | str | None = None
    language: str | None = None
    created_date_time: datetime | None = None
    modified_date_time: datetime | None = None
    published_video_stream: VideoStream | None = None
    publishing_info: Mapping[str, PublishingFormat] | None = attrs.field(default=None, hash=False)
    preview_info: Mapping[str, PreviewFormat] | None = attrs.field(default=None, hash=False)
    preview_streaming_url: str | None = None
    preview_thumbnail_image_url: str | None = None
    extra: Mapping[str, Any] = extra_field()

    def stream_url(self, video_format: str = "landscape") -> str | None:
        """The HLS manifest URL of one published format, or None if there is none."""
        return published_stream_url(self.publishing_info, video_format)
