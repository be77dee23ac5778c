"""The client object on the in-memory transport: settings, open and closed, headers, logging,
and keeping its secret. (The aiohttp transport has its own tests.)"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from takeone_async import (
    DEFAULT_BASE_URL,
    AppUser,
    InvalidResponseError,
    TakeOneClient,
    TakeOneError,
    TakeOneValueError,
)
from takeone_async._http import Call
from takeone_async.transport import MockTransport, Request, Response
from tests.conftest import API, BASE_URL, CLIENT_ID, CLIENT_SECRET
from tests.takeone_async.conftest import (
    AUTHORIZATION,
    BASIC_TOKEN,
    CONNECT_REFUSED,
    USER_AGENT,
    FakeAPI,
    shown_texts,
    user_body,
)

USER_URL = f"{API}/app_users/u1"
USERS = f"{API}/app_users"
ENV = {"TAKEONE_CLIENT_ID": "env-id", "TAKEONE_CLIENT_SECRET": "env-secret"}


async def test_a_closed_client_refuses_calls_and_async_with_opens_it_again(
    client: TakeOneClient, api: FakeAPI
) -> None:
    api.get(USER_URL, payload=user_body("u1"), repeat=True)
    async with client:
        await client.app_users.get("u1")
    with pytest.raises(TakeOneError, match=r"GET /api/v1/app_users/\{id\}: the client is closed"):
        await client.app_users.get("u1")
    with pytest.raises(TakeOneError, match=r"GET /api/v1/app_users: the client is closed"):
        await client.app_users.list().to_list()
    async with client:
        assert (await client.app_users.get("u1")).id == "u1"
    assert len(api.sent("GET", USER_URL)) == 2


async def test_closing_the_client_closes_its_transport_and_a_client_works_without_async_with(
    make_client: Callable[..., TakeOneClient],
) -> None:
    class Counting(MockTransport):
        closed = 0

        async def close(self) -> None:
            self.closed += 1

    transport = Counting(lambda request: Response(200, body=b'{"id": "u1"}'))
    client = make_client(transport=transport)
    assert (await client.app_users.get("u1")).id == "u1"
    await client.close()
    await client.close()
    assert transport.closed == 2


async def test_every_request_carries_auth_user_agent_and_json_headers(
    client: TakeOneClient, api: FakeAPI
) -> None:
    api.get(USER_URL, payload=user_body("u1"))
    api.post(USERS, status=201, payload=user_body("u1"))
    await client.app_users.get("u1")
    await client.app_users.create(external_id="42")
    read, create = api.requests
    for request in (read, create):
        assert request.headers["Authorization"] == AUTHORIZATION
        assert request.headers["User-Agent"] == USER_AGENT
        assert request.headers["Accept"] == "application/json"
    assert "Content-Type" not in read.headers
    assert create.headers["Content-Type"] == "application/json"
    assert create.json == {"external_id": "42"}


async def test_a_handler_may_be_a_coroutine_function_and_the_base_url_loses_its_slash(
    make_client: Callable[..., TakeOneClient],
) -> None:
    seen: list[Request] = []

    async def handler(request: Request) -> Response:
        seen.append(request)
        return Response(200, body=b'{"id": "u1"}')

    client = make_client(base_url=BASE_URL + "/", transport=MockTransport(handler))
    assert (await client.app_users.get("u1")).id == "u1"
    assert [(r.method, r.url, r.body) for r in seen] == [("GET", USER_URL, None)]


async def test_the_transports_timeouts_come_from_the_client_and_the_call(
    make_client: Callable[..., TakeOneClient], api: FakeAPI
) -> None:
    api.get(USER_URL, payload=user_body("u1"), repeat=True)
    client = make_client(timeout=12, connect_timeout=3)
    await client.app_users.get("u1")
    await client.app_users.get("u1", timeout=7.5, connect_timeout=2.0)
    assert [(r.timeout, r.connect_timeout) for r in api.requests] == [(12, 3), (7.5, 2.0)]


async def test_a_custom_user_agent_replaces_the_default(
    make_client: Callable[..., TakeOneClient], api: FakeAPI
) -> None:
    api.get(USER_URL, payload=user_body("u1"))
    await make_client(user_agent="my-app/1.0").app_users.get("u1")
    (request,) = api.sent("GET", USER_URL)
    assert request.headers["User-Agent"] == "my-app/1.0"


@pytest.mark.parametrize("user_agent", ["", "my-app/1.0\r\nX-Injected: 1", 7])
def test_a_user_agent_that_is_not_one_line_of_text_is_refused(user_agent: Any) -> None:
    with pytest.raises(TakeOneValueError, match="user_agent must be a non-empty string on one"):
        TakeOneClient(CLIENT_ID, CLIENT_SECRET, user_agent=user_agent)


@pytest.mark.parametrize("aiohttp_setting", ["session", "trace_configs"])
async def test_a_transport_and_aiohttp_settings_are_not_given_together(
    aiohttp_setting: str,
) -> None:
    async with aiohttp.ClientSession() as session:
        value = session if aiohttp_setting == "session" else [aiohttp.TraceConfig()]
        with pytest.raises(TakeOneValueError, match="give them or a transport, not both"):
            TakeOneClient(
                CLIENT_ID,
                CLIENT_SECRET,
                transport=MockTransport(lambda r: Response(200)),
                **{aiohttp_setting: value},
            )


def test_the_client_and_the_in_memory_transport_load_no_aiohttp() -> None:
    """aiohttp is imported when a client first needs the default transport, not before."""
    code = """
import asyncio, sys
from takeone_async import TakeOneClient
from takeone_async.transport import MockTransport, Response

async def main():
    transport = MockTransport(lambda request: Response(200, body=b'{"id": "u1"}'))
    async with TakeOneClient("id", "secret", transport=transport) as client:
        assert (await client.app_users.get("u1")).id == "u1"
    assert "aiohttp" not in sys.modules, "loaded with a transport given"
    async with TakeOneClient("id", "secret", base_url="http://127.0.0.1:9") as client:
        assert "aiohttp" not in sys.modules, "loaded by the client"
        try:
            await client.app_users.get("u1", max_retries=0, connect_timeout=2)
        except Exception:
            pass
    assert "aiohttp" in sys.modules, "the default transport did not load it"

asyncio.run(main())
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


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
    client: TakeOneClient, api: FakeAPI, sdk_logs: pytest.LogCaptureFixture
) -> None:
    """Successes, retries and every kind of failure: nothing logged or raised shows the secret."""
    api.get(USER_URL, status=503, body="down")
    api.get(USER_URL, payload=user_body("u1"))
    api.get(f"{API}/app_users/u2", status=401, payload={"detail": "bad credentials"})
    api.post(USERS, failure=CONNECT_REFUSED, repeat=True)
    api.get(f"{API}/app_users/u3", status=200, body="<html>")
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
    shown += [text for e in raised for text in shown_texts(e)]
    for text in shown:
        assert CLIENT_SECRET not in text
        assert BASIC_TOKEN not in text


async def test_a_bad_request_error_does_not_log_at_warning_or_above(
    client: TakeOneClient, api: FakeAPI, sdk_logs: pytest.LogCaptureFixture
) -> None:
    api.get(USER_URL, status=404, body="")
    with pytest.raises(TakeOneError):
        await client.app_users.get("u1")
    assert all(r.levelno < logging.WARNING for r in sdk_logs.records)


async def test_a_call_can_be_sent_raw_decoded_and_its_origin_checked(
    client: TakeOneClient, api: FakeAPI
) -> None:
    """``send`` (and ``request``, the same with keyword options) and ``decode``: what the
    resource groups use, public for endpoints the SDK does not cover yet."""
    call = Call("GET", "/api/v1/app_users/{id}", USER_URL)
    api.get(USER_URL, payload=user_body("u1"), repeat=True)
    assert await client.request(call, timeout=3) == user_body("u1")
    assert (await client.send(call, {}, AppUser)).id == "u1"
    assert client.decode(call, user_body("u2"), AppUser).id == "u2"
    with pytest.raises(InvalidResponseError, match=r"^GET /api/v1/app_users/\{id\}: the response"):
        client.decode(call, {}, AppUser)
    assert api.requests[0].timeout == 3
    assert client.check_same_origin("https://API.takeone.video:443/x")
    assert not client.check_same_origin("http://api.takeone.video/x")


def test_a_mock_transport_says_what_answers() -> None:
    def handler(request: Request) -> Response:
        return Response(200)

    assert repr(MockTransport(handler)) == f"MockTransport({handler!r})"


@pytest.mark.parametrize("suffix", ["/api/v1", "/api/v1/"])
async def test_a_base_url_copied_with_api_v1_at_its_end_reaches_the_same_endpoints(
    make_client: Callable[..., TakeOneClient], api: FakeAPI, suffix: str
) -> None:
    """``TAKEONE_BASE_URL=http://host/api/v1`` must not request ``/api/v1/api/v1/...``."""
    api.get(f"{API}/app_users/u1", payload=user_body("u1"))
    client = make_client(base_url=BASE_URL + suffix)
    assert client.base_url == BASE_URL
    assert (await client.app_users.get("u1")).id == "u1"


def test_from_env_says_when_it_falls_back_to_the_production_api(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="takeone_async")
    env = {"TAKEONE_CLIENT_ID": CLIENT_ID, "TAKEONE_CLIENT_SECRET": CLIENT_SECRET}
    assert TakeOneClient.from_env(env).base_url == DEFAULT_BASE_URL
    assert caplog.messages == [
        f"TAKEONE_BASE_URL is not set: using the production API, {DEFAULT_BASE_URL}"
    ]
    caplog.clear()
    TakeOneClient.from_env({**env, "TAKEONE_BASE_URL": BASE_URL})
    assert caplog.messages == []
