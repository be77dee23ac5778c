"""Typed webhook events: frozen, slotted value classes, and the ``type`` -> class table.

The project and video container summaries share their nested classes (``PublishingFormat``,
``VideoStream``) and open enums (``ProjectState``, ``PublishingStatus``) with
``takeone_async.models``; fields TakeOne adds later land in ``extra``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar

import attrs

from takeone_async.models import (
    ProjectState,
    PublishingFormat,
    PublishingStatus,
    VideoStream,
    extra_field,
)
from takeone_async.models.media import published_stream_url

from ._delivery_key import delivery_key as _delivery_key

__all__ = [
    "EVENT_TYPES",
    "ProjectEvent",
    "ProjectPublished",
    "ProjectStatusChange",
    "ProjectSummary",
    "ProjectUnpublished",
    "UnknownEvent",
    "VideoContainerSummary",
    "WebhookEvent",
]


@attrs.frozen
class ProjectSummary:
    """The project as a webhook describes it (the fields REFERENCE.md documents)."""

    id: str
    video_container: str | None = None
    user: str | None = None
    state: ProjectState | str | None = None
    publishing_status: PublishingStatus | str | None = None
    language: str | None = None
    created_date_time: datetime | None = None
    modified_date_time: datetime | None = None
    published_video_stream: VideoStream | None = None
    publishing_info: Mapping[str, PublishingFormat] | None = None
    extra: Mapping[str, Any] = extra_field()

    def stream_url(self, video_format: str = "landscape") -> str | None:
        """The HLS manifest URL of one published format, or None if there is none."""
        return published_stream_url(self.publishing_info, video_format)


@attrs.frozen
class VideoContainerSummary:
    """The video container as a webhook describes it."""

    id: str
    template: str | None = None
    hotlinking_protection_enabled: bool | None = None
    allowed_origins: tuple[str, ...] = ()
    language: str | None = None
    created_date_time: datetime | None = None
    modified_date_time: datetime | None = None
    video_stream: VideoStream | None = None
    publishing_info: Mapping[str, PublishingFormat] | None = None
    extra: Mapping[str, Any] = extra_field()


def _text(value: str, limit: int = 80) -> str:
    """``value`` fit for a log line: short, and escaped unless plainly printable."""
    short = value if len(value) <= limit else value[:limit] + "..."
    return short if short.isprintable() else ascii(short)


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """One delivery: ``type``, ``timestamp`` (aware UTC), the summaries, and the body itself.

    ``raw`` holds the exact bytes received and ``payload`` their decoded JSON object;
    ``delivery_key`` is the hex SHA-256 of the payload's canonical JSON (keys sorted, no
    whitespace, UTF-8), equal for a re-sent or re-serialised copy of the same event. It is
    computed on first use (a filter or an inbox asks for it), then kept.
    """

    TYPE: ClassVar[str | None] = None

    type: str
    timestamp: datetime
    project: ProjectSummary | None = attrs.field(hash=False)
    video_container: VideoContainerSummary | None = attrs.field(hash=False)
    payload: Mapping[str, Any] = attrs.field(repr=False, hash=False)
    raw: bytes = attrs.field(repr=False)

    @functools.cached_property
    def delivery_key(self) -> str:
        """The idempotency key: hex SHA-256 of the payload's canonical JSON."""
        return _delivery_key(self.payload)

    @property
    def project_id(self) -> str | None:
        """The project's id, or None for an unknown event without a project."""
        return self.project.id if self.project is not None else None

    def describe(self) -> str:
        """``project_published event for project <id>``: safe for a log line."""
        project = _text(self.project.id) if self.project is not None else "-"
        return f"{_text(self.type)} event for project {project}"


@attrs.frozen(kw_only=True)
class ProjectEvent(WebhookEvent):
    """An event of a documented type: it always carries a project."""

    TYPE: ClassVar[str] = ""

    project: ProjectSummary = attrs.field(hash=False)


@attrs.frozen(kw_only=True)
class ProjectStatusChange(ProjectEvent):
    """``project_status_change``: the project's ``state`` or ``publishing_status`` changed."""

    TYPE: ClassVar[str] = "project_status_change"


@attrs.frozen(kw_only=True)
class ProjectPublished(ProjectEvent):
    """``project_published``: publishing completed; ``project.publishing_info`` has the streams."""

    TYPE: ClassVar[str] = "project_published"


@attrs.frozen(kw_only=True)
class ProjectUnpublished(ProjectEvent):
    """``project_unpublished``: unpublishing completed; the streams are gone."""

    TYPE: ClassVar[str] = "project_unpublished"


@attrs.frozen(kw_only=True)
class UnknownEvent(WebhookEvent):
    """A ``type`` this version does not know: kept whole in ``payload``, never dropped.

    ``project`` and ``video_container`` are filled when the body carries them in the documented
    shape, else None.
    """


EVENT_TYPES: Mapping[str, type[ProjectEvent]] = MappingProxyType(
    {cls.TYPE: cls for cls in (ProjectStatusChange, ProjectPublished, ProjectUnpublished)}
)
"""The documented ``type`` strings and their classes."""
