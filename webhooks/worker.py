"""``Worker``: takes deliveries from an inbox and runs them through a router, with retries.

The inbox hands out at most one delivery per project at a time, its oldest unfinished
``project.modified_date_time`` first (the ordering contract of :mod:`webhooks.inbox`), so one
project's events run one after another in order while different projects run in parallel (up
to ``concurrency``). A handler that raises gets the delivery retried with exponential
back-off; after ``max_attempts`` it is dead-lettered with the last error. A delivery older
than a fact of its family already handled for its project (see
:func:`webhooks.filters.fact_family`) is skipped and recorded as stale. ``stop()`` (or SIGTERM under ``run()``) finishes the deliveries in flight
and leaves the rest in the inbox for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import attrs

from takeone_async.retry import backoff

from .errors import HandlerError, WebhookConfigError, WebhookError, WebhookPayloadError
from .inbox import Delivery, Inbox, InboxError
from .inbox._rules import from_seconds
from .parsing import parse_event
from .router import WebhookRouter

__all__ = ["Backoff", "Worker", "WorkerStats", "default_consumer", "describe_error"]

logger = logging.getLogger("webhooks.worker")

ERROR_LIMIT = 2000


@attrs.frozen
class Backoff:
    """Retry ``n`` (1-based) waits ``min(cap, base * 2**(n-1))``, the upper half of it random
    ("equal jitter"), so retries spread out but never come sooner than half the step."""

    base: float = 1.0
    cap: float = 300.0

    def __attrs_post_init__(self) -> None:
        if not (self.base >= 0 and self.cap >= 0):
            raise WebhookConfigError(
                f"Backoff: base and cap must be >= 0, got {self.base}, {self.cap}"
            )

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry ``retry``."""
        return backoff(retry, self.base, self.cap, jitter=0.5, rng=rng)


@attrs.frozen
class WorkerStats:
    """What a worker did since it was created."""

    handled: int = 0
    retried: int = 0
    dead_lettered: int = 0
    skipped_stale: int = 0
    storage_errors: int = 0


def describe_error(exc: BaseException) -> str:
    """The error text kept with a retried or dead-lettered delivery (bounded in length)."""
    parts = [f"{type(exc).__name__}: {exc}"]
    if isinstance(exc, HandlerError):
        parts += [f"{type(e).__name__}: {e}" for e in exc.errors]
    text = "; ".join(parts)
    return text if len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 3] + "..."


def default_consumer() -> str:
    """``host-pid``: unique per running worker process."""
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    """Claims deliveries from ``inbox``, dispatches them through ``router`` and acknowledges.

    ``concurrency``: deliveries (so projects) handled at once. ``max_attempts``: handler runs
    before a delivery is dead-lettered (>= 1). ``backoff``: a :class:`Backoff` or its base in
    seconds. ``poll_interval``: longest wait for new deliveries before looking again (retries
    come due, other processes append). ``shutdown_timeout``: how long ``stop()`` lets in-flight
    deliveries finish before cancelling them (they are then handed out again later).
    """

    def __init__(
        self,
        inbox: Inbox,
        router: WebhookRouter,
        *,
        concurrency: int = 8,
        max_attempts: int = 5,
        backoff: Backoff | float = Backoff(),
        consumer: str | None = None,
        poll_interval: float = 0.5,
        shutdown_timeout: float = 30.0,
        heartbeat: float | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if concurrency < 1:
            raise WebhookConfigError(f"Worker: concurrency must be >= 1, got {concurrency}")
        if max_attempts < 1:
            raise WebhookConfigError(f"Worker: max_attempts must be >= 1, got {max_attempts}")
        if not poll_interval > 0:
            raise WebhookConfigError(f"Worker: poll_interval must be > 0, got {poll_interval}")
        if not shutdown_timeout >= 0:
            raise WebhookConfigError(
                f"Worker: shutdown_timeout must be >= 0, got {shutdown_timeout}"
            )
        if heartbeat is not None and not heartbeat > 0:
            raise WebhookConfigError(f"Worker: heartbeat must be > 0, got {heartbeat}")
        self.inbox = inbox
        self.router = router
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.backoff = backoff if isinstance(backoff, Backoff) else Backoff(base=float(backoff))
        self.consumer = consumer or default_consumer()
        self.poll_interval = poll_interval
        self.shutdown_timeout = shutdown_timeout
        visibility = float(inbox.visibility_timeout)
        self.heartbeat = heartbeat if heartbeat is not None else max(0.05, visibility / 3)
        self._rng = rng or random.Random()
        self._in_flight: dict[asyncio.Task[None], Delivery] = {}
        self._stopping = asyncio.Event()
        self._stats = WorkerStats()

    def __repr__(self) -> str:
        return (
            f"<Worker {self.consumer!r} on {self.inbox!r}, concurrency={self.concurrency}, "
            f"max_attempts={self.max_attempts}>"
        )

    @property
    def stats(self) -> WorkerStats:
        return self._stats

    def _count(self, **increments: int) -> None:
        self._stats = attrs.evolve(
            self._stats, **{k: getattr(self._stats, k) + v for k, v in increments.items()}
        )

    def stop(self) -> None:
        """Stop claiming; ``run()`` returns once the deliveries in flight are finished, at most
        ``shutdown_timeout`` seconds later (even at full concurrency): any still running then
        are cancelled, not acknowledged, and handed out again after the visibility timeout."""
        if not self._stopping.is_set():
            logger.info(
                "worker %s stopping: finishing %d in flight", self.consumer, len(self._in_flight)
            )
        self._stopping.set()

    async def run(self, *, handle_signals: bool = True) -> WorkerStats:
        """Work until ``stop()`` (or SIGTERM/SIGINT when ``handle_signals``); the stats."""
        self._stopping.clear()
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        if handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(sig, self.stop)
                    installed.append(sig)
        try:
            await self._work(lambda: False)
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
        return self._stats

    async def run_until_idle(self, *, timeout: float = 30.0) -> WorkerStats:  # noqa: ASYNC109
        """Work until nothing is pending (scheduled retries included) and nothing is in flight;
        raises ``TimeoutError`` if that does not happen within ``timeout`` seconds."""
        self._stopping.clear()
        async with asyncio.timeout(timeout):
            await self._work(self._idle)
        return self._stats

    async def _idle(self) -> bool:
        counts = await self.inbox.counts()
        return counts.pending == 0 and counts.in_flight == 0

    async def _work(self, done: Callable[[], Awaitable[bool] | bool]) -> None:
        beat = asyncio.create_task(self._heartbeat())
        # at full concurrency the loop waits for a delivery to finish *or* stop(), so stopping
        # never waits on a slow handler beyond shutdown_timeout
        stopped = asyncio.create_task(self._stopping.wait())
        try:
            while not self._stopping.is_set():
                room = self.concurrency - len(self._in_flight)
                if room <= 0:
                    await asyncio.wait(
                        [*self._in_flight, stopped], return_when=asyncio.FIRST_COMPLETED
                    )
                    continue
                batch = await self._claim(room)
                if batch and self._stopping.is_set():
                    await self._release(batch)
                    break
                for delivery in batch:
                    task = asyncio.create_task(self._handle(delivery))
                    self._in_flight[task] = delivery
                    task.add_done_callback(self._in_flight.pop)
                if not batch and not self._in_flight:
                    result = done()
                    if result if isinstance(result, bool) else await result:
                        return
        finally:
            stopped.cancel()
            await self._drain()
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopped
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _claim(self, room: int) -> list[Delivery]:
        try:
            return list(await self.inbox.claim(self.consumer, room, wait=self.poll_interval))
        except WebhookError as exc:
            self._count(storage_errors=1)
            logger.warning("worker %s: claim failed, retrying: %s", self.consumer, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.poll_interval)
            return []

    async def _release(self, batch: list[Delivery]) -> None:
        try:
            await self.inbox.release(batch)
        except WebhookError as exc:
            self._count(storage_errors=1)
            logger.warning(
                "worker %s: could not give back %d deliveries: %s", self.consumer, len(batch), exc
            )

    async def _drain(self) -> None:
        if not self._in_flight:
            return
        _, late = await asyncio.wait(list(self._in_flight), timeout=self.shutdown_timeout)
        for task in late:
            task.cancel()
        if late:
            logger.warning(
                "worker %s: cancelled %d deliveries still running after %.0fs; they will be "
                "handed out again",
                self.consumer,
                len(late),
                self.shutdown_timeout,
            )
            await asyncio.wait(late)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            if self._in_flight:
                try:
                    await self.inbox.touch(list(self._in_flight.values()))
                except WebhookError as exc:
                    logger.warning("worker %s: heartbeat failed: %s", self.consumer, exc)

    async def _handle(self, delivery: Delivery) -> None:
        try:
            await self._process(delivery)
        except InboxError as exc:
            # not acknowledged: the inbox hands the delivery out again after its timeout
            self._count(storage_errors=1)
            logger.warning("worker %s: inbox failed for %s: %s", self.consumer, delivery.key, exc)
        except Exception:
            logger.exception("worker %s: unexpected error on %s", self.consumer, delivery.key)

    async def _process(self, delivery: Delivery) -> None:
        if delivery.stale:
            logger.info(
                "skipped stale %s delivery %s for project %s (%s < %s, the newest %s fact handled)",
                delivery.type,
                delivery.key[:12],
                delivery.project_id,
                delivery.modified,
                delivery.high_water,
                delivery.family,
            )
            await self.inbox.skip_stale(delivery)
            self._count(skipped_stale=1)
            return
        try:
            event = parse_event(delivery.raw)
        except WebhookPayloadError as exc:
            await self.inbox.dead_letter(delivery, f"unparsable delivery: {exc}")
            self._count(dead_lettered=1)
            return
        try:
            await self.router.dispatch(event)
        except Exception as exc:
            await self._failed(delivery, exc)
            return
        await self.inbox.ack(delivery)
        self._count(handled=1)

    async def _failed(self, delivery: Delivery, exc: Exception) -> None:
        attempt = delivery.attempts + 1
        error = describe_error(exc)
        if attempt >= self.max_attempts:
            logger.error(
                "dead-lettered %s after %d attempts: %s", delivery.key[:12], attempt, error
            )
            await self.inbox.dead_letter(delivery, error)
            self._count(dead_lettered=1)
            return
        delay = self.backoff.delay(attempt, self._rng)
        logger.info(
            "retrying %s in %.2fs (attempt %d of %d failed)",
            delivery.key[:12],
            delay,
            attempt,
            self.max_attempts,
        )
        await self.inbox.fail(delivery, error, from_seconds(time.time()) + timedelta(seconds=delay))
        self._count(retried=1)
