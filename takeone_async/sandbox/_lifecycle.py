"""Pure life cycle of a project: which state changes are allowed, and what each one fills in.

recording/cannot_publish -> editing -> completed/can_publish -> publishing -> published
-> unpublishing -> can_publish. Every step is one ``project_status_change``; reaching
``published`` also sends ``project_published``, and coming back from ``unpublishing`` sends
``project_unpublished``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from ..models import (
    PreviewFormat,
    PreviewImages,
    Project,
    ProjectState,
    PublishedVideo,
    PublishingFormat,
    PublishingStatus,
    VideoStream,
)
from ._errors import SandboxValidationError

__all__ = [
    "PROJECT_PUBLISHED",
    "PROJECT_STATUS_CHANGE",
    "PROJECT_UNPUBLISHED",
    "Media",
    "check_publish",
    "check_unpublish",
    "completed",
    "editing",
    "published",
    "publishing",
    "unpublished",
    "unpublishing",
]

PROJECT_STATUS_CHANGE = "project_status_change"
PROJECT_PUBLISHED = "project_published"
PROJECT_UNPUBLISHED = "project_unpublished"
HLS = "application/x-mpegURL"
_SETTLED = {PublishingStatus.CAN_PUBLISH, PublishingStatus.PUBLISHED}


@attrs.frozen
class Media:
    """Builds the (fake, stable) media URLs of a project under ``base_url``."""

    base_url: str

    def publishing_info(
        self, project_id: str, formats: Sequence[str]
    ) -> dict[str, PublishingFormat]:
        return {
            fmt: PublishingFormat(
                video=PublishedVideo(src=self._manifest(project_id, fmt), type=HLS),
                images=self._images(project_id, fmt),
            )
            for fmt in formats
        }

    def video_stream(self, project_id: str, fmt: str) -> VideoStream:
        return VideoStream(
            src=self._manifest(project_id, fmt),
            type=HLS,
            video_format=fmt,
            preview_images=self._images(project_id, fmt),
        )

    def preview_info(self, project_id: str, formats: Sequence[str]) -> dict[str, PreviewFormat]:
        return {
            fmt: PreviewFormat(
                video_url=f"{self.base_url}/{project_id}/preview/{fmt}.mov",
                image_url=f"{self.base_url}/{project_id}/preview/{fmt}.png",
            )
            for fmt in formats
        }

    def _manifest(self, project_id: str, fmt: str) -> str:
        return f"{self.base_url}/{project_id}/{fmt}/manifest/video.m3u8"

    def _images(self, project_id: str, fmt: str) -> PreviewImages:
        root = f"{self.base_url}/{project_id}/{fmt}/images"
        return PreviewImages(
            original=f"{root}/original", high_res=f"{root}/3840", medium_res=f"{root}/1920"
        )


def _refuse(project: Project, action: str) -> SandboxValidationError:
    status = project.publishing_status
    return SandboxValidationError(
        {"detail": f"project cannot be {action} (publishing_status={status!s})"}
    )


def editing(project: Project, now: datetime) -> Project:
    """The app user finished recording: the video is being edited."""
    if project.state != ProjectState.RECORDING:
        raise SandboxValidationError(
            {"detail": f"project is not recording (state={project.state!s})"}
        )
    return attrs.evolve(project, state=ProjectState.EDITING, modified_date_time=now)


def completed(project: Project, media: Media, formats: Sequence[str], now: datetime) -> Project:
    """Editing is done: a preview exists and the project can be published."""
    preview = media.preview_info(project.id, formats)
    first = next(iter(preview.values()), None)
    return attrs.evolve(
        project,
        state=ProjectState.COMPLETED,
        publishing_status=PublishingStatus.CAN_PUBLISH,
        preview_info=preview,
        preview_streaming_url=first.video_url if first else None,
        preview_thumbnail_image_url=first.image_url if first else None,
        modified_date_time=now,
    )


def check_publish(project: Project) -> None:
    """400 unless the project can be (re)published now."""
    if project.publishing_status not in _SETTLED:
        raise _refuse(project, "published")


def publishing(project: Project, now: datetime) -> Project:
    check_publish(project)
    return attrs.evolve(
        project, publishing_status=PublishingStatus.PUBLISHING, modified_date_time=now
    )


def published(project: Project, media: Media, formats: Sequence[str], now: datetime) -> Project:
    """Publishing finished: one stream per format of the container's template."""
    return attrs.evolve(
        project,
        publishing_status=PublishingStatus.PUBLISHED,
        publishing_info=media.publishing_info(project.id, formats),
        published_video_stream=media.video_stream(project.id, formats[0]) if formats else None,
        modified_date_time=now,
    )


def check_unpublish(project: Project) -> None:
    """400 while nothing can be unpublished (``cannot_publish``) or a change is under way."""
    if project.publishing_status not in _SETTLED:
        raise _refuse(project, "unpublished")


def unpublishing(project: Project, now: datetime) -> Project:
    check_unpublish(project)
    return attrs.evolve(
        project, publishing_status=PublishingStatus.UNPUBLISHING, modified_date_time=now
    )


def unpublished(project: Project, now: datetime) -> Project:
    return attrs.evolve(
        project,
        publishing_status=PublishingStatus.CAN_PUBLISH,
        publishing_info=None,
        published_video_stream=None,
        modified_date_time=now,
    )
