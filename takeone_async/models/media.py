"""Video streams, publishing info and preview info: the media classes shared by several resources."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeAlias

import attrs

from ._extra import extra_field

__all__ = [
    "PreviewFormat",
    "PreviewImages",
    "PreviewInfo",
    "PublishedImages",
    "PublishedVideo",
    "PublishingFormat",
    "PublishingInfo",
    "VideoFormat",
    "VideoStream",
    "published_stream_url",
]


class VideoFormat(StrEnum):
    """A video's aspect: the keys of publishing and preview info."""

    LANDSCAPE = "landscape"
    PORTRAIT = "portrait"
    SQUARE = "square"


@attrs.frozen
class PreviewImages:
    """Still images of a video at several resolutions."""

    original: str | None = None
    high_res: str | None = None
    medium_res: str | None = None
    extra: Mapping[str, Any] = extra_field()


PublishedImages: TypeAlias = PreviewImages


@attrs.frozen
class VideoStream:
    """The deprecated single-stream shape (``published_video_stream``, ``video_stream``)."""

    src: str | None = None
    type: str | None = None
    video_format: VideoFormat | str | None = None
    preview_images: PreviewImages | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class PublishedVideo:
    """A published stream: ``src`` is the HLS manifest URL."""

    src: str | None = None
    type: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class PublishingFormat:
    """One format of a published video: ``.video.src`` streams it, ``.images`` show it."""

    video: PublishedVideo | None = None
    images: PreviewImages | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class PreviewFormat:
    """One format of the low-resolution preview shown before publishing."""

    video_url: str | None = None
    image_url: str | None = None
    extra: Mapping[str, Any] = extra_field()


PublishingInfo: TypeAlias = Mapping[str, PublishingFormat]
"""Format name (``"landscape"``, ``"portrait"``, ``"square"``, or a new one) to its streams."""

PreviewInfo: TypeAlias = Mapping[str, PreviewFormat]
"""Format name to its preview."""


def published_stream_url(
    publishing_info: Mapping[str, PublishingFormat] | None, video_format: str
) -> str | None:
    """The HLS manifest URL of one published format in ``publishing_info``, or None."""
    published = (publishing_info or {}).get(video_format)
    return published.video.src if published is not None and published.video else None
