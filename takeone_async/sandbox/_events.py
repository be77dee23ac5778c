"""Pure webhook bodies in the documented shape: built from the SDK's models, encoded, signed."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from .. import signing
from ..converter import unstructure
from ..errors import TakeOneValueError
from ..models import Project, VideoContainer
from ._lifecycle import PROJECT_PUBLISHED, PROJECT_STATUS_CHANGE, PROJECT_UNPUBLISHED
from ._seed import WEBHOOK_EXAMPLE

__all__ = [
    "CONTAINER_SUMMARY_FIELDS",
    "EVENT_TYPES",
    "PROJECT_SUMMARY_FIELDS",
    "build_event",
    "delivery_headers",
    "encode_event",
    "new_message_id",
    "sample_event",
    "stale_event",
]

EVENT_TYPES = (PROJECT_STATUS_CHANGE, PROJECT_PUBLISHED, PROJECT_UNPUBLISHED)
PROJECT_SUMMARY_FIELDS = (
    "id",
    "video_container",
    "user",
    "state",
    "publishing_status",
    "language",
    "created_date_time",
    "modified_date_time",
    "published_video_stream",
    "publishing_info",
)
CONTAINER_SUMMARY_FIELDS = (
    "id",
    "template",
    "hotlinking_protection_enabled",
    "allowed_origins",
    "language",
    "created_date_time",
    "modified_date_time",
    "video_stream",
    "publishing_info",
)
_UNPUBLISHED_CLEARS = ("published_video_stream", "video_stream", "publishing_info")


def _summary(model: Project | VideoContainer, fields: Sequence[str]) -> dict[str, Any]:
    data = unstructure(model)
    return {name: data.get(name) for name in fields}


def build_event(
    event_type: str, project: Project, container: VideoContainer, timestamp: int
) -> dict[str, Any]:
    """The documented body: ``type``, Unix ``timestamp`` and the two summaries."""
    return {
        "type": event_type,
        "timestamp": timestamp,
        "project": _summary(project, PROJECT_SUMMARY_FIELDS),
        "video_container": _summary(container, CONTAINER_SUMMARY_FIELDS),
    }


def encode_event(event: Mapping[str, Any]) -> bytes:
    """The exact bytes POSTed (and signed)."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def new_message_id() -> str:
    """A Standard Webhooks message id, the same on every retry of one delivery."""
    return f"msg_{uuid.uuid4().hex}"


def delivery_headers(
    body: bytes, *, msg_id: str, timestamp: int, keys: Sequence[bytes] = ()
) -> dict[str, str]:
    """Headers of one POST; with signing keys, the Standard Webhooks ``webhook-*`` trio."""
    headers = {"Content-Type": "application/json", "User-Agent": "takeone-sandbox"}
    if keys:
        headers["webhook-id"] = msg_id
        headers["webhook-timestamp"] = str(timestamp)
        headers["webhook-signature"] = signing.signature_header(list(keys), msg_id, timestamp, body)
    return headers


def _unix(value: int | datetime) -> int:
    return int(value.timestamp()) if isinstance(value, datetime) else int(value)


def sample_event(
    event_type: str = PROJECT_PUBLISHED,
    *,
    timestamp: int | datetime | None = None,
    project_id: str | None = None,
    modified_date_time: datetime | None = None,
    **project_fields: Any,
) -> dict[str, Any]:
    """A documented-shape event from the documented example, adapted to ``event_type``.

    ``project_unpublished`` comes back ``can_publish`` without streams; any other type (even an
    unknown one, to test forward compatibility) keeps the example's published project.
    ``project_fields`` override fields of the project summary (``state=``, ...).
    """
    event = copy.deepcopy(WEBHOOK_EXAMPLE)
    event["type"] = event_type
    project, container = event["project"], event["video_container"]
    if event_type == PROJECT_UNPUBLISHED:
        project["publishing_status"] = "can_publish"
        for part in (project, container):
            for name in _UNPUBLISHED_CLEARS:
                if name in part:
                    part[name] = None
    if timestamp is not None:
        event["timestamp"] = _unix(timestamp)
    if project_id is not None:
        project["id"] = project_id
    if modified_date_time is not None:
        project["modified_date_time"] = unstructure_datetime(modified_date_time)
    project.update(project_fields)
    return event


def unstructure_datetime(value: datetime) -> str:
    """A date-time as the API writes it (microseconds, ``Z``)."""
    return str(unstructure(value))


def stale_event(event: Mapping[str, Any], seconds: float = 3600.0) -> dict[str, Any]:
    """A copy that looks ``seconds`` older: earlier ``timestamp`` and ``modified_date_time``."""
    older = copy.deepcopy(dict(event))
    if isinstance(older.get("timestamp"), int | float):
        older["timestamp"] = int(older["timestamp"] - seconds)
    project = older.get("project")
    if isinstance(project, dict) and isinstance(project.get("modified_date_time"), str):
        try:
            modified = datetime.fromisoformat(project["modified_date_time"])
        except ValueError:
            raise TakeOneValueError(
                "stale_event: project.modified_date_time is not an ISO 8601 date-time: "
                f"{project['modified_date_time']!r:.40}"
            ) from None
        if modified.tzinfo is None:
            modified = modified.replace(tzinfo=UTC)
        project["modified_date_time"] = unstructure_datetime(modified - timedelta(seconds=seconds))
    return older
