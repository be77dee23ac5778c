"""The pure retry rules: what may be retried, the one back-off function, the attempts of one
operation under a deadline, Retry-After parsing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from takeone_async.retry import Attempts, Failure, RetryPolicy, backoff, parse_retry_after

NOW = datetime(2025, 7, 25, 20, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("0", 0.0),
        ("5", 5.0),
        (" 12 ", 12.0),
        ("1.5", 1.5),
        ("-5", 0.0),
        ("99999999999", 99999999999.0),
        ("garbage", None),
        ("5 seconds", None),
        ("nan", None),
        ("inf", None),
        ("-inf", None),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),
        ("Fri, 25 Jul 2025 20:01:00 -0000", 60.0),
        (
            "Fri, 31 Dec 9999 23:59:59 GMT",
            (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - NOW).total_seconds(),
        ),
        ("Fri, 99 Foo 2025 25:61:00 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


def test_parse_retry_after_defaults_to_the_current_time() -> None:
    future = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    parsed = parse_retry_after(future)
    assert parsed is not None
    assert 3500 < parsed <= 3600


@pytest.mark.parametrize(
    ("retry_after", "delay"),
    [
        (0.0, 0.0),
        (3.0, 3.0),
        (60.0, 60.0),
        (61.0, 60.0),
        (99999999999.0, 60.0),
    ],
)
def test_a_retry_after_hint_is_used_as_is_up_to_the_cap(retry_after: float, delay: float) -> None:
    assert RetryPolicy(retry_after_cap=60.0).delay(1, retry_after) == delay


def test_back_off_is_full_jitter_within_an_exponential_ceiling_and_a_cap() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=8.0)
    rng = random.Random(1234)
    for retry_number, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)]:
        delays = [policy.delay(retry_number, rng=rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert min(delays) < ceiling * 0.1
        assert max(delays) > ceiling * 0.9
    first = [policy.delay(2, rng=random.Random(7)) for _ in range(3)]
    assert first == [policy.delay(2, rng=random.Random(7)) for _ in range(3)]


def test_back_off_without_an_rng_uses_the_module_random() -> None:
    delay = RetryPolicy(backoff_base=0.5, backoff_cap=8.0).delay(3)
    assert 0 <= delay <= 2.0


RETRYABLE = {
    "GET": {"not_sent", "connection", "timeout", 429, 500, 502, 503, 504},
    "PUT": {"not_sent", "connection", "timeout", 429, 500, 502, 503, 504},
    "POST": {"not_sent", 429},
}
CASES = [
    "not_sent",
    "connection",
    "timeout",
    "unsendable",
    400,
    401,
    404,
    409,
    429,
    500,
    501,
    502,
    503,
    504,
]


@pytest.mark.parametrize("method", RETRYABLE)
@pytest.mark.parametrize("case", CASES)
def test_what_each_method_may_retry(method: str, case: str | int) -> None:
    if isinstance(case, int):
        failure, status = Failure.STATUS, case
    else:
        failure, status = Failure(case), None
    assert RetryPolicy().should_retry(method, failure, status) is (case in RETRYABLE[method])


@pytest.mark.parametrize(
    ("jitter", "low", "high"), [(1.0, 0.0, 1.0), (0.5, 0.5, 1.0), (0.0, 1.0, 1.0)]
)
def test_backoff_jitter_is_the_random_share_of_the_step(
    jitter: float, low: float, high: float
) -> None:
    """Full jitter (the client), equal jitter (the webhooks worker), none (the sandbox)."""
    rng = random.Random(99)
    for retry, step in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 8.0)]:
        delays = [backoff(retry, 0.5, 8.0, jitter=jitter, rng=rng) for _ in range(200)]
        assert all(step * low <= d <= step * high for d in delays)
        if jitter:
            assert min(delays) < step * (low + 0.1 * jitter)
            assert max(delays) > step * (high - 0.1 * jitter)


@pytest.mark.parametrize("retry", [0, -3, 1])
def test_backoff_before_the_first_retry_is_the_base(retry: int) -> None:
    assert backoff(retry, 0.5, 8.0, jitter=0) == 0.5


@pytest.mark.parametrize("retry", [64, 1024, 10**9])
def test_backoff_of_a_huge_retry_number_is_the_cap(retry: int) -> None:
    assert backoff(retry, 0.5, 8.0, jitter=0) == 8.0
    assert backoff(retry, 0.0, 8.0, jitter=0) == 0.0


def test_the_policy_and_the_worker_share_the_backoff() -> None:
    from webhooks.worker import Backoff

    policy = RetryPolicy(backoff_base=0.5, backoff_cap=8.0)
    for retry in range(1, 8):
        assert policy.delay(retry, rng=random.Random(retry)) == backoff(
            retry, 0.5, 8.0, rng=random.Random(retry)
        )
        assert Backoff(base=0.5, cap=8.0).delay(retry, random.Random(retry)) == backoff(
            retry, 0.5, 8.0, jitter=0.5, rng=random.Random(retry)
        )


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_attempts_allow_a_wait_until_the_limit_is_reached() -> None:
    attempts = Attempts(RetryPolicy(retry_after_cap=60), limit=3)
    assert attempts.time_left() is None
    delays = []
    for _ in range(3):
        attempts.start()
        delays.append(attempts.next_delay(retry_after=2.0))
    assert delays == [2.0, 2.0, None]
    assert attempts.made == 3


def test_attempts_refuse_a_wait_that_ends_at_or_past_the_deadline() -> None:
    clock = Clock()
    attempts = Attempts(RetryPolicy(retry_after_cap=60), limit=10, deadline=5.0, clock=clock)
    attempts.start()
    assert attempts.time_left() == 5.0
    assert attempts.next_delay(retry_after=4.9) == 4.9
    assert attempts.next_delay(retry_after=5.0) is None
    clock.now += 4.5
    assert attempts.time_left() == pytest.approx(0.5)
    assert attempts.next_delay(retry_after=0.4) == 0.4
    assert attempts.next_delay(retry_after=0.5) is None
    clock.now += 1
    assert attempts.time_left() == pytest.approx(-0.5)
    assert attempts.next_delay(retry_after=0.0) is None


def test_attempts_use_the_policys_back_off_without_a_hint() -> None:
    attempts = Attempts(RetryPolicy(backoff_base=0.5, backoff_cap=8.0), limit=5)
    attempts.start()
    attempts.start()
    delay = attempts.next_delay(rng=random.Random(3))
    assert delay == backoff(2, 0.5, 8.0, rng=random.Random(3))
