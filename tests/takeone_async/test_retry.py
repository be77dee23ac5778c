"""The pure retry rules: what may be retried, back-off with full jitter, Retry-After parsing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from takeone_async._retry import Failure, RetryPolicy, parse_retry_after

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
CASES = ["not_sent", "connection", "timeout", 400, 401, 404, 409, 429, 500, 501, 502, 503, 504]


@pytest.mark.parametrize("method", RETRYABLE)
@pytest.mark.parametrize("case", CASES)
def test_what_each_method_may_retry(method: str, case: str | int) -> None:
    if isinstance(case, int):
        failure, status = Failure.STATUS, case
    else:
        failure, status = Failure(case), None
    assert RetryPolicy().should_retry(method, failure, status) is (case in RETRYABLE[method])
