"""Fault injection over real HTTP: what each kind looks like to a client, and the reliability
test: 200 users provisioned through a sandbox failing 20% of requests, no duplicate."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

import pytest

from takeone_async import (
    APIConnectionError,
    RateLimitError,
    ServerError,
    TakeOneClient,
)
from takeone_async.sandbox import FAILURES, FaultKind, FaultRule, Faults, Sandbox
from tests.takeone_async.sandbox.conftest import API, FAST_CLIENT, Raw

CREATE_USER = f"POST {API}/app_users"


async def test_429_carries_retry_after_and_does_nothing(sandbox: Sandbox, raw: Raw) -> None:
    sandbox.faults = Faults.scheduled(["429"], route=CREATE_USER, retry_after=2.5)
    answer = await raw("POST", f"{API}/app_users", json_body={"external_id": "x"})
    assert answer.status == 429
    assert answer.headers["Retry-After"] == "2.5"
    assert answer.json == {"detail": "Request was throttled. Expected available in 2.5 seconds."}
    assert sandbox.store.app_users == {}


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("503", 503)])
async def test_server_errors_answer_html_and_do_nothing(
    sandbox: Sandbox, raw: Raw, kind: str, status: int
) -> None:
    sandbox.faults = Faults.scheduled([kind], route=CREATE_USER)
    answer = await raw("POST", f"{API}/app_users", json_body={})
    assert answer.status == status
    assert answer.headers["Content-Type"].startswith("text/html")
    assert sandbox.store.app_users == {}


async def test_a_drop_before_handling_stores_nothing(sandbox: Sandbox, api: TakeOneClient) -> None:
    sandbox.faults = Faults.scheduled(["drop_before"], route=CREATE_USER)
    with pytest.raises(APIConnectionError):
        await api.app_users.create(external_id="x")
    assert sandbox.store.app_users == {}


async def test_a_drop_after_handling_stores_the_user_the_client_never_saw(
    sandbox: Sandbox, api: TakeOneClient
) -> None:
    sandbox.faults = Faults.scheduled(["drop_after"], route=CREATE_USER)
    with pytest.raises(APIConnectionError):
        await api.app_users.create(external_id="x")
    assert [u.external_id for u in sandbox.store.app_users.values()] == ["x"]
    created = await api.app_users.create(external_id="x")
    assert len(await api.app_users.list(external_id="x").to_list()) == 2, created
    sandbox.faults = Faults.scheduled(["drop_after"], route=CREATE_USER)
    user = await api.app_users.get_or_create(external_id="y")
    assert user.external_id == "y"


async def test_a_drop_after_a_refused_request_still_drops(
    sandbox: Sandbox, api: TakeOneClient
) -> None:
    sandbox.faults = Faults.scheduled(["drop_after"], route=f"POST {API}/projects")
    with pytest.raises(APIConnectionError):
        await api.projects.create(user="u-0", video_container="c-0")


async def test_latency_delays_a_normal_answer(sandbox: Sandbox, api: TakeOneClient) -> None:
    sandbox.faults = Faults.scheduled(["latency"], route=f"GET {API}/app_users", latency=0.2)
    started = time.monotonic()
    assert await api.app_users.list().to_list() == []
    assert time.monotonic() - started >= 0.19
    assert sandbox.faults.counts() == {FaultKind.LATENCY: 1}


async def test_the_client_retries_a_get_through_every_failure_kind(sandbox: Sandbox) -> None:
    schedule = ["429", "500", "503", "drop_before", "drop_after"]
    sandbox.faults = Faults.scheduled(schedule, route=f"GET {API}/app_users", retry_after=0)
    async with sandbox.client(max_retries=5, **FAST_CLIENT) as client:
        assert await client.app_users.list().to_list() == []
    assert [i.kind for i in sandbox.faults.injected] == [FaultKind(k) for k in schedule]


async def test_a_post_is_not_retried_where_it_may_have_taken_effect(
    sandbox: Sandbox, api: TakeOneClient
) -> None:
    sandbox.faults = Faults.scheduled(["429", "500"], route=CREATE_USER, retry_after=0)
    with pytest.raises(ServerError):
        await api.app_users.create(external_id="x")
    assert sandbox.store.app_users == {}
    sandbox.faults = Faults.scheduled(["429"], route=CREATE_USER, retry_after=0)
    async with sandbox.client(max_retries=0) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.app_users.create(external_id="x")
    assert caught.value.retry_after == 0


async def test_the_same_seed_injects_the_same_faults(sandbox: Sandbox, raw: Raw) -> None:
    async def run(seed: int) -> list[int]:
        sandbox.faults = Faults.random(0.5, ["429", "500", "503"], seed=seed, retry_after=0)
        return [(await raw("GET", f"{API}/app_users")).status for _ in range(30)]

    first = await run(11)
    assert first == await run(11)
    assert set(first) == {200, 429, 500, 503}


async def test_200_users_through_20_percent_failures_end_with_exactly_200(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every failure kind, before and after the create is stored; get_or_create never doubles."""
    faults = Faults([FaultRule(probability=0.2, kinds=FAILURES, retry_after=0)], seed=2024)
    caplog.set_level(logging.WARNING)
    async with Sandbox(faults=faults) as sandbox:
        async with sandbox.client(max_retries=10, max_connections=20, **FAST_CLIENT) as client:
            limit = asyncio.Semaphore(20)

            async def provision(n: int) -> str:
                async with limit:
                    user = await client.app_users.get_or_create(
                        external_id=f"member-{n}", given_name=f"User {n}", attempts=20
                    )
                    return user.id

            async with asyncio.timeout(60):
                ids = await asyncio.gather(*(provision(n) for n in range(200)))
        users = list(sandbox.store.app_users.values())
    counts = faults.counts()
    assert set(counts) == set(FAILURES), counts
    assert counts[FaultKind.DROP_AFTER] > 0
    post_faults = Counter(i.kind for i in faults.injected if i.method == "POST")
    assert post_faults[FaultKind.DROP_AFTER] > 0, "no create was stored and then dropped"
    external_ids = [u.external_id for u in users]
    assert len(users) == 200
    assert len(set(external_ids)) == 200
    assert sorted(set(ids)) == sorted(u.id for u in users)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
