"""The inbox contract: the value classes it hands out and the protocol every backend implements.

Ordering, the same for every inbox (the shared contract tests hold each backend to it):

- **Oldest first per project.** The delivery handed out for a project is its oldest stored,
  unfinished delivery by ``project.modified_date_time`` (a delivery without one sorts before
  every dated one), ties broken by arrival. It does not matter in which order deliveries
  arrived, nor whether an older one is waiting for a retry: if it is the oldest unfinished one,
  nothing newer of its project is handed out; if it waits for its retry time, its project waits.
- **One consumer per project.** A project is held by at most one consumer at a time: from the
  ``claim`` that hands out its delivery until that delivery is finished (``ack``, ``fail``,
  ``dead_letter``, ``skip_stale``) or given back (``release``), or until the visibility timeout
  passes without a ``touch``. Deliveries without a project are independent of each other.
- **A dead consumer's delivery goes again first.** A delivery whose consumer died is still its
  project's oldest unfinished one, so once the visibility timeout has passed it is handed out
  again before any newer delivery of its project.
- **Atomic.** Handing out a delivery and taking its project is one step (one transaction on
  SQLite, one Lua script on Redis): a consumer killed at any moment either holds the project
  with its delivery or holds nothing.

Staleness, judged within a family of related facts (``webhooks.filters.fact_family``):
status changes among status changes, ``project_published`` and ``project_unpublished`` among
themselves, any other type among its own type. ``ack`` raises the high-water mark of the
delivery's project and family; a delivery older than that mark is ``stale`` and the worker
skips it. So a newer status change never hides a publish, a late publish never brings streams
back after a newer unpublish, and a mirror of the status changes never goes back in time.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable

import attrs

from ..filters import fact_family

if TYPE_CHECKING:
    from ..events import WebhookEvent

__all__ = [
    "DeadLetter",
    "Delivery",
    "Inbox",
    "InboxCounts",
    "ProjectMark",
    "StaleRecord",
]


@attrs.frozen
class ProjectMark:
    """What a delivery said about its project: enough to order deliveries and to reconcile."""

    modified: datetime | None
    state: str | None = None
    publishing_status: str | None = None


@attrs.frozen
class Delivery:
    """A stored delivery handed to one consumer by ``claim``; give it back to ack/fail/..."""

    key: str
    raw: bytes
    type: str
    project_id: str | None
    modified: datetime | None
    attempts: int
    high_water: datetime | None
    """The newest ``modified_date_time`` handled for its project in its family, if any."""
    handle: str
    last_error: str | None = None

    @property
    def family(self) -> str:
        """The family of related facts it belongs to (see ``webhooks.filters.fact_family``)."""
        return fact_family(self.type)

    @property
    def stale(self) -> bool:
        """Older than the newest fact of its family already handled for its project
        (``high_water``): handling it would undo that."""
        return (
            self.modified is not None
            and self.high_water is not None
            and (self.modified < self.high_water)
        )


@attrs.frozen
class DeadLetter:
    """A delivery that failed ``max_attempts`` times (or could not be parsed), with its last error."""

    key: str
    raw: bytes
    type: str
    project_id: str | None
    modified: datetime | None
    attempts: int
    error: str
    failed_at: datetime


@attrs.frozen
class StaleRecord:
    """A delivery skipped because its project had already moved past it."""

    key: str
    type: str
    project_id: str | None
    modified: datetime | None
    high_water: datetime | None
    skipped_at: datetime


@attrs.frozen
class InboxCounts:
    """How many deliveries are waiting (``pending``, retries included), being handled, or finished."""

    pending: int
    in_flight: int
    done: int
    stale: int
    dead: int


@runtime_checkable
class Inbox(Protocol):
    """Durable storage of webhook deliveries between the receiver and the workers.

    ``append`` stores a delivery before the receiver answers 2xx; ``claim`` hands deliveries to a
    consumer under the ordering contract in this module's docstring (at most one per project at
    a time, its oldest ``modified_date_time`` first), which then calls exactly one of ``ack``,
    ``fail``, ``dead_letter``, ``skip_stale`` or ``release``. A claimed delivery that is not
    finished within the backend's visibility timeout is handed out again.
    """

    visibility_timeout: float

    async def __aenter__(self) -> Self:
        """Open the storage (create or migrate it) so errors surface before the first call."""
        ...

    async def __aexit__(self, *exc_info: object) -> None:
        """``close()``."""
        ...

    async def append(self, event: WebhookEvent) -> bool:
        """Store a delivery durably; False if one with the same ``delivery_key`` is already stored."""
        ...

    async def claim(self, consumer: str, limit: int, *, wait: float = 0.0) -> Sequence[Delivery]:
        """Up to ``limit`` deliveries for ``consumer``, waiting up to ``wait`` seconds for one."""
        ...

    async def touch(self, deliveries: Collection[Delivery]) -> None:
        """Restart the visibility timeout of deliveries still being handled."""
        ...

    async def release(self, deliveries: Collection[Delivery]) -> None:
        """Give back claimed deliveries that were not started (no attempt is counted)."""
        ...

    async def ack(self, delivery: Delivery) -> None:
        """Handled: finished for good, and its project's high-water mark in its family moves up
        to it."""
        ...

    async def fail(self, delivery: Delivery, error: str, retry_at: datetime) -> None:
        """A handler failed: count the attempt and hand the delivery out again at ``retry_at``."""
        ...

    async def dead_letter(self, delivery: Delivery, error: str) -> None:
        """Give up: keep the delivery with its last error until someone replays it."""
        ...

    async def skip_stale(self, delivery: Delivery) -> None:
        """Finish a stale delivery without handling it, and record that it was skipped."""
        ...

    async def dead_letters(self, limit: int = 100) -> Sequence[DeadLetter]:
        """The oldest dead letters first."""
        ...

    async def replay(self, keys: Collection[str] | None = None) -> int:
        """Move dead letters (all, or those with these delivery keys) back to pending; how many."""
        ...

    async def skipped(self, limit: int = 100) -> Sequence[StaleRecord]:
        """The records of deliveries skipped as stale, oldest first."""
        ...

    async def high_water_mark(self, project_id: str, family: str | None = None) -> datetime | None:
        """The newest ``modified_date_time`` handled for the project in ``family`` (any family
        when None), if any."""
        ...

    async def seen(
        self, project_ids: Collection[str], family: str | None = None
    ) -> dict[str, ProjectMark]:
        """The newest state each project had in any stored delivery (handled or not) of
        ``family`` (of any family when None)."""
        ...

    async def counts(self) -> InboxCounts:
        """How many deliveries are in each state."""
        ...

    async def close(self) -> None:
        """Release connections and threads; the stored deliveries stay."""
        ...
