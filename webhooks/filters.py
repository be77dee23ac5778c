"""Filters that let ``WebhookRouter.dispatch`` skip repeated or outdated deliveries.

A filter is any object with three async methods (the :class:`EventFilter` protocol): ``admit``
before the handlers (False skips the event), then ``done`` once every handler succeeded, or
``release`` when the event was admitted but not handled (a handler failed or a later filter
skipped it), so that a redelivery is admitted again. The in-memory versions here serve one
process; the durable inbox versions implement the same protocol.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from .errors import WebhookConfigError
from .events import WebhookEvent

__all__ = ["Deduplicate", "DropStale", "EventFilter", "fact_family"]

logger = logging.getLogger(__name__)


@runtime_checkable
class EventFilter(Protocol):
    """Decides whether an event is handled, and hears how handling ended."""

    async def admit(self, event: WebhookEvent) -> bool:
        """True to run the handlers, False to skip the event (dispatch then returns False)."""

    async def done(self, event: WebhookEvent) -> None:
        """Every handler succeeded for an admitted event."""

    async def release(self, event: WebhookEvent) -> None:
        """An admitted event was not handled after all; forget that it was admitted."""


_FAMILIES = {
    "project_status_change": "status",
    "project_published": "publishing",
    "project_unpublished": "publishing",
}


def fact_family(event_type: str) -> str:
    """The family of related facts an event type belongs to; staleness is judged within it.

    ``project_status_change`` events form the family ``"status"`` (a state replaces the state
    before it); ``project_published`` and ``project_unpublished`` form ``"publishing"`` (the
    newest of them says whether the streams exist); any other type is a family of its own,
    ``"type:<the type>"`` (prefixed, so that no type can join the two families above). A delivery is stale when a newer delivery of the same project *and the
    same family* was already handled: a newer status change never hides a publish, and a late
    publish never brings streams back after a newer unpublish.
    """
    return _FAMILIES.get(event_type) or f"type:{event_type}"


def _seconds(window: timedelta | float) -> float:
    seconds = window.total_seconds() if isinstance(window, timedelta) else float(window)
    if not seconds > 0:
        raise WebhookConfigError(f"Deduplicate: window must be positive, got {window!r}")
    return seconds


class Deduplicate:
    """Skips an event whose ``delivery_key`` was handled within ``window`` or is being handled
    right now (a concurrent redelivery). In memory, so per process; at most ``max_entries``
    keys are remembered (oldest forgotten first)."""

    def __init__(
        self,
        *,
        window: timedelta | float = timedelta(hours=1),
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise WebhookConfigError(f"Deduplicate: max_entries must be >= 1, got {max_entries}")
        self._window = _seconds(window)
        self._max_entries = max_entries
        self._clock = clock
        self._handled: OrderedDict[str, float] = OrderedDict()
        self._in_flight: set[str] = set()

    def __repr__(self) -> str:
        return f"Deduplicate(window={self._window:g}s, remembered={len(self._handled)})"

    def _expire(self, now: float) -> None:
        while self._handled:
            key, expires = next(iter(self._handled.items()))
            if expires > now:
                break
            del self._handled[key]

    async def admit(self, event: WebhookEvent) -> bool:
        self._expire(self._clock())
        key = event.delivery_key
        if key in self._handled or key in self._in_flight:
            if logger.isEnabledFor(logging.DEBUG):
                state = "being handled" if key in self._in_flight else "already handled"
                logger.debug("duplicate delivery of %s (%s)", event.describe(), state)
            return False
        self._in_flight.add(key)
        return True

    async def done(self, event: WebhookEvent) -> None:
        key = event.delivery_key
        self._in_flight.discard(key)
        self._handled[key] = self._clock() + self._window
        self._handled.move_to_end(key)
        while len(self._handled) > self._max_entries:
            self._handled.popitem(last=False)

    async def release(self, event: WebhookEvent) -> None:
        self._in_flight.discard(event.delivery_key)


class DropStale:
    """Skips an event whose ``project.modified_date_time`` is older than the newest already
    handled for that project within its family of related facts (:func:`fact_family`), since
    deliveries may arrive out of order; logs that it did.

    So a handler of ``ProjectPublished`` alone gets every publish that no newer publish or
    unpublish superseded, and a mirror of the status changes never goes back to an older
    state. Events without a project or without ``modified_date_time`` are always admitted. At
    most ``max_projects`` projects are remembered (least recently handled forgotten first).
    """

    def __init__(self, *, max_projects: int = 100_000) -> None:
        if max_projects < 1:
            raise WebhookConfigError(f"DropStale: max_projects must be >= 1, got {max_projects}")
        self._max_projects = max_projects
        self._newest: OrderedDict[str, dict[str, datetime]] = OrderedDict()

    def __repr__(self) -> str:
        return f"DropStale(remembered={len(self._newest)})"

    async def admit(self, event: WebhookEvent) -> bool:
        project = event.project
        if project is None or project.modified_date_time is None:
            return True
        family = fact_family(event.type)
        newest = self._newest.get(project.id, {}).get(family)
        if newest is not None and project.modified_date_time < newest:
            logger.info(
                "dropping stale %s: modified %s, older than the %s fact %s already handled",
                event.describe(),
                project.modified_date_time.isoformat(),
                family,
                newest.isoformat(),
            )
            return False
        return True

    async def done(self, event: WebhookEvent) -> None:
        project = event.project
        if project is None or project.modified_date_time is None:
            return
        family = fact_family(event.type)
        marks = self._newest.setdefault(project.id, {})
        newest = marks.get(family)
        if newest is None or project.modified_date_time > newest:
            marks[family] = project.modified_date_time
        self._newest.move_to_end(project.id)
        while len(self._newest) > self._max_projects:
            self._newest.popitem(last=False)

    async def release(self, event: WebhookEvent) -> None:
        """Nothing to undo: only ``done`` records a time."""
