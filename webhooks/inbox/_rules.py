"""Pure inbox rules shared by every backend: timestamps as integers, which state is newer,
what a delivery says about its project and to which family of facts it belongs. No I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs

from ..filters import fact_family
from ._types import ProjectMark

if TYPE_CHECKING:
    from ..events import WebhookEvent

__all__ = [
    "Record",
    "from_micros",
    "from_seconds",
    "micros",
    "newest",
    "record_of",
    "supersedes",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(value: datetime | None) -> int | None:
    """Microseconds since the epoch (exact, unlike a float), or None."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int | None) -> datetime | None:
    """The aware UTC datetime of ``micros``, or None."""
    if value is None:
        return None
    seconds, rest = divmod(int(value), 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest)


def from_seconds(value: float) -> datetime:
    """The aware UTC datetime of a Unix time in seconds."""
    return datetime.fromtimestamp(value, UTC)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@attrs.frozen
class Record:
    """A delivery as the backends store it: the exact body plus the columns they order by."""

    key: str
    raw: bytes
    type: str
    project_id: str | None
    mark: ProjectMark
    family: str

    @property
    def modified_us(self) -> int | None:
        return micros(self.mark.modified)


def record_of(event: WebhookEvent) -> Record:
    """What an inbox stores for a parsed event."""
    project, family = event.project, fact_family(event.type)
    if project is None:
        return Record(
            event.delivery_key, bytes(event.raw), event.type, None, ProjectMark(None), family
        )
    mark = ProjectMark(
        project.modified_date_time, _text(project.state), _text(project.publishing_status)
    )
    return Record(event.delivery_key, bytes(event.raw), event.type, str(project.id), mark, family)


def supersedes(new: ProjectMark, old: ProjectMark | None) -> bool:
    """Whether ``new`` should replace ``old`` as a project's newest known state.

    A later ``modified_date_time`` wins; an equal one with a different state wins too (the API
    is the source of truth when the two disagree about the same instant); a missing time never
    displaces a known one.
    """
    if old is None:
        return True
    if new.modified is None:
        return old.modified is None and (new.state, new.publishing_status) != (
            old.state,
            old.publishing_status,
        )
    if old.modified is None or new.modified > old.modified:
        return True
    return new.modified == old.modified and (new.state, new.publishing_status) != (
        old.state,
        old.publishing_status,
    )


def newest(marks: Iterable[ProjectMark]) -> ProjectMark | None:
    """The mark that supersedes the others (the newest state over several families)."""
    found: ProjectMark | None = None
    for mark in marks:
        if supersedes(mark, found):
            found = mark
    return found
