"""Helpers for the client tests: what the mock recorded, page bodies, a live loopback API, sleeps."""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web
from aiohttp.client_reqrep import ConnectionKey
from aioresponses import aioresponses as AioResponses
from yarl import URL

from takeone_async import TakeOneClient, __version__
from takeone_async import _client as client_module
from takeone_async.resources import app_users as app_users_module
from takeone_async.resources import scripts as scripts_module
from tests.conftest import API, CLIENT_ID, CLIENT_SECRET

BASIC_TOKEN = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
AUTHORIZATION = f"Basic {BASIC_TOKEN}"
USER_AGENT = f"takeone-async/{__version__}"
FAST = {"backoff_base": 0.001, "backoff_cap": 0.01, "retry_after_cap": 0.05}


@attrs.frozen
class Sent:
    """One request as the mock saw it."""

    method: str
    url: URL
    json: Any
    headers: dict[str, str]


def sent(mock: AioResponses, method: str, url: str) -> list[Sent]:
    """Every request the mock recorded for (method, url), query included, in order."""
    wanted = URL(url)
    return [
        Sent(m, u, call.kwargs.get("json"), dict(call.kwargs.get("headers") or {}))
        for (m, u), calls in mock.requests.items()
        if m == method and u == wanted
        for call in calls
    ]


def only_request(mock: AioResponses, method: str, url: str) -> Sent:
    """The single request made, failing if the mock saw any other."""
    requests = sent(mock, method, url)
    assert len(requests) == 1, f"{method} {url}: {len(requests)} requests"
    assert count_requests(mock) == 1, f"other requests too: {list(mock.requests)}"
    return requests[0]


async def invoke(call: Callable[[], Any]) -> Any:
    """Run a call whether it returns a value (a list call) or an awaitable (everything else)."""
    result = call()
    return await result if inspect.isawaitable(result) else result


async def cancel_when(started: asyncio.Event, call: Awaitable[Any]) -> None:
    """Run ``call``, cancel it once ``started`` is set, and check the cancellation came out."""
    task = asyncio.ensure_future(call)
    async with asyncio.timeout(2):
        await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def count_requests(mock: AioResponses) -> int:
    """How many requests the mock saw in all."""
    return sum(len(calls) for calls in mock.requests.values())


def page_body(results: list[Any], next_url: str | None = None, count: int | None = None) -> Any:
    """A Django-REST-style page."""
    return {
        "count": len(results) if count is None else count,
        "next": next_url,
        "previous": None,
        "results": results,
    }


async def collect_into(items: AsyncIterable[Any], into: list[Any]) -> None:
    """Append each item as it arrives, so a test sees what came out before an error."""
    async for item in items:
        into.append(item)


def user_body(user_id: str, external_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """A minimal valid AppUser body."""
    return {"id": user_id, "external_id": external_id, **fields}


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


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., TakeOneClient]]:
    """Builds entered clients (fast back-off unless overridden), closed at teardown."""
    async with AsyncExitStack() as stack:
        made: list[TakeOneClient] = []

        def make(**kwargs: Any) -> TakeOneClient:
            settings = {"base_url": API.removesuffix("/api/v1"), **FAST, **kwargs}
            c = TakeOneClient(CLIENT_ID, CLIENT_SECRET, **settings)
            made.append(c)
            stack.push_async_callback(c.close)
            return c

        yield make


class SleepRecorder:
    """Records the delays passed to ``asyncio.sleep`` by the client modules, then really sleeps."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.started = asyncio.Event()
        self.oversleep = 0.0
        self._real_sleep = asyncio.sleep

    async def sleep(self, delay: float) -> None:
        """Sleep ``delay`` (plus ``oversleep``, to play a busy event loop that wakes up late)."""
        self.delays.append(delay)
        self.started.set()
        await self._real_sleep(delay + self.oversleep)

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> SleepRecorder:
    """Spy on the back-off sleeps of the request loop, get_or_create and wait."""
    recorder = SleepRecorder()
    for module in (client_module, app_users_module, scripts_module):
        monkeypatch.setattr(module, "asyncio", recorder)
    return recorder


@pytest.fixture
def sdk_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of the ``takeone_async`` logger, down to DEBUG."""
    with caplog.at_level(logging.DEBUG, logger="takeone_async"):
        yield caplog


Reply = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


@attrs.define
class LiveAPI:
    """A real HTTP server on 127.0.0.1 answering scripted replies, for what a mock cannot show
    (timeouts, tracing, connection pools)."""

    url: str = ""
    replies: list[Reply] = attrs.field(factory=list)
    seen: list[tuple[str, str, dict[str, str]]] = attrs.field(factory=list)
    release: asyncio.Event = attrs.field(factory=asyncio.Event)
    arrived: asyncio.Event = attrs.field(factory=asyncio.Event)

    def reply(self, status: int = 200, body: Any = None, *, hang: bool = False) -> None:
        """Queue the next answer; ``hang`` holds it until the test ends."""

        async def answer(request: web.BaseRequest) -> web.StreamResponse:
            if hang:
                await asyncio.wait_for(self.release.wait(), 5)
            return web.json_response(body, status=status)

        self.replies.append(answer)

    def stall_mid_body(self, body: bytes = b'{"id": "u1", ') -> None:
        """Queue an answer that sends its headers and the start of its body, then stalls."""

        async def answer(request: web.BaseRequest) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.content_length = len(body) + 100
            await response.prepare(request)
            await response.write(body)
            await asyncio.wait_for(self.release.wait(), 5)
            return response

        self.replies.append(answer)

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        self.seen.append((request.method, request.path_qs, dict(request.headers)))
        self.arrived.set()
        if not self.replies:
            return web.json_response({"detail": "no reply scripted"}, status=418)
        return await self.replies.pop(0)(request)


@pytest.fixture
async def live_api(aiohttp_raw_server: Any) -> AsyncIterator[LiveAPI]:
    """A loopback server whose answers each test scripts with ``live_api.reply(...)``."""
    live = LiveAPI()
    server = await aiohttp_raw_server(live.handle)
    live.url = str(server.make_url("")).rstrip("/")
    yield live
    live.release.set()


def body_json(value: Any) -> str:
    """A JSON text body for aioresponses."""
    return json.dumps(value)
