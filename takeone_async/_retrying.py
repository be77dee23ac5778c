"""The one retry loop: every client call and ``app_users.get_or_create`` run through it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs

from .retry import Attempts

__all__ = ["Retry", "retrying"]

T = TypeVar("T")
logger = logging.getLogger("takeone_async")


@attrs.frozen
class Retry:
    """What a failed attempt returns when another may follow: the error to raise if none can,
    and the server's ``Retry-After`` in seconds."""

    error: Exception
    retry_after: float | None = None


async def retrying(name: str, attempts: Attempts, attempt: Callable[[], Awaitable[T | Retry]]) -> T:
    """Await ``attempt`` until it gives a result, waiting between attempts as ``attempts``
    decides; raise the last :class:`Retry`'s error when no attempt or time is left.

    ``attempt`` counts itself with ``attempts.start()`` and raises what must not be retried.
    """
    while True:
        outcome = await attempt()
        if not isinstance(outcome, Retry):
            return outcome
        delay = attempts.next_delay(outcome.retry_after)
        if delay is None:
            raise outcome.error
        logger.info(
            "retrying %s in %.2fs (attempt %d failed: %s)",
            name,
            delay,
            attempts.made,
            outcome.error,
        )
        await asyncio.sleep(delay)
