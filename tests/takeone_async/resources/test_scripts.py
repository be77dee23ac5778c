"""script_generations.wait: polls with a capped back-off until the script is final or time is up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from takeone_async import (
    APITimeoutError,
    ScriptGenerationState,
    TakeOneClient,
    WaitTimeoutError,
)
from tests.conftest import API
from tests.takeone_async.conftest import FakeAPI, SleepRecorder

GENERATION = f"{API}/video_containers/c1/script_generations/g1"


def generation(state: str, script: str = "") -> dict[str, Any]:
    return {"id": "g1", "state": state, "script": script}


@pytest.mark.parametrize(("final", "script"), [("completed", "Hi, I'm Ada."), ("error", "")])
async def test_wait_polls_until_the_generation_is_final(
    client: TakeOneClient, api: FakeAPI, sleeps: SleepRecorder, final: str, script: str
) -> None:
    api.get(GENERATION, payload=generation("initialized"))
    api.get(GENERATION, payload=generation("generating"))
    api.get(GENERATION, payload=generation(final, script))
    result = await client.script_generations.wait("c1", "g1", timeout=5, poll_interval=0.001)
    assert result.state == ScriptGenerationState(final)
    assert result.script == script
    assert len(api.requests) == 3
    assert sleeps.delays == [0.001, 0.002]


async def test_wait_backs_off_up_to_max_interval(
    client: TakeOneClient, api: FakeAPI, sleeps: SleepRecorder
) -> None:
    for _ in range(5):
        api.get(GENERATION, payload=generation("initialized"))
    api.get(GENERATION, payload=generation("completed"))
    await client.script_generations.wait(
        "c1", "g1", timeout=5, poll_interval=0.001, max_interval=0.004
    )
    assert sleeps.delays == [0.001, 0.002, 0.004, 0.004, 0.004]


async def test_wait_gives_up_with_a_wait_timeout_error(client: TakeOneClient, api: FakeAPI) -> None:
    api.get(GENERATION, payload=generation("initialized"), repeat=True)
    with pytest.raises(WaitTimeoutError) as info:
        await client.script_generations.wait("c1", "g1", timeout=0.05, poll_interval=0.01)
    assert str(info.value).startswith("script_generations.wait: generation g1 ")
    assert "initialized" in str(info.value)
    assert "0.05s" in str(info.value)
    assert isinstance(info.value, TimeoutError)


async def test_wait_gives_up_with_a_wait_timeout_error_when_the_api_hangs(
    client: TakeOneClient, api: FakeAPI
) -> None:
    api.get(GENERATION, payload=generation("completed"), hang=asyncio.Event())
    with pytest.raises(WaitTimeoutError, match="no answer yet"):
        await client.script_generations.wait("c1", "g1", timeout=0.1)
    assert len(api.requests) == 1


async def test_wait_lets_an_api_timeout_of_its_own_through(
    make_client: Callable[..., TakeOneClient], api: FakeAPI
) -> None:
    api.get(GENERATION, stall=True, repeat=True)
    client = make_client(timeout=0.02, max_retries=1)
    with pytest.raises(APITimeoutError):
        await client.script_generations.wait("c1", "g1", timeout=5)
    assert len(api.requests) == 2
