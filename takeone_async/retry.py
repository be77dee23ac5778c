"""The retry rules the client follows, and the one back-off function of the project.

Pure: no I/O, no clock but the one :class:`Attempts` is given. :func:`backoff` is shared by the
client, ``webhooks.worker`` (redelivery of a failed delivery) and the sandbox's webhook sender.
"""

from __future__ import annotations

import enum
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import attrs

__all__ = [
    "IDEMPOTENT_METHODS",
    "RETRYABLE_STATUSES",
    "Attempts",
    "Failure",
    "RetryPolicy",
    "backoff",
    "parse_retry_after",
]

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_MAX_DOUBLINGS = 1000  # 2.0 ** 1000 passes any cap and still fits a float


class Failure(enum.Enum):
    """How an attempt failed, as far as retry safety is concerned."""

    NOT_SENT = "not_sent"  # the connection was never established: nothing reached the server
    CONNECTION = "connection"  # dropped or reset after the request may have been sent
    TIMEOUT = "timeout"  # the answer did not come in time: the request may have taken effect
    STATUS = "status"  # the server answered with a status
    UNSENDABLE = "unsendable"  # the request cannot be sent as it is: trying again fails the same


def backoff(
    retry: int,
    base: float,
    cap: float,
    *,
    jitter: float = 1.0,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry ``retry`` (1-based): the step ``min(cap, base * 2**(retry-1))``,
    of which the share ``jitter`` is random.

    ``jitter=1.0`` is "full jitter" (uniform between 0 and the step: the client), ``0.5`` "equal
    jitter" (never sooner than half the step: the webhooks worker), ``0.0`` none (the sandbox).
    """
    step = min(cap, base * 2.0 ** min(max(retry - 1, 0), _MAX_DOUBLINGS))
    if not jitter:
        return step
    return step * (1.0 - jitter) + (rng or random).uniform(0, step * jitter)


@attrs.frozen
class RetryPolicy:
    """Back-off with full jitter: attempt n waits uniform(0, min(cap, base * 2**(n-1)))."""

    max_retries: int = 2
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    retry_after_cap: float = 60.0

    def should_retry(self, method: str, failure: Failure, status: int | None = None) -> bool:
        """Whether this failure of this method may be retried without doubling an effect."""
        if failure is Failure.NOT_SENT:
            return True
        if failure is Failure.STATUS:
            if status == 429:
                return True
            return method in IDEMPOTENT_METHODS and status in RETRYABLE_STATUSES
        if failure is Failure.UNSENDABLE:
            return False
        return method in IDEMPOTENT_METHODS

    def delay(
        self, retry_number: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based): the server's ``Retry-After``
        up to ``retry_after_cap`` when it sent one, else :func:`backoff` with full jitter."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        return backoff(retry_number, self.backoff_base, self.backoff_cap, rng=rng)


@attrs.define
class Attempts:
    """The attempts of one operation under a policy: how many were made, what is left of its
    ``deadline`` (seconds for all attempts and waits together), and the wait before the next.

    Used by the client's request loop and by ``app_users.get_or_create``, which retries a
    look-up and a create as a whole.
    """

    policy: RetryPolicy
    limit: int
    """Attempts allowed in all (the policy's ``max_retries + 1`` for a request)."""
    deadline: float | None = None
    clock: Callable[[], float] = time.monotonic
    made: int = attrs.field(default=0, init=False)
    _stop_at: float | None = attrs.field(default=None, init=False)

    def __attrs_post_init__(self) -> None:
        if self.deadline is not None:
            self._stop_at = self.clock() + self.deadline

    def time_left(self) -> float | None:
        """Seconds left before the deadline (<= 0 once it has passed), or None without one."""
        return None if self._stop_at is None else self._stop_at - self.clock()

    def start(self) -> None:
        """Count the attempt about to be made."""
        self.made += 1

    def next_delay(
        self, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float | None:
        """Seconds to wait before another attempt, or None when there must be none: every
        attempt is used, or the wait would end at or past the deadline."""
        if self.made >= self.limit:
            return None
        delay = self.policy.delay(self.made, retry_after, rng)
        if self._stop_at is not None and self.clock() + delay >= self._stop_at:
            return None
        return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date); None if unusable.

    Negative or past values mean "now" (0); garbage is ignored so the normal back-off applies.
    The caller caps huge values.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            return None
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
