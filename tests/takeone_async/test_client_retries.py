"""The request loop on the in-memory transport: which failures are retried for which method,
Retry-After, the deadline, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from takeone_async import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    RateLimitError,
    ServerError,
    TakeOneClient,
)
from takeone_async.transport import Failure, TransportError
from tests.conftest import API
from tests.takeone_async.conftest import (
    CONNECT_REFUSED,
    CONNECT_TIMEOUT,
    DROPPED,
    READ_TIMEOUT,
    FakeAPI,
    SleepRecorder,
    cancel_when,
    user_body,
)

USER_URL = f"{API}/app_users/u1"
USERS = f"{API}/app_users"
USER = user_body("u1")
CALLS: dict[str, tuple[str, str, Callable[[TakeOneClient], Any]]] = {
    "GET": ("GET", USER_URL, lambda c: c.app_users.get("u1")),
    "PUT": ("PUT", USER_URL, lambda c: c.app_users.update("u1", display_name="Ada")),
    "POST": ("POST", USERS, lambda c: c.app_users.create(external_id="42")),
}
FAILURES: dict[str, dict[str, Any]] = {
    "connect refused": {"failure": CONNECT_REFUSED},
    "connect timeout": {"failure": CONNECT_TIMEOUT},
    "dropped connection": {"failure": DROPPED},
    "read timeout": {"failure": READ_TIMEOUT},
    "429": {"status": 429, "body": "slow down"},
    "500": {"status": 500, "body": "boom"},
    "502": {"status": 502, "body": "bad gateway"},
    "503": {"status": 503, "body": "unavailable"},
    "504": {"status": 504, "body": "gateway timeout"},
}
POST_RETRIES = {"connect refused", "connect timeout", "429"}


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("method", CALLS)
async def test_a_failure_is_retried_only_where_it_cannot_double_an_effect(
    client: TakeOneClient, api: FakeAPI, method: str, failure: str
) -> None:
    verb, url, call = CALLS[method]
    api.add(url, verb, **FAILURES[failure])
    api.add(url, verb, payload=USER)
    if method != "POST" or failure in POST_RETRIES:
        user = await call(client)
        assert user.id == "u1"
        assert len(api.requests) == 2
    else:
        with pytest.raises((APIStatusError, APIConnectionError)):
            await call(client)
        assert len(api.requests) == 1


@pytest.mark.parametrize("method", CALLS)
async def test_a_request_that_cannot_be_sent_is_not_retried(
    client: TakeOneClient, api: FakeAPI, method: str
) -> None:
    verb, url, call = CALLS[method]
    unsendable = TransportError("the request cannot be sent (bad URL)", failure=Failure.UNSENDABLE)
    api.add(url, verb, failure=unsendable, repeat=True)
    with pytest.raises(APIConnectionError, match=r": the request cannot be sent \(bad URL\)$"):
        await call(client)
    assert len(api.requests) == 1


async def test_retries_stop_after_max_retries(client: TakeOneClient, api: FakeAPI) -> None:
    api.get(USER_URL, status=503, body="down", repeat=True)
    with pytest.raises(ServerError):
        await client.app_users.get("u1")
    assert len(api.requests) == 3


@pytest.mark.parametrize(
    ("client_retries", "call_retries", "attempts"),
    [
        (0, None, 1),
        (0, 3, 4),
        (2, 0, 1),
        (2, None, 3),
        (1, None, 2),
    ],
)
async def test_max_retries_per_client_and_per_call(
    make_client: Callable[..., TakeOneClient],
    api: FakeAPI,
    client_retries: int,
    call_retries: int | None,
    attempts: int,
) -> None:
    api.get(USER_URL, failure=DROPPED, repeat=True)
    client = make_client(max_retries=client_retries)
    options = {} if call_retries is None else {"max_retries": call_retries}
    with pytest.raises(APIConnectionError):
        await client.app_users.get("u1", **options)
    assert len(api.requests) == attempts


@pytest.mark.parametrize(
    ("retry_after", "slept"),
    [
        ("0.02", 0.02),
        ("0", 0.0),
        ("-4", 0.0),
        ("86400", 0.05),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 0.05),
    ],
)
async def test_retry_after_is_honoured_and_capped(
    client: TakeOneClient,
    api: FakeAPI,
    sleeps: SleepRecorder,
    retry_after: str,
    slept: float,
) -> None:
    """The fixture client caps Retry-After at 0.05 s."""
    api.post(USERS, status=429, body="", headers={"Retry-After": retry_after})
    api.post(USERS, payload=USER)
    await client.app_users.create(external_id="42")
    assert sleeps.delays == [slept]


async def test_a_garbage_retry_after_falls_back_to_the_back_off(
    client: TakeOneClient, api: FakeAPI, sleeps: SleepRecorder
) -> None:
    api.get(USER_URL, status=503, body="", headers={"Retry-After": "soon"})
    api.get(USER_URL, status=503, body="")
    api.get(USER_URL, payload=USER)
    await client.app_users.get("u1")
    assert len(sleeps.delays) == 2
    assert 0 <= sleeps.delays[0] <= 0.001
    assert 0 <= sleeps.delays[1] <= 0.002


async def test_the_deadline_forbids_a_wait_that_would_overrun_it(
    make_client: Callable[..., TakeOneClient], api: FakeAPI, sleeps: SleepRecorder
) -> None:
    api.get(USER_URL, status=503, body="down", headers={"Retry-After": "30"}, repeat=True)
    client = make_client(retry_after_cap=60, max_retries=5)
    with pytest.raises(ServerError):
        await client.app_users.get("u1", deadline=1)
    assert len(api.requests) == 1
    assert sleeps.delays == []


async def test_the_deadline_is_checked_again_after_a_late_wake_up(
    client: TakeOneClient, api: FakeAPI, sleeps: SleepRecorder
) -> None:
    sleeps.oversleep = 0.05
    api.get(USER_URL, status=503, body="", headers={"Retry-After": "0.01"}, repeat=True)
    with pytest.raises(APITimeoutError, match=r"deadline of 0.04s exceeded after 1 attempt"):
        await client.app_users.get("u1", deadline=0.04)
    assert len(api.requests) == 1


async def test_the_deadline_cuts_each_attempts_timeout_to_what_is_left(
    make_client: Callable[..., TakeOneClient], api: FakeAPI
) -> None:
    """The transport is given at most what is left of the deadline for each attempt."""
    api.get(USER_URL, failure=READ_TIMEOUT)
    api.get(USER_URL, payload=USER)
    client = make_client(timeout=10, connect_timeout=2)
    assert (await client.app_users.get("u1", deadline=0.5)).id == "u1"
    first, second = api.requests
    assert 0.4 < first.timeout <= 0.5
    assert 0 < second.timeout <= first.timeout
    assert (first.connect_timeout, second.connect_timeout) == (2, 2)
    api.get(USER_URL, payload=USER, repeat=True)
    await client.app_users.get("u1", deadline=60)
    await client.app_users.get("u1")
    assert [r.timeout for r in api.requests[2:]] == [10, 10]


async def test_a_timeout_the_transport_reports_is_an_api_timeout_error(
    client: TakeOneClient, api: FakeAPI
) -> None:
    api.post(USERS, failure=READ_TIMEOUT)
    with pytest.raises(APITimeoutError) as info:
        await client.app_users.create(external_id="42")
    assert str(info.value) == "POST /api/v1/app_users: timed out after 30.0s (TimeoutError)"
    assert isinstance(info.value, TimeoutError)


def test_the_client_settings_are_read_only(make_client: Callable[..., TakeOneClient]) -> None:
    client = make_client(timeout=5, connect_timeout=2, deadline=9)
    assert (client.timeout, client.connect_timeout, client.deadline) == (5, 2, 9)
    with pytest.raises(AttributeError):
        client.timeout = 1  # type: ignore[misc]


async def test_cancelling_during_a_back_off_sleep_propagates_and_is_not_retried(
    make_client: Callable[..., TakeOneClient], api: FakeAPI, sleeps: SleepRecorder
) -> None:
    api.get(USER_URL, status=503, body="", headers={"Retry-After": "5"}, repeat=True)
    client = make_client(retry_after_cap=5)
    await cancel_when(sleeps.started, client.app_users.get("u1"))
    assert sleeps.delays == [5.0]
    assert len(api.requests) == 1


async def test_cancelling_during_a_request_propagates_and_is_not_retried(
    client: TakeOneClient, api: FakeAPI
) -> None:
    api.get(USER_URL, payload=USER, hang=asyncio.Event())
    api.get(USER_URL, payload=USER)
    await cancel_when(api.arrived, client.app_users.get("u1"))
    assert len(api.requests) == 1


async def test_a_rate_limit_that_outlasts_the_retries_is_raised(
    client: TakeOneClient, api: FakeAPI
) -> None:
    api.post(USERS, status=429, body="", headers={"Retry-After": "1"}, repeat=True)
    with pytest.raises(RateLimitError) as info:
        await client.app_users.create(external_id="42")
    assert info.value.retry_after == 1.0
    assert len(api.requests) == 3
