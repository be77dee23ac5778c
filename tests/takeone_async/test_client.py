"""The client object: settings, session ownership, tracing, logging, and keeping its secret."""

from __future__ import annotations

import gc
import json
import logging
import warnings
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses as AioResponses

from takeone_async import DEFAULT_BASE_URL, TakeOneClient, TakeOneError, TakeOneValueError
from tests.conftest import API, BASE_URL, CLIENT_ID, CLIENT_SECRET
from tests.takeone_async.conftest import (
    AUTHORIZATION,
    BASIC_TOKEN,
    USER_AGENT,
    LiveAPI,
    connector_error,
    sent,
    user_body,
)

USER_URL = f"{API}/app_users/u1"
USERS = f"{API}/app_users"
ENV = {"TAKEONE_CLIENT_ID": "env-id", "TAKEONE_CLIENT_SECRET": "env-secret"}


async def test_the_client_closes_the_session_it_created() -> None:
    async with TakeOneClient(CLIENT_ID, CLIENT_SECRET) as client:
        session = client._get_session()
        assert not session.closed
        assert client._get_session() is session
    assert session.closed


async def test_a_session_the_caller_owns_is_used_and_never_closed(mock_api: AioResponses) -> None:
    mock_api.get(USER_URL, payload=user_body("u1"))
    async with aiohttp.ClientSession() as session:
        async with TakeOneClient(CLIENT_ID, CLIENT_SECRET, session=session) as client:
            assert client._get_session() is session
            await client.app_users.get("u1")
        await client.close()
        assert not session.closed
    (request,) = sent(mock_api, "GET", USER_URL)
    assert request.headers["Authorization"] == AUTHORIZATION


async def test_a_closed_client_refuses_calls_instead_of_leaking_a_new_session(
    mock_api: AioResponses,
) -> None:
    mock_api.get(USER_URL, payload=user_body("u1"), repeat=True)
    client = TakeOneClient(CLIENT_ID, CLIENT_SECRET)
    async with client:
        await client.app_users.get("u1")
    with pytest.raises(TakeOneError, match=r"GET /api/v1/app_users/\{id\}: the client is closed"):
        await client.app_users.get("u1")
    assert client._session is None
    async with client:
        assert (await client.app_users.get("u1")).id == "u1"
    assert len(sent(mock_api, "GET", USER_URL)) == 2


async def test_a_closed_session_of_the_caller_is_a_clear_error(mock_api: AioResponses) -> None:
    session = aiohttp.ClientSession()
    await session.close()
    client = TakeOneClient(CLIENT_ID, CLIENT_SECRET, session=session)
    with pytest.raises(TakeOneError, match="the aiohttp session given to TakeOneClient is closed"):
        await client.app_users.get("u1")
    assert sent(mock_api, "GET", USER_URL) == []


async def test_max_connections_bounds_the_connection_pool() -> None:
    async with TakeOneClient(CLIENT_ID, CLIENT_SECRET, max_connections=7) as client:
        connector = client._get_session().connector
        assert connector is not None
        assert connector.limit == 7
    async with TakeOneClient(CLIENT_ID, CLIENT_SECRET) as client:
        assert client._get_session().connector.limit == 100  # type: ignore[union-attr]


async def test_a_closed_client_leaves_no_unclosed_session_warning(live_api: LiveAPI) -> None:
    live_api.reply(200, user_body("u1"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with TakeOneClient(CLIENT_ID, CLIENT_SECRET, base_url=live_api.url) as client:
            await client.app_users.get("u1")
        del client
        gc.collect()
    assert [str(w.message) for w in caught] == []


async def test_a_client_used_without_async_with_opens_its_session_lazily(
    mock_api: AioResponses,
) -> None:
    mock_api.get(USER_URL, payload=user_body("u1"))
    client = TakeOneClient(CLIENT_ID, CLIENT_SECRET)
    assert client._session is None
    try:
        assert (await client.app_users.get("u1")).id == "u1"
    finally:
        await client.close()
    await client.close()


async def test_trace_configs_are_passed_to_the_session_and_see_the_body(
    live_api: LiveAPI,
) -> None:
    starts: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    async def on_request_start(_: Any, __: SimpleNamespace, params: Any) -> None:
        starts.append((params.method, params.url.path))

    async def on_response_chunk_received(_: Any, __: SimpleNamespace, params: Any) -> None:
        chunks.append(params.chunk)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    trace.on_response_chunk_received.append(on_response_chunk_received)
    live_api.reply(200, user_body("u1"))
    async with TakeOneClient(
        CLIENT_ID, CLIENT_SECRET, base_url=live_api.url, trace_configs=[trace]
    ) as client:
        await client.app_users.get("u1")
    assert starts == [("GET", "/api/v1/app_users/u1")]
    assert json.loads(b"".join(chunks)) == user_body("u1")


async def test_a_live_request_carries_auth_user_agent_and_json(
    live_api: LiveAPI, make_client: Callable[..., TakeOneClient]
) -> None:
    live_api.reply(201, user_body("u1"))
    await make_client(base_url=live_api.url + "/").app_users.create(external_id="42")
    ((method, path, headers),) = live_api.seen
    assert (method, path) == ("POST", "/api/v1/app_users")
    assert headers["Authorization"] == AUTHORIZATION
    assert headers["User-Agent"] == USER_AGENT
    assert headers["Accept"] == "application/json"
    assert headers["Content-Type"].startswith("application/json")


async def test_a_custom_user_agent_replaces_the_default(
    make_client: Callable[..., TakeOneClient], mock_api: AioResponses
) -> None:
    mock_api.get(USER_URL, payload=user_body("u1"))
    await make_client(user_agent="my-app/1.0").app_users.get("u1")
    (request,) = sent(mock_api, "GET", USER_URL)
    assert request.headers["User-Agent"] == "my-app/1.0"


def test_from_env_reads_id_secret_and_base_url() -> None:
    client = TakeOneClient.from_env(environ=ENV)
    assert (client.client_id, client.base_url) == ("env-id", DEFAULT_BASE_URL)
    client = TakeOneClient.from_env(
        environ={**ENV, "TAKEONE_BASE_URL": "http://127.0.0.1:8080/"}, max_retries=0
    )
    assert client.base_url == "http://127.0.0.1:8080"
    assert client.retry_policy.max_retries == 0


def test_from_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TAKEONE_BASE_URL", raising=False)
    assert TakeOneClient.from_env().client_id == "env-id"


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({}, "TAKEONE_CLIENT_ID and TAKEONE_CLIENT_SECRET"),
        ({"TAKEONE_CLIENT_ID": "id"}, "TAKEONE_CLIENT_SECRET"),
        ({"TAKEONE_CLIENT_SECRET": "env-secret"}, "TAKEONE_CLIENT_ID"),
        ({"TAKEONE_CLIENT_ID": "", "TAKEONE_CLIENT_SECRET": "env-secret"}, "TAKEONE_CLIENT_ID"),
    ],
)
def test_from_env_names_the_missing_variables(environ: dict[str, str], missing: str) -> None:
    with pytest.raises(TakeOneValueError) as info:
        TakeOneClient.from_env(environ=environ)
    assert str(info.value) == f"TakeOneClient.from_env: set {missing} in the environment"
    assert "env-secret" not in str(info.value)


def test_repr_redacts_the_secret() -> None:
    client = TakeOneClient(CLIENT_ID, CLIENT_SECRET)
    assert repr(client) == (
        f"TakeOneClient(base_url='{BASE_URL}', client_id='{CLIENT_ID}', client_secret=<redacted>)"
    )
    assert CLIENT_SECRET not in repr(client.app_users)
    assert CLIENT_SECRET not in repr(client.projects.list())


async def test_logs_record_each_attempt_and_never_the_secret(
    client: TakeOneClient, mock_api: AioResponses, sdk_logs: pytest.LogCaptureFixture
) -> None:
    """Successes, retries and every kind of failure: nothing logged or raised shows the secret."""
    mock_api.get(USER_URL, status=503, body="down")
    mock_api.get(USER_URL, payload=user_body("u1"))
    mock_api.get(f"{API}/app_users/u2", status=401, payload={"detail": "bad credentials"})
    mock_api.post(USERS, exception=connector_error(), repeat=True)
    mock_api.get(f"{API}/app_users/u3", status=200, body="<html>")
    await client.app_users.get("u1")
    raised: list[BaseException] = []
    for call in (
        client.app_users.get("u2"),
        client.app_users.create(external_id="42"),
        client.app_users.get("u3"),
    ):
        with pytest.raises(TakeOneError) as info:
            await call
        raised.append(info.value)

    messages = [r.getMessage() for r in sdk_logs.records]
    assert {r.name for r in sdk_logs.records} == {"takeone_async"}
    assert "GET /api/v1/app_users/u1 -> 503 (attempt 1," in messages[0]
    assert any("retrying GET /api/v1/app_users/{id}" in m for m in messages)
    assert any("GET /api/v1/app_users/u1 -> 200 (attempt 2," in m for m in messages)
    assert any(
        m.startswith("attempt 3 failed: POST /api/v1/app_users: could not connect")
        for m in messages
    )
    shown = [*messages, sdk_logs.text, repr(client)]
    shown += [text for e in raised for text in (str(e), repr(e), repr(e.__cause__))]
    for text in shown:
        assert CLIENT_SECRET not in text
        assert BASIC_TOKEN not in text


async def test_a_bad_request_error_does_not_log_at_warning_or_above(
    client: TakeOneClient, mock_api: AioResponses, sdk_logs: pytest.LogCaptureFixture
) -> None:
    mock_api.get(USER_URL, status=404, body="")
    with pytest.raises(TakeOneError):
        await client.app_users.get("u1")
    assert all(r.levelno < logging.WARNING for r in sdk_logs.records)
