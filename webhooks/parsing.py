"""``parse_event``: delivery bytes to a typed event. Pure: no I/O, no aiohttp."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, TypeVar

from takeone_async.converter import StructureError, structure

from ._json import loads
from .errors import WebhookPayloadError
from .events import EVENT_TYPES, ProjectSummary, UnknownEvent, VideoContainerSummary, WebhookEvent

__all__ = ["parse_event"]

T = TypeVar("T")


def parse_event(body: bytes) -> WebhookEvent:
    """Parse one delivery body into its event class (``UnknownEvent`` for a new ``type``).

    Raises :class:`WebhookPayloadError`, naming the field, for anything that is not a valid
    event; no other exception escapes, whatever the bytes. The JSON decode is orjson's when
    ``takeone-async[speedups]`` is installed, else ``json.loads``.
    """
    if not body.strip():
        raise WebhookPayloadError("the body is empty")
    payload = loads(body)
    if not isinstance(payload, dict):
        raise WebhookPayloadError(f"the body must be a JSON object, got {_kind(payload)}")
    event_type = payload.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise WebhookPayloadError(_expected("a non-empty string", event_type), field="$.type")
    timestamp = _timestamp(payload.get("timestamp"))
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        return UnknownEvent(
            type=event_type,
            timestamp=timestamp,
            project=_lenient(payload.get("project"), ProjectSummary),
            video_container=_lenient(payload.get("video_container"), VideoContainerSummary),
            payload=payload,
            raw=body,
        )
    project = _summary(payload, "project", ProjectSummary)
    if project is None:
        raise WebhookPayloadError("required field is missing or null", field="$.project")
    return cls(
        type=event_type,
        timestamp=timestamp,
        project=project,
        video_container=_summary(payload, "video_container", VideoContainerSummary),
        payload=payload,
        raw=body,
    )


def _expected(what: str, value: Any) -> str:
    if value is None:
        return "required field is missing or null"
    return f"expected {what}, got {_kind(value)}"


def _kind(value: Any) -> str:
    """How JSON names ``value``'s type, for error messages."""
    return _KINDS.get(type(value), "a number")


_KINDS: dict[type, str] = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    type(None): "null",
}


def _timestamp(value: Any) -> datetime:
    if type(value) not in (int, float):
        raise WebhookPayloadError(_expected("Unix seconds (a number)", value), field="$.timestamp")
    if not math.isfinite(value):  # pragma: no cover - the JSON decoder already rejects these
        raise WebhookPayloadError("expected a finite number", field="$.timestamp")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise WebhookPayloadError(
            f"{value} is out of range for Unix seconds", field="$.timestamp"
        ) from None


def _summary(payload: dict[str, Any], name: str, cls: type[T]) -> T | None:
    value = payload.get(name)
    if value is None:
        return None
    try:
        return structure(value, cls)
    except StructureError as exc:
        raise WebhookPayloadError(exc.reason, field=f"$.{name}{exc.where[1:]}") from None


def _lenient(value: Any, cls: type[T]) -> T | None:
    """An unknown event's summary when it has the documented shape, else None."""
    try:
        return structure(value, cls) if value is not None else None
    except StructureError:
        return None
