"""The request loop: which failures are retried for which method, Retry-After, deadline, cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses as AioResponses

from takeone_async import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    RateLimitError,
    ServerError,
    TakeOneClient,
)
from tests.conftest import API
from tests.takeone_async.conftest import (
    LiveAPI,
    SleepRecorder,
    cancel_when,
    connector_error,
    count_requests,
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
    "connect refused": {"exception": connector_error()},
    "connect timeout": {"exception": aiohttp.ConnectionTimeoutError()},
    "dropped connection": {"exception": aiohttp.ServerDisconnectedError()},
    "read timeout": {"exception": aiohttp.SocketTimeoutError()},
    "timeout": {"exception": TimeoutError()},
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
    client: TakeOneClient, mock_api: AioResponses, method: str, failure: str
) -> None:
    verb, url, call = CALLS[method]
    mock_api.add(url, verb, **FAILURES[failure])
    mock_api.add(url, verb, payload=USER)
    if method != "POST" or failure in POST_RETRIES:
        user = await call(client)
        assert user.id == "u1"
        assert count_requests(mock_api) == 2
    else:
        with pytest.raises((APIStatusError, APIConnectionError)):
            await call(client)
        assert count_requests(mock_api) == 1


async def test_retries_stop_after_max_retries(
    client: TakeOneClient, mock_api: AioResponses
) -> None:
    mock_api.get(USER_URL, status=503, body="down", repeat=True)
    with pytest.raises(ServerError):
        await client.app_users.get("u1")
    assert count_requests(mock_api) == 3


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
    mock_api: AioResponses,
    client_retries: int,
    call_retries: int | None,
    attempts: int,
) -> None:
    mock_api.get(USER_URL, exception=aiohttp.ServerDisconnectedError(), repeat=True)
    client = make_client(max_retries=client_retries)
    options = {} if call_retries is None else {"max_retries": call_retries}
    with pytest.raises(APIConnectionError):
        await client.app_users.get("u1", **options)
    assert count_requests(mock_api) == attempts


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
    mock_api: AioResponses,
    sleeps: SleepRecorder,
    retry_after: str,
    slept: float,
) -> None:
    """The fixture client caps Retry-After at 0.05 s."""
    mock_api.post(USERS, status=429, body="", headers={"Retry-After": retry_after})
    mock_api.post(USERS, payload=USER)
    await client.app_users.create(external_id="42")
    assert sleeps.delays == [slept]


async def test_a_garbage_retry_after_falls_back_to_the_back_off(
    client: TakeOneClient, mock_api: AioResponses, sleeps: SleepRecorder
) -> None:
    mock_api.get(USER_URL, status=503, body="", headers={"Retry-After": "soon"})
    mock_api.get(USER_URL, status=503, body="")
    mock_api.get(USER_URL, payload=USER)
    await client.app_users.get("u1")
    assert len(sleeps.delays) == 2
    assert 0 <= sleeps.delays[0] <= 0.001
    assert 0 <= sleeps.delays[1] <= 0.002


async def test_the_deadline_forbids_a_wait_that_would_overrun_it(
    make_client: Callable[..., TakeOneClient], mock_api: AioResponses, sleeps: SleepRecorder
) -> None:
    mock_api.get(USER_URL, status=503, body="down", headers={"Retry-After": "30"})
    client = make_client(retry_after_cap=60, max_retries=5)
    with pytest.raises(ServerError):
        await client.app_users.get("u1", deadline=1)
    assert count_requests(mock_api) == 1
    assert sleeps.delays == []


async def test_the_deadline_is_checked_again_after_a_late_wake_up(
    client: TakeOneClient, mock_api: AioResponses, sleeps: SleepRecorder
) -> None:
    sleeps.oversleep = 0.05
    mock_api.get(USER_URL, status=503, body="", headers={"Retry-After": "0.01"}, repeat=True)
    with pytest.raises(APITimeoutError, match=r"deadline of 0.04s exceeded after 1 attempt"):
        await client.app_users.get("u1", deadline=0.04)
    assert count_requests(mock_api) == 1


async def test_the_deadline_bounds_a_slow_attempt(
    live_api: LiveAPI, make_client: Callable[..., TakeOneClient]
) -> None:
    live_api.reply(200, USER, hang=True)
    client = make_client(base_url=live_api.url, timeout=10)
    with pytest.raises(
        APITimeoutError, match=r"GET /api/v1/app_users/\{id\}: timed out after 0.1s"
    ):
        await client.app_users.get("u1", deadline=0.1)
    assert len(live_api.seen) == 1


async def test_a_per_call_timeout_overrides_the_clients_for_that_call_only(
    live_api: LiveAPI, make_client: Callable[..., TakeOneClient]
) -> None:
    client = make_client(base_url=live_api.url, timeout=10, max_retries=0)
    live_api.reply(200, USER, hang=True)
    with pytest.raises(APITimeoutError, match=r"timed out after 0.1s"):
        await client.app_users.get("u1", timeout=0.1)
    live_api.reply(200, USER)
    assert (await client.app_users.get("u1")).id == "u1"
    assert (client.timeout, client.retry_policy.max_retries) == (10, 0)


def test_the_client_settings_are_read_only(make_client: Callable[..., TakeOneClient]) -> None:
    client = make_client(timeout=5, connect_timeout=2, deadline=9)
    assert (client.timeout, client.connect_timeout, client.deadline) == (5, 2, 9)
    with pytest.raises(AttributeError):
        client.timeout = 1  # type: ignore[misc]


async def test_a_read_timeout_is_retried_for_get_but_not_for_post(
    live_api: LiveAPI, make_client: Callable[..., TakeOneClient]
) -> None:
    client = make_client(base_url=live_api.url, timeout=0.05)
    live_api.reply(200, USER, hang=True)
    live_api.reply(200, USER)
    assert (await client.app_users.get("u1")).id == "u1"
    assert len(live_api.seen) == 2
    live_api.reply(201, USER, hang=True)
    live_api.reply(201, USER)
    with pytest.raises(APITimeoutError):
        await client.app_users.create(external_id="42")
    assert [m for m, _, _ in live_api.seen] == ["GET", "GET", "POST"]


async def test_a_body_that_stalls_midway_times_out_and_its_connection_is_not_reused(
    live_api: LiveAPI, make_client: Callable[..., TakeOneClient]
) -> None:
    client = make_client(base_url=live_api.url, timeout=0.1, max_connections=1)
    live_api.stall_mid_body()
    live_api.reply(200, USER)
    assert (await client.app_users.get("u1")).id == "u1"
    assert len(live_api.seen) == 2


async def test_a_live_retry_reuses_the_pool_without_leaking(
    live_api: LiveAPI, make_client: Callable[..., TakeOneClient]
) -> None:
    client = make_client(base_url=live_api.url, max_connections=1)
    live_api.reply(503, {"detail": "down"})
    live_api.reply(429, {"detail": "slow"})
    live_api.reply(200, USER)
    assert (await client.app_users.get("u1")).id == "u1"
    assert len(live_api.seen) == 3


async def test_cancelling_during_a_back_off_sleep_propagates_and_is_not_retried(
    make_client: Callable[..., TakeOneClient], mock_api: AioResponses, sleeps: SleepRecorder
) -> None:
    mock_api.get(USER_URL, status=503, body="", headers={"Retry-After": "5"}, repeat=True)
    client = make_client(retry_after_cap=5)
    await cancel_when(sleeps.started, client.app_users.get("u1"))
    assert sleeps.delays == [5.0]
    assert count_requests(mock_api) == 1


async def test_cancelling_during_a_request_propagates_and_is_not_retried(
    live_api: LiveAPI, make_client: Callable[..., TakeOneClient]
) -> None:
    client = make_client(base_url=live_api.url)
    live_api.reply(200, USER, hang=True)
    await cancel_when(live_api.arrived, client.app_users.get("u1"))
    assert len(live_api.seen) == 1


async def test_a_rate_limit_that_outlasts_the_retries_is_raised(
    client: TakeOneClient, mock_api: AioResponses
) -> None:
    mock_api.post(USERS, status=429, body="", headers={"Retry-After": "1"}, repeat=True)
    with pytest.raises(RateLimitError) as info:
        await client.app_users.create(external_id="42")
    assert info.value.retry_after == 1.0
    assert count_requests(mock_api) == 3
