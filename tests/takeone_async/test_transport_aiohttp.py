"""The aiohttp transport: what it hands aiohttp (aioresponses), how it classifies what aiohttp
raises, and, on loopback, the session it owns or borrows, its pool, timeouts and tracing, and
error chains free of credentials. The client on top of it, end to end, for what only a real
connection shows."""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey
from aioresponses import aioresponses as AioResponses
from yarl import URL

from takeone_async import APIConnectionError, APITimeoutError, TakeOneClient, TakeOneError
from takeone_async._http import Call
from takeone_async._transport_aiohttp import AiohttpTransport
from takeone_async.transport import Failure, Request, TransportError
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.takeone_async.conftest import (
    AUTHORIZATION,
    BASIC_TOKEN,
    USER_AGENT,
    LiveAPI,
    cancel_when,
    chained,
    shown_texts,
    user_body,
)

URL_ = "https://api.takeone.video/api/v1/app_users/u1"
HEADERS = {"Authorization": AUTHORIZATION, "Accept": "application/json"}
USER = user_body("u1")


class _Response(aiohttp.ClientResponse):
    """aiohttp 3.14 requires ``stream_writer``, which aioresponses 0.7 does not pass; given
    here through aioresponses' own ``response_class`` argument."""

    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters:
            kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


@pytest.fixture
def mocked() -> Iterator[AioResponses]:
    """Intercepts every aiohttp request; nothing leaves the process."""
    with AioResponses() as mock:
        yield mock


@pytest.fixture
async def transport() -> AsyncIterator[AiohttpTransport]:
    made = AiohttpTransport()
    yield made
    await made.close()


def connector_error(message: str = "Connection refused") -> aiohttp.ClientConnectorError:
    """The error aiohttp raises when it could not connect: nothing reached the server."""
    fields = dict.fromkeys(ConnectionKey._fields) | {
        "host": "api.takeone.video",
        "port": 443,
        "is_ssl": True,
        "ssl": True,
    }
    return aiohttp.ClientConnectorError(
        ConnectionKey(**fields), ConnectionRefusedError(111, message)
    )


async def test_a_request_reaches_aiohttp_as_given_and_the_answer_comes_back_whole(
    mocked: AioResponses, transport: AiohttpTransport
) -> None:
    mocked.post(
        URL_,
        status=201,
        body=b'{"id": "u1"}',
        headers={"X-Request-Id": "r1"},
        response_class=_Response,
    )
    request = Request("POST", URL_, HEADERS, b'{"a": 1}', 7.5, 2.0)
    response = await transport.send(request)
    assert (response.status, response.body) == (201, b'{"id": "u1"}')
    assert response.headers["x-request-id"] == "r1"
    ((call,),) = mocked.requests.values()
    assert call.kwargs["data"] == b'{"a": 1}'
    assert dict(call.kwargs["headers"]) == HEADERS
    assert (call.kwargs["timeout"].total, call.kwargs["timeout"].connect) == (7.5, 2.0)
    assert call.kwargs["allow_redirects"] is False


@pytest.mark.parametrize(
    ("exception", "failure", "timed_out", "message"),
    [
        (connector_error(), Failure.NOT_SENT, False, "could not connect (Cannot connect to host"),
        (aiohttp.ConnectionTimeoutError(), Failure.NOT_SENT, True, "connect timed out"),
        (
            aiohttp.ServerDisconnectedError(),
            Failure.CONNECTION,
            False,
            "connection failed (Server disconnected)",
        ),
        (
            aiohttp.ClientPayloadError("truncated"),
            Failure.CONNECTION,
            False,
            "connection failed (truncated)",
        ),
        (aiohttp.SocketTimeoutError(), Failure.TIMEOUT, True, "timed out after 7.5s"),
        (TimeoutError(), Failure.TIMEOUT, True, "timed out after 7.5s (TimeoutError)"),
        (
            aiohttp.InvalidURL("https://u:pw@h:99999/x"),
            Failure.UNSENDABLE,
            False,
            "the request cannot be sent (InvalidURL: https://u:***@h:99999/x)",
        ),
        (
            ValueError("Cannot combine AUTHORIZATION header"),
            Failure.UNSENDABLE,
            False,
            "the request cannot be sent (Cannot combine AUTHORIZATION header)",
        ),
        (
            TypeError("bad header"),
            Failure.UNSENDABLE,
            False,
            "the request cannot be sent (bad header)",
        ),
    ],
)
async def test_what_aiohttp_raises_is_classified_and_chained_to_nothing(
    mocked: AioResponses,
    transport: AiohttpTransport,
    exception: Exception,
    failure: Failure,
    timed_out: bool,
    message: str,
) -> None:
    mocked.get(URL_, exception=exception)
    with pytest.raises(TransportError) as info:
        await transport.send(Request("GET", URL_, HEADERS, None, 7.5, 2.0))
    assert (info.value.failure, info.value.timed_out) == (failure, timed_out)
    assert str(info.value).startswith(message)
    assert list(chained(info.value)) == [info.value]
    assert "pw" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://user:pw@127.0.0.1:9/x", "Cannot combine AUTHORIZATION header"),
        ("http://127.0.0.1:99999/x", "InvalidUrlClientError: http://127.0.0.1:99999/x"),
        ("ftp://user:pw@127.0.0.1/x", "NonHttpUrlClientError: ftp://user:***@127.0.0.1/x"),
    ],
)
async def test_a_request_aiohttp_refuses_to_build_is_unsendable(
    transport: AiohttpTransport, url: str, reason: str
) -> None:
    with pytest.raises(TransportError) as info:
        await transport.send(Request("GET", url, HEADERS))
    assert info.value.failure is Failure.UNSENDABLE
    assert reason in str(info.value)
    assert all(BASIC_TOKEN not in text and ":pw@" not in text for text in shown_texts(info.value))


async def test_a_request_aiohttp_refuses_is_one_clear_error_of_the_client(
    make_live_client: Callable[..., TakeOneClient],
) -> None:
    """Whatever a caller builds, aiohttp's refusal is a TakeOneError, not retried."""
    client = make_live_client(base_url="http://127.0.0.1:9")
    bad = Call("GET", "/x/{id}", "http://127.0.0.1:99999/x/1")
    with pytest.raises(APIConnectionError) as info:
        await client.send(bad)
    assert str(info.value).startswith("GET /x/{id}: the request cannot be sent (")
    assert list(chained(info.value)) == [info.value]


async def malformed_status_server() -> tuple[asyncio.Server, str]:
    """A loopback server answering every request with a broken status line."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 ABC Nonsense\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    return server, f"http://{host}:{port}"


async def test_after_a_malformed_status_line_no_error_in_the_chain_holds_the_credentials(
    make_live_client: Callable[..., TakeOneClient],
) -> None:
    server, url = await malformed_status_server()
    async with server:
        async with aiohttp.ClientSession() as session:  # what aiohttp itself raises
            with pytest.raises(aiohttp.ClientResponseError) as raw:
                await session.get(f"{url}/x", headers={"Authorization": AUTHORIZATION})
        assert BASIC_TOKEN in repr(raw.value)
        client = make_live_client(base_url=url, max_retries=1)
        with pytest.raises(APIConnectionError) as info:
            await client.app_users.get("u1")
    assert str(info.value).startswith("GET /api/v1/app_users/{id}: connection failed (")
    texts = shown_texts(info.value)
    assert len(texts) >= 2
    for text in texts:
        assert BASIC_TOKEN not in text
        assert CLIENT_SECRET not in text


async def test_the_transport_says_whose_session_it_uses() -> None:
    assert repr(AiohttpTransport(max_connections=7)) == (
        "<AiohttpTransport own session, max_connections=7>"
    )
    async with aiohttp.ClientSession() as session:
        assert repr(AiohttpTransport(session=session)) == (
            "<AiohttpTransport given session, max_connections=100>"
        )


def session_tracer() -> tuple[aiohttp.TraceConfig, list[aiohttp.ClientSession]]:
    """A trace config, and the list of the sessions it sees each request start in."""
    sessions: list[aiohttp.ClientSession] = []

    async def on_request_start(session: aiohttp.ClientSession, *_: Any) -> None:
        sessions.append(session)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    return trace, sessions


async def test_the_client_closes_the_session_it_created(live_api: LiveAPI) -> None:
    trace, sessions = session_tracer()
    live_api.reply(200, USER)
    live_api.reply(200, USER)
    client = TakeOneClient(CLIENT_ID, CLIENT_SECRET, base_url=live_api.url, trace_configs=[trace])
    async with client:
        await client.app_users.get("u1")
        await client.app_users.get("u1")
        assert not sessions[0].closed
    assert sessions[0] is sessions[1]
    assert sessions[0].closed


async def test_a_session_the_caller_owns_is_used_and_never_closed(live_api: LiveAPI) -> None:
    trace, sessions = session_tracer()
    live_api.reply(200, USER)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        async with TakeOneClient(
            CLIENT_ID, CLIENT_SECRET, base_url=live_api.url, session=session
        ) as client:
            await client.app_users.get("u1")
        await client.close()
        assert sessions == [session]
        assert not session.closed
    ((_, _, headers),) = live_api.seen
    assert headers["Authorization"] == AUTHORIZATION


async def test_a_closed_session_of_the_caller_is_a_clear_error(live_api: LiveAPI) -> None:
    session = aiohttp.ClientSession()
    await session.close()
    client = TakeOneClient(CLIENT_ID, CLIENT_SECRET, base_url=live_api.url, session=session)
    with pytest.raises(TakeOneError, match="the aiohttp session given to TakeOneClient is closed"):
        await client.app_users.get("u1")
    assert live_api.seen == []


@pytest.mark.parametrize("limit", [1, 2])
async def test_max_connections_bounds_the_connection_pool(live_api: LiveAPI, limit: int) -> None:
    """Two requests at once: the second reaches the server only if the pool has room."""
    live_api.reply(200, USER, hang=True)
    live_api.reply(200, USER, hang=True)
    async with TakeOneClient(
        CLIENT_ID, CLIENT_SECRET, base_url=live_api.url, max_connections=limit
    ) as client:
        calls = [asyncio.ensure_future(client.app_users.get("u1")) for _ in range(2)]
        async with asyncio.timeout(5):
            while len(live_api.seen) < limit:
                live_api.arrived.clear()
                await live_api.arrived.wait()
        await asyncio.sleep(0.1)
        assert len(live_api.seen) == limit
        live_api.release.set()
        users = await asyncio.gather(*calls)
    assert [u.id for u in users] == ["u1", "u1"]
    assert len(live_api.seen) == 2


async def test_a_closed_client_leaves_no_unclosed_session_warning(live_api: LiveAPI) -> None:
    live_api.reply(200, USER)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with TakeOneClient(CLIENT_ID, CLIENT_SECRET, base_url=live_api.url) as client:
            await client.app_users.get("u1")
        del client
        gc.collect()
    assert [str(w.message) for w in caught] == []


async def test_a_client_used_without_async_with_opens_its_session_on_first_use(
    live_api: LiveAPI,
) -> None:
    live_api.reply(200, USER)
    client = TakeOneClient(CLIENT_ID, CLIENT_SECRET, base_url=live_api.url)
    try:
        assert (await client.app_users.get("u1")).id == "u1"
    finally:
        await client.close()
    await client.close()
    assert len(live_api.seen) == 1


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
    live_api.reply(200, USER)
    async with TakeOneClient(
        CLIENT_ID, CLIENT_SECRET, base_url=live_api.url, trace_configs=[trace]
    ) as client:
        await client.app_users.get("u1")
    assert starts == [("GET", "/api/v1/app_users/u1")]
    assert json.loads(b"".join(chunks)) == USER


async def test_a_live_request_carries_auth_user_agent_and_json(
    live_api: LiveAPI, make_live_client: Callable[..., TakeOneClient]
) -> None:
    live_api.reply(201, USER)
    await make_live_client(base_url=live_api.url + "/").app_users.create(external_id="42")
    ((method, path, headers),) = live_api.seen
    assert (method, path) == ("POST", "/api/v1/app_users")
    assert headers["Authorization"] == AUTHORIZATION
    assert headers["User-Agent"] == USER_AGENT
    assert headers["Accept"] == "application/json"
    assert headers["Content-Type"].startswith("application/json")


async def test_a_query_reaches_the_server_as_the_client_encoded_it(
    live_api: LiveAPI, make_live_client: Callable[..., TakeOneClient]
) -> None:
    odd = "a/b?c=d&e=#42 ü/../x"
    live_api.reply(200, {"count": 0, "next": None, "results": []})
    await make_live_client(base_url=live_api.url).app_users.list(external_id=odd).first_page()
    ((_, path_qs, _),) = live_api.seen
    assert (URL(path_qs).path, dict(URL(path_qs).query)) == (
        "/api/v1/app_users",
        {"external_id": odd},
    )


async def test_the_deadline_bounds_a_slow_attempt(
    live_api: LiveAPI, make_live_client: Callable[..., TakeOneClient]
) -> None:
    live_api.reply(200, USER, hang=True)
    client = make_live_client(base_url=live_api.url, timeout=10)
    with pytest.raises(
        APITimeoutError, match=r"GET /api/v1/app_users/\{id\}: timed out after 0.1s"
    ):
        await client.app_users.get("u1", deadline=0.1)
    assert len(live_api.seen) == 1


async def test_a_per_call_timeout_overrides_the_clients_for_that_call_only(
    live_api: LiveAPI, make_live_client: Callable[..., TakeOneClient]
) -> None:
    client = make_live_client(base_url=live_api.url, timeout=10, max_retries=0)
    live_api.reply(200, USER, hang=True)
    with pytest.raises(APITimeoutError, match=r"timed out after 0.1s"):
        await client.app_users.get("u1", timeout=0.1)
    live_api.reply(200, USER)
    assert (await client.app_users.get("u1")).id == "u1"
    assert (client.timeout, client.retry_policy.max_retries) == (10, 0)


async def test_a_read_timeout_is_retried_for_get_but_not_for_post(
    live_api: LiveAPI, make_live_client: Callable[..., TakeOneClient]
) -> None:
    client = make_live_client(base_url=live_api.url, timeout=0.05)
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
    live_api: LiveAPI, make_live_client: Callable[..., TakeOneClient]
) -> None:
    client = make_live_client(base_url=live_api.url, timeout=0.1, max_connections=1)
    live_api.stall_mid_body()
    live_api.reply(200, USER)
    assert (await client.app_users.get("u1")).id == "u1"
    assert len(live_api.seen) == 2


async def test_a_live_retry_reuses_the_pool_without_leaking(
    live_api: LiveAPI, make_live_client: Callable[..., TakeOneClient]
) -> None:
    client = make_live_client(base_url=live_api.url, max_connections=1)
    live_api.reply(503, {"detail": "down"})
    live_api.reply(429, {"detail": "slow"})
    live_api.reply(200, USER)
    assert (await client.app_users.get("u1")).id == "u1"
    assert len(live_api.seen) == 3


async def test_cancelling_during_a_request_propagates_and_is_not_retried(
    live_api: LiveAPI, make_live_client: Callable[..., TakeOneClient]
) -> None:
    client = make_live_client(base_url=live_api.url)
    live_api.reply(200, USER, hang=True)
    await cancel_when(live_api.arrived, client.app_users.get("u1"))
    assert len(live_api.seen) == 1
