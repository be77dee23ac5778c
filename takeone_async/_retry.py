"""Pure retry rules: what may be retried for which method, back-off, and ``Retry-After``."""

from __future__ import annotations

import enum
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import attrs

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class Failure(enum.Enum):
    """How an attempt failed, as far as retry safety is concerned."""

    NOT_SENT = "not_sent"  # the connection was never established: nothing reached the server
    CONNECTION = "connection"  # dropped or reset after the request may have been sent
    TIMEOUT = "timeout"  # the answer did not come in time: the request may have taken effect
    STATUS = "status"  # the server answered with a status


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
        return method in IDEMPOTENT_METHODS

    def delay(
        self, retry_number: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (retry_number - 1)))
        return (rng or random).uniform(0, ceiling)


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
