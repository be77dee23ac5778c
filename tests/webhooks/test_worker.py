"""Worker: claims, dispatches, acknowledges; retries with back-off, dead-letters, skips stale
deliveries, keeps each project in order while projects run in parallel, and stops gracefully."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests.webhooks.inbox.support import at, project_event, wait_until
from webhooks import WebhookEvent, WebhookRouter
from webhooks.errors import HandlerError, WebhookConfigError
from webhooks.inbox import Inbox, InboxError, MemoryInbox, SQLiteInbox
from webhooks.worker import Backoff, Worker, describe_error

pytestmark = pytest.mark.timeout(30)

FAST = Backoff(base=0.01, cap=0.02)


@pytest.fixture(params=["memory", "sqlite"])
async def inbox(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Inbox]:
    """A fresh in-process inbox of each kind (the Redis worker runs in the crash tests)."""
    store: Any = MemoryInbox() if request.param == "memory" else SQLiteInbox(tmp_path / "i.db")
    async with store:
        yield store


class Handler:
    """Records every event per project, optionally failing the first ``failures`` calls of a
    project or waiting on ``gate``; tracks how many projects and calls overlap."""

    def __init__(self, failures: dict[str, int] | None = None) -> None:
        self.failures = dict(failures or {})
        self.calls: dict[str | None, list[WebhookEvent]] = defaultdict(list)
        self.done: dict[str | None, list[WebhookEvent]] = defaultdict(list)
        self.gate: asyncio.Event | None = None
        self.running: dict[str | None, int] = defaultdict(int)
        self.max_same_project = 0
        self.max_parallel = 0

    async def __call__(self, event: WebhookEvent) -> None:
        project = event.project_id
        self.calls[project].append(event)
        self.running[project] += 1
        self.max_same_project = max(self.max_same_project, self.running[project])
        self.max_parallel = max(self.max_parallel, sum(self.running.values()))
        try:
            if self.gate is not None:
                await self.gate.wait()
            else:
                await asyncio.sleep(0)
            if self.failures.get(project or "", 0) > 0:
                self.failures[project or ""] -= 1
                raise RuntimeError(f"handler failed for {project}")
            self.done[project].append(event)
        finally:
            self.running[project] -= 1

    def modified(self, project: str) -> list[Any]:
        return [e.project.modified_date_time for e in self.done[project] if e.project]


def worker_for(inbox: Inbox, handler: Handler, **options: Any) -> Worker:
    router = WebhookRouter()
    router.on_any(handler)
    options.setdefault("backoff", FAST)
    options.setdefault("poll_interval", 0.02)
    return Worker(inbox, router, **options)


async def test_every_delivery_is_handled_once_and_acknowledged(inbox: Inbox) -> None:
    handler = Handler()
    for i in range(20):
        await inbox.append(project_event(f"p{i % 5}", i))
    await inbox.append(project_event("p0", 0))  # a duplicate: stored once
    stats = await worker_for(inbox, handler).run_until_idle(timeout=10)
    assert stats.handled == 20
    assert sum(len(events) for events in handler.calls.values()) == 20
    counts = await inbox.counts()
    assert (counts.done, counts.pending, counts.in_flight) == (20, 0, 0)


async def test_one_project_runs_in_modified_order_even_when_stored_out_of_order(
    inbox: Inbox,
) -> None:
    handler = Handler()
    for modified in [4, 1, 3, 0, 2]:
        await inbox.append(project_event("p1", modified))
    await worker_for(inbox, handler, concurrency=4).run_until_idle(timeout=10)
    assert handler.modified("p1") == [at(m) for m in range(5)]
    assert handler.max_same_project == 1


async def test_projects_run_in_parallel_up_to_the_concurrency(inbox: Inbox) -> None:
    handler = Handler()
    handler.gate = asyncio.Event()
    for i in range(6):
        await inbox.append(project_event(f"p{i}", 1))
    worker = worker_for(inbox, handler, concurrency=3)
    run = asyncio.create_task(worker.run_until_idle(timeout=10))
    await wait_until(lambda: sum(handler.running.values()) == 3, within=5, what="3 in flight")
    await asyncio.sleep(0.05)
    assert sum(handler.running.values()) == 3  # never more than the concurrency
    handler.gate.set()
    await run
    assert handler.max_parallel == 3
    assert len(handler.done) == 6


async def test_a_failing_handler_is_retried_with_backoff_then_succeeds(inbox: Inbox) -> None:
    handler = Handler(failures={"p1": 2})
    await inbox.append(project_event("p1", 1))
    await inbox.append(project_event("p1", 2))
    stats = await worker_for(inbox, handler, max_attempts=5).run_until_idle(timeout=10)
    assert (stats.handled, stats.retried, stats.dead_lettered) == (2, 2, 0)
    assert len(handler.calls["p1"]) == 4
    assert handler.modified("p1") == [at(1), at(2)]  # the newer one waited for the retries


async def test_after_max_attempts_the_delivery_is_dead_lettered_with_the_last_error(
    inbox: Inbox,
) -> None:
    handler = Handler(failures={"bad": 99})
    await inbox.append(project_event("bad", 1))
    for i in range(5):
        await inbox.append(project_event(f"good{i}", 1))
    stats = await worker_for(inbox, handler, max_attempts=3).run_until_idle(timeout=10)
    assert (stats.dead_lettered, stats.retried, stats.handled) == (1, 2, 5)
    assert len(handler.calls["bad"]) == 3
    [letter] = await inbox.dead_letters()
    assert letter.project_id == "bad"
    assert letter.attempts == 3
    assert "RuntimeError: handler failed for bad" in letter.error
    assert "HandlerError" in letter.error
    assert all(handler.done[f"good{i}"] for i in range(5))  # never blocked by "bad"


async def test_a_replayed_dead_letter_is_handled_by_the_next_run(inbox: Inbox) -> None:
    handler = Handler(failures={"p1": 1})
    await inbox.append(project_event("p1", 1))
    await worker_for(inbox, handler, max_attempts=1).run_until_idle(timeout=10)
    assert await inbox.replay() == 1
    stats = await worker_for(inbox, handler, max_attempts=1).run_until_idle(timeout=10)
    assert stats.handled == 1
    assert handler.modified("p1") == [at(1)]


async def test_a_stale_delivery_is_skipped_and_recorded(
    inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    handler = Handler()
    await inbox.append(project_event("p1", 5))
    await worker_for(inbox, handler).run_until_idle(timeout=10)
    await inbox.append(project_event("p1", 3))  # arrives late
    caplog.set_level(logging.INFO, logger="webhooks.worker")
    stats = await worker_for(inbox, handler).run_until_idle(timeout=10)
    assert stats.skipped_stale == 1
    assert handler.modified("p1") == [at(5)]
    [record] = await inbox.skipped()
    assert (record.modified, record.high_water) == (at(3), at(5))
    assert "skipped stale" in caplog.text


async def test_an_unparsable_stored_body_is_dead_lettered(inbox: Inbox) -> None:
    broken = attrs.evolve(project_event("p1", 1), raw=b'{"type": 1}')
    await inbox.append(broken)
    stats = await worker_for(inbox, Handler()).run_until_idle(timeout=10)
    assert stats.dead_lettered == 1
    [letter] = await inbox.dead_letters()
    assert letter.error.startswith("unparsable delivery: $.type")


async def test_stop_finishes_in_flight_deliveries_and_leaves_the_rest(inbox: Inbox) -> None:
    handler = Handler()
    handler.gate = asyncio.Event()
    for i in range(4):
        await inbox.append(project_event("p1", i))
    worker = worker_for(inbox, handler)
    run = asyncio.create_task(worker.run(handle_signals=False))
    await wait_until(lambda: handler.running["p1"] == 1, within=5, what="first delivery")
    worker.stop()
    handler.gate.set()
    stats = await asyncio.wait_for(run, 5)
    assert stats.handled == 1
    counts = await inbox.counts()
    assert (counts.done, counts.pending, counts.in_flight) == (1, 3, 0)
    rest = await worker_for(inbox, handler).run_until_idle(timeout=10)
    assert rest.handled == 3
    assert handler.modified("p1") == [at(i) for i in range(4)]


async def test_sigterm_stops_run_gracefully(inbox: Inbox) -> None:
    handler = Handler()
    handler.gate = asyncio.Event()
    await inbox.append(project_event("p1", 1))
    worker = worker_for(inbox, handler)
    run = asyncio.create_task(worker.run())
    await wait_until(lambda: handler.running["p1"] == 1, within=5, what="delivery in flight")
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.sleep(0.05)
    assert not run.done()  # still finishing the delivery in flight
    handler.gate.set()
    stats = await asyncio.wait_for(run, 5)
    assert stats.handled == 1
    assert (await inbox.counts()).done == 1


async def test_a_handler_outliving_the_shutdown_timeout_is_cancelled_and_kept(
    inbox: Inbox,
) -> None:
    handler = Handler()
    handler.gate = asyncio.Event()  # never set
    await inbox.append(project_event("p1", 1))
    worker = worker_for(inbox, handler, shutdown_timeout=0.05)
    run = asyncio.create_task(worker.run(handle_signals=False))
    await wait_until(lambda: handler.running["p1"] == 1, within=5, what="delivery in flight")
    worker.stop()
    stats = await asyncio.wait_for(run, 5)
    assert stats.handled == 0
    assert (await inbox.counts()).done == 0  # not acknowledged: handed out again later


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@pytest.mark.parametrize("how", ["stop", "sigterm"])
async def test_stop_at_full_concurrency_returns_within_the_shutdown_timeout_and_loses_nothing(
    kind: str, how: str, tmp_path: Path
) -> None:
    store: Any = (
        MemoryInbox(visibility_timeout=0.2)
        if kind == "memory"
        else SQLiteInbox(tmp_path / "i.db", visibility_timeout=0.2)
    )
    async with store as inbox:
        handler = Handler()
        handler.gate = asyncio.Event()  # the handlers outlive the shutdown timeout
        for i in range(3):
            await inbox.append(project_event(f"p{i}", 1))
        worker = worker_for(inbox, handler, concurrency=2, shutdown_timeout=0.1, heartbeat=0.05)
        run = asyncio.create_task(worker.run(handle_signals=how == "sigterm"))
        await wait_until(
            lambda: sum(handler.running.values()) == 2, within=5, what="full concurrency"
        )
        if how == "sigterm":
            os.kill(os.getpid(), signal.SIGTERM)
        else:
            worker.stop()
        stats = await asyncio.wait_for(run, 5)  # waited on the slow handlers forever before
        assert (stats.handled, sum(handler.running.values())) == (0, 0)
        counts = await inbox.counts()
        assert (counts.done, counts.pending + counts.in_flight) == (0, 3)
        handler.gate.set()
        rest = await worker_for(inbox, handler).run_until_idle(timeout=10)
        assert rest.handled == 3  # the two cancelled ones came back after the visibility timeout
        assert sorted(handler.done) == ["p0", "p1", "p2"]


async def test_heartbeat_keeps_a_slow_delivery_from_being_handed_out_twice(tmp_path: Path) -> None:
    async with SQLiteInbox(tmp_path / "i.db", visibility_timeout=0.5) as inbox:
        handler = Handler()
        handler.gate = asyncio.Event()
        await inbox.append(project_event("p1", 1))
        worker = worker_for(inbox, handler, heartbeat=0.05)
        run = asyncio.create_task(worker.run_until_idle(timeout=10))
        await wait_until(lambda: handler.running["p1"] == 1, within=5, what="delivery in flight")
        for _ in range(10):  # 1 s in all, twice the timeout
            await asyncio.sleep(0.1)
            assert await inbox.claim("another-worker", 10) == []
        handler.gate.set()
        await run
        assert len(handler.calls["p1"]) == 1


class FlakyInbox(MemoryInbox):
    """Fails the first ``claims`` claims and the first ``acks`` acks like a broken disk."""

    def __init__(self, claims: int = 0, acks: int = 0) -> None:
        super().__init__(visibility_timeout=0.1)
        self.claims, self.acks = claims, acks

    async def claim(self, consumer: str, limit: int, *, wait: float = 0.0) -> Any:
        if self.claims:
            self.claims -= 1
            raise InboxError("disk on fire")
        return await super().claim(consumer, limit, wait=wait)

    async def ack(self, delivery: Any) -> None:
        if self.acks:
            self.acks -= 1
            raise InboxError("disk on fire")
        await super().ack(delivery)


async def test_storage_errors_are_logged_and_survived(caplog: pytest.LogCaptureFixture) -> None:
    inbox = FlakyInbox(claims=2, acks=1)
    handler = Handler()
    await inbox.append(project_event("p1", 1))
    stats = await worker_for(inbox, handler).run_until_idle(timeout=10)
    assert stats.storage_errors == 3
    assert stats.handled == 1
    assert len(handler.calls["p1"]) == 2  # the unacknowledged one came back after its timeout
    assert "disk on fire" in caplog.text


async def test_run_until_idle_raises_when_work_remains(inbox: Inbox) -> None:
    handler = Handler(failures={"p1": 99})
    await inbox.append(project_event("p1", 1))
    worker = worker_for(inbox, handler, backoff=Backoff(base=60, cap=60))
    with pytest.raises(TimeoutError):
        await worker.run_until_idle(timeout=0.3)
    assert worker.stats.retried == 1


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("concurrency", 0),
        ("max_attempts", 0),
        ("poll_interval", 0),
        ("poll_interval", float("nan")),
        ("shutdown_timeout", -1),
        ("heartbeat", 0),
    ],
)
def test_bad_settings_are_refused(option: str, value: float) -> None:
    with pytest.raises(WebhookConfigError, match=option):  # also a ValueError
        Worker(MemoryInbox(), WebhookRouter(), **{option: value})


def test_backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    backoff = Backoff(base=1.0, cap=8.0)
    rng = random.Random(7)
    for retry, step in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = [backoff.delay(retry, rng) for _ in range(50)]
        assert all(step / 2 <= d <= step for d in delays)
    assert Worker(MemoryInbox(), WebhookRouter(), backoff=0.5).backoff == Backoff(base=0.5)
    with pytest.raises(WebhookConfigError, match="Backoff"):
        Backoff(base=-1)


def test_the_stored_error_names_each_failed_handler_and_is_bounded() -> None:
    event = project_event("p1", 1)
    error = HandlerError(event, [ValueError("a"), KeyError("b")])
    text = describe_error(error)
    assert "ValueError: a" in text
    assert "KeyError: 'b'" in text
    assert len(describe_error(RuntimeError("x" * 10_000))) == 2000


def test_repr_names_the_consumer_and_settings() -> None:
    worker = Worker(MemoryInbox(), WebhookRouter(), consumer="w1", concurrency=2)
    assert "'w1'" in repr(worker)
    assert "concurrency=2" in repr(worker)
