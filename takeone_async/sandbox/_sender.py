"""Delivers webhook events to the configured URLs: in order per URL, signed if asked, retried
with exponential back-off, every attempt recorded in the delivery log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

import aiohttp
import attrs

from ..retry import backoff
from ..urls import redact_url
from ._events import delivery_headers, encode_event, new_message_id

__all__ = [
    "Delivery",
    "DeliveryAttempt",
    "WebhookSender",
    "log_deliveries",
    "post_event",
    "shown_url",
]

logger = logging.getLogger("takeone_async.sandbox")
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
_MAX_BACKOFF = 30.0


def shown_url(url: str) -> str:
    """How the sandbox shows a webhook URL in its records, logs and messages: no password, no
    query value. Where a query or a password holds the secret, the path shows in full; a URL
    with neither may end in a path token (``webhooks.PathToken``), so its final segment is hidden."""
    return redact_url(url, path_token=None)


@contextlib.contextmanager
def log_deliveries(stream: TextIO) -> Iterator[None]:
    """While the block runs, each delivery attempt's outcome is one line on ``stream``
    (``takeone sandbox`` shows them on stderr)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@attrs.frozen
class DeliveryAttempt:
    """One POST of a delivery: the status answered, or the error that prevented an answer."""

    at: datetime
    status: int | None = None
    error: str | None = None

    @property
    def outcome(self) -> str:
        """``HTTP <status>``, or the error (the URL in it shown as :func:`shown_url` gives it)."""
        return self.error or f"HTTP {self.status}"


@attrs.frozen
class Delivery:
    """One event to one URL, with its attempts so far. ``url`` is shown as :func:`shown_url`
    gives it: without its password, query values or final path segment (secrets all)."""

    id: str
    url: str
    type: str
    project_id: str | None
    event: Mapping[str, Any]
    attempts: tuple[DeliveryAttempt, ...] = ()
    state: str = PENDING


async def post_event(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float,  # noqa: ASYNC109 - passed on to aiohttp
) -> int:
    """POST one body; the status answered (errors propagate as aiohttp/timeout errors)."""
    async with session.post(
        url,
        data=body,
        headers=dict(headers),
        timeout=aiohttp.ClientTimeout(total=timeout),
        allow_redirects=False,
    ) as response:
        await response.read()
        return response.status


class WebhookSender:
    """One ordered queue and worker task per URL; a shared session."""

    def __init__(
        self,
        urls: Sequence[str] = (),
        *,
        signing_keys: Sequence[bytes] = (),
        attempts: int = 5,
        backoff: float = 0.5,
        timeout: float = 5.0,
    ) -> None:
        self.urls = list(urls)
        self.signing_keys = list(signing_keys)
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self._log: dict[str, Delivery] = {}
        self._queues: dict[str, asyncio.Queue[str]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    @property
    def deliveries(self) -> tuple[Delivery, ...]:
        return tuple(self._log.values())

    def clear(self) -> None:
        """Forget delivered and failed records (pending ones stay)."""
        self._log = {key: d for key, d in self._log.items() if d.state == PENDING}

    def send(self, event: Mapping[str, Any]) -> None:
        """Queue ``event`` for every URL."""
        project = event.get("project")
        project_id = project.get("id") if isinstance(project, Mapping) else None
        for url in self.urls:
            delivery = Delivery(
                id=new_message_id(),
                url=shown_url(url),
                type=str(event.get("type")),
                project_id=project_id,
                event=dict(event),
            )
            self._log[delivery.id] = delivery
            self._queue(url).put_nowait(delivery.id)

    def _queue(self, url: str) -> asyncio.Queue[str]:
        queue = self._queues.get(url)
        if queue is None:
            queue = self._queues[url] = asyncio.Queue()
            self._workers.append(asyncio.get_running_loop().create_task(self._work(url, queue)))
        return queue

    async def _work(self, url: str, queue: asyncio.Queue[str]) -> None:
        while True:
            delivery_id = await queue.get()
            try:
                await self._deliver(url, delivery_id)
            finally:
                queue.task_done()

    async def _deliver(self, url: str, delivery_id: str) -> None:
        record = self._log[delivery_id]
        body = encode_event(record.event)
        for attempt in range(1, self.attempts + 1):
            headers = delivery_headers(
                body, msg_id=record.id, timestamp=int(time.time()), keys=self.signing_keys
            )
            status, error = await self._post(url, body, headers)
            record = attrs.evolve(
                record,
                attempts=(*record.attempts, DeliveryAttempt(datetime.now(UTC), status, error)),
            )
            if status is not None and 200 <= status < 300:
                self._log[delivery_id] = attrs.evolve(record, state=DELIVERED)
                logger.info(
                    "sandbox: %s -> %s: HTTP %d (attempt %d/%d)",
                    record.type,
                    record.url,
                    status,
                    attempt,
                    self.attempts,
                )
                return
            self._log[delivery_id] = record
            if attempt < self.attempts:
                logger.warning(
                    "sandbox: %s -> %s: %s (attempt %d/%d, retrying)",
                    record.type,
                    record.url,
                    record.attempts[-1].outcome,
                    attempt,
                    self.attempts,
                )
                await asyncio.sleep(backoff(attempt, self.backoff, _MAX_BACKOFF, jitter=0))
        self._log[delivery_id] = attrs.evolve(record, state=FAILED)
        logger.warning(
            "sandbox: %s -> %s: given up after %s: %s",
            record.type,
            record.url,
            _attempts(self.attempts),
            record.attempts[-1].outcome,
        )

    async def _post(
        self, url: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int | None, str | None]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        try:
            return await post_event(self._session, url, body, headers, self.timeout), None
        except TimeoutError:
            return None, f"timed out after {self.timeout:g}s"
        except aiohttp.InvalidURL:
            return None, "invalid URL"
        except aiohttp.ClientConnectionError as exc:  # its text names the host, not the URL
            return None, f"{type(exc).__name__}: {exc}"
        except aiohttp.ClientError as exc:  # other texts may quote the URL: the type alone
            return None, type(exc).__name__

    @property
    def busy(self) -> bool:
        """Whether a delivery is queued or in flight."""
        return any(d.state == PENDING for d in self._log.values())

    def unfinished(self, waited: float) -> str:
        """What ``waited`` seconds of waiting left: deliveries still pending, and those given up,
        each group with its latest outcome and URL (the message of ``Sandbox.settle``)."""
        pending = [d for d in self._log.values() if d.state == PENDING]
        given_up = [d for d in self._log.values() if d.state == FAILED]
        tried = [d for d in pending if d.attempts]
        text = f"{len(pending)} webhook delivery(ies) still pending after {waited:g}s"
        if tried:
            last = tried[0]
            text += (
                f", latest attempt {len(last.attempts)}/{self.attempts}:"
                f" {last.attempts[-1].outcome} ({last.url})"
            )
        if given_up:
            last = given_up[-1]
            text += (
                f"; {len(given_up)} given up after {_attempts(len(last.attempts))}:"
                f" {last.attempts[-1].outcome} ({last.url})"
            )
        return text

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109 - a bound, not a deadline API
        """Wait until every queued delivery is delivered or failed."""
        async with asyncio.timeout(timeout):
            for queue in list(self._queues.values()):
                await queue.join()

    async def close(self) -> None:
        """Stop the workers (pending deliveries are dropped) and close the session."""
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()
        self._queues.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None


def _attempts(count: int) -> str:
    return f"{count} attempt{'' if count == 1 else 's'}"
