"""``MemoryInbox``: the inbox contract in a dict, for tests and single-process experiments."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from ._rules import Record, from_seconds, newest, record_of, supersedes
from ._types import DeadLetter, Delivery, InboxCounts, ProjectMark, StaleRecord

if TYPE_CHECKING:
    from ..events import WebhookEvent

__all__ = ["MemoryInbox"]

PENDING, CLAIMED, DONE, STALE, DEAD = "pending", "claimed", "done", "stale", "dead"


@attrs.define
class _Entry:
    record: Record
    seq: int
    status: str = PENDING
    attempts: int = 0
    available_at: float = 0.0
    claimed_until: float = 0.0
    last_error: str | None = None
    finished_at: float = 0.0
    high_water: datetime | None = None

    def order(self) -> tuple[bool, datetime | None, int]:
        modified = self.record.mark.modified
        return (modified is not None, modified, self.seq)


class MemoryInbox:
    """Everything lives in this process and is gone when it exits: for tests, not production.

    Same semantics as the durable inboxes: dedup by ``delivery_key``, the ordering contract of
    :mod:`webhooks.inbox` (one delivery per project in flight, its oldest unfinished one
    first), retries, dead letters, stale records per family of facts.
    """

    def __init__(
        self, *, visibility_timeout: float = 60.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.visibility_timeout = visibility_timeout
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._active: dict[str, _Entry] = {}
        self._high_water: dict[tuple[str, str], datetime] = {}
        self._seen: dict[tuple[str, str], ProjectMark] = {}
        self._seq = itertools.count(1)
        self._wake = asyncio.Event()

    def __repr__(self) -> str:
        return f"MemoryInbox(<{len(self._entries)} deliveries>)"

    async def __aenter__(self) -> MemoryInbox:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def append(self, event: WebhookEvent) -> bool:
        record = record_of(event)
        if record.key in self._entries:
            return False
        entry = _Entry(record, next(self._seq), available_at=self._clock())
        self._entries[record.key] = entry
        self._active[record.key] = entry
        if record.project_id is not None:
            fact = (record.project_id, record.family)
            if supersedes(record.mark, self._seen.get(fact)):
                self._seen[fact] = record.mark
        self._wake.set()
        return True

    def _claimable(self, now: float) -> list[_Entry]:
        heads: dict[str, _Entry] = {}
        busy: set[str] = set()
        loose: list[_Entry] = []
        for entry in self._active.values():
            if entry.status == CLAIMED and entry.claimed_until <= now:
                entry.status = PENDING
            project = entry.record.project_id
            if project is None:
                if entry.status == PENDING and entry.available_at <= now:
                    loose.append(entry)
                continue
            if entry.status == CLAIMED:
                busy.add(project)
            head = heads.get(project)
            if head is None or entry.order() < head.order():
                heads[project] = entry
        ready = [
            head
            for project, head in heads.items()
            if project not in busy and head.status == PENDING and head.available_at <= now
        ]
        return sorted(ready + loose, key=lambda e: e.seq)

    async def claim(self, consumer: str, limit: int, *, wait: float = 0.0) -> Sequence[Delivery]:
        self._wake.clear()
        ready = self._claimable(self._clock())
        if not ready and wait > 0:
            try:
                await asyncio.wait_for(self._wake.wait(), wait)
            except TimeoutError:
                return []
            ready = self._claimable(self._clock())
        now = self._clock()
        out = []
        for entry in ready[: max(limit, 0)]:
            entry.status = CLAIMED
            entry.claimed_until = now + self.visibility_timeout
            out.append(self._delivery(entry))
        return out

    def _delivery(self, entry: _Entry) -> Delivery:
        record = entry.record
        project = record.project_id
        return Delivery(
            key=record.key,
            raw=record.raw,
            type=record.type,
            project_id=project,
            modified=record.mark.modified,
            attempts=entry.attempts,
            high_water=None if project is None else self._high_water.get((project, record.family)),
            handle=str(entry.seq),
            last_error=entry.last_error,
        )

    async def touch(self, deliveries: Collection[Delivery]) -> None:
        until = self._clock() + self.visibility_timeout
        for delivery in deliveries:
            entry = self._active.get(delivery.key)
            if entry is not None and entry.status == CLAIMED:
                entry.claimed_until = until

    async def release(self, deliveries: Collection[Delivery]) -> None:
        for delivery in deliveries:
            entry = self._active.get(delivery.key)
            if entry is not None and entry.status == CLAIMED:
                entry.status = PENDING
        self._wake.set()

    def _finish(self, delivery: Delivery, status: str) -> _Entry | None:
        entry = self._active.pop(delivery.key, None)
        if entry is not None:
            entry.status = status
            entry.finished_at = self._clock()
            self._wake.set()
        return entry

    async def ack(self, delivery: Delivery) -> None:
        self._finish(delivery, DONE)
        project, modified = delivery.project_id, delivery.modified
        if project is not None and modified is not None:
            fact = (project, delivery.family)
            current = self._high_water.get(fact)
            if current is None or modified > current:
                self._high_water[fact] = modified

    async def fail(self, delivery: Delivery, error: str, retry_at: datetime) -> None:
        entry = self._active.get(delivery.key)
        if entry is None:
            return
        entry.status = PENDING
        entry.attempts += 1
        entry.last_error = error
        entry.available_at = retry_at.timestamp()
        self._wake.set()

    async def dead_letter(self, delivery: Delivery, error: str) -> None:
        entry = self._finish(delivery, DEAD)
        if entry is not None:
            entry.attempts = max(entry.attempts, delivery.attempts) + 1
            entry.last_error = error

    async def skip_stale(self, delivery: Delivery) -> None:
        entry = self._finish(delivery, STALE)
        if entry is not None:
            entry.high_water = delivery.high_water

    def _with_status(self, status: str) -> list[_Entry]:
        found = [e for e in self._entries.values() if e.status == status]
        return sorted(found, key=lambda e: (e.finished_at, e.seq))

    async def dead_letters(self, limit: int = 100) -> Sequence[DeadLetter]:
        return [
            DeadLetter(
                key=e.record.key,
                raw=e.record.raw,
                type=e.record.type,
                project_id=e.record.project_id,
                modified=e.record.mark.modified,
                attempts=e.attempts,
                error=e.last_error or "",
                failed_at=from_seconds(e.finished_at),
            )
            for e in self._with_status(DEAD)[:limit]
        ]

    async def replay(self, keys: Collection[str] | None = None) -> int:
        chosen = self._with_status(DEAD)
        if keys is not None:
            wanted = set(keys)
            chosen = [e for e in chosen if e.record.key in wanted]
        now = self._clock()
        for entry in chosen:
            entry.status, entry.attempts, entry.available_at = PENDING, 0, now
            self._active[entry.record.key] = entry
        if chosen:
            self._wake.set()
        return len(chosen)

    async def skipped(self, limit: int = 100) -> Sequence[StaleRecord]:
        return [
            StaleRecord(
                key=e.record.key,
                type=e.record.type,
                project_id=e.record.project_id,
                modified=e.record.mark.modified,
                high_water=e.high_water,
                skipped_at=from_seconds(e.finished_at),
            )
            for e in self._with_status(STALE)[:limit]
        ]

    async def high_water_mark(self, project_id: str, family: str | None = None) -> datetime | None:
        if family is not None:
            return self._high_water.get((project_id, family))
        marks = [m for (p, _), m in self._high_water.items() if p == project_id]
        return max(marks, default=None)

    async def seen(
        self, project_ids: Collection[str], family: str | None = None
    ) -> dict[str, ProjectMark]:
        found: dict[str, ProjectMark] = {}
        for project in project_ids:
            if family is not None:
                mark = self._seen.get((project, family))
            else:
                mark = newest(m for (p, f), m in sorted(self._seen.items()) if p == project)
            if mark is not None:
                found[project] = mark
        return found

    async def counts(self) -> InboxCounts:
        tally = {PENDING: 0, CLAIMED: 0, DONE: 0, STALE: 0, DEAD: 0}
        for entry in self._entries.values():
            tally[entry.status] += 1
        return InboxCounts(tally[PENDING], tally[CLAIMED], tally[DONE], tally[STALE], tally[DEAD])

    async def close(self) -> None:
        self._wake.set()
