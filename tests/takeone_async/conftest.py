"""Helpers for the client tests: a scripted API on the in-memory transport, page bodies, a live
loopback server for the aiohttp transport, and a spy on back-off sleeps."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import json
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import AsyncExitStack
from typing import Any

import attrs
import pytest
from aiohttp import web
from yarl import URL

from takeone_async import TakeOneClient, __version__
from takeone_async.transport import Failure, MockTransport, Request, Response, TransportError
from tests.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET

BASIC_TOKEN = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
AUTHORIZATION = f"Basic {BASIC_TOKEN}"
USER_AGENT = f"takeone-async/{__version__}"
FAST = {"backoff_base": 0.001, "backoff_cap": 0.01, "retry_after_cap": 0.05}

# Failures a transport reports, as the aiohttp transport classifies what aiohttp raises.
CONNECT_REFUSED = TransportError("could not connect (Connection refused)", failure=Failure.NOT_SENT)
CONNECT_TIMEOUT = TransportError(
    "connect timed out (ConnectionTimeoutError)", failure=Failure.NOT_SENT, timed_out=True
)
DROPPED = TransportError("connection failed (Server disconnected)", failure=Failure.CONNECTION)
READ_TIMEOUT = TransportError(
    "timed out after 30.0s (TimeoutError)", failure=Failure.TIMEOUT, timed_out=True
)


@attrs.frozen
class Sent:
    """One request as the scripted API saw it."""

    method: str
    url: URL
    json: Any
    headers: Mapping[str, str]
    timeout: float
    connect_timeout: float


Answer = Callable[[Request], Awaitable[Response]]


@attrs.define
class FakeAPI:
    """Answers the client through :class:`MockTransport` from replies scripted per method and
    URL (query included), each used once unless ``repeat``; records every request."""

    requests: list[Sent] = attrs.field(factory=list)
    arrived: asyncio.Event = attrs.field(factory=asyncio.Event)
    _replies: dict[tuple[str, URL], list[tuple[Answer, bool]]] = attrs.field(factory=dict)

    @property
    def transport(self) -> MockTransport:
        return MockTransport(self.handle)

    def add(
        self,
        url: str,
        method: str = "GET",
        *,
        status: int = 200,
        payload: Any = None,
        body: str | bytes = "",
        headers: Mapping[str, str] | None = None,
        failure: TransportError | None = None,
        hang: asyncio.Event | None = None,
        stall: bool = False,
        late: float = 0.0,
        repeat: bool = False,
    ) -> None:
        """Script the answer to ``method url``: a status with a JSON ``payload`` or a raw
        ``body``, or a transport ``failure``. ``hang`` holds the answer until it is set;
        ``stall`` never answers, failing as a transport does when the request's timeout runs
        out; ``late`` answers that many seconds late, whatever the timeout."""
        content = json.dumps(payload).encode() if payload is not None else body
        data = content.encode() if isinstance(content, str) else content
        answer_headers = {"Content-Type": "application/json", **(headers or {})}

        async def answer(request: Request) -> Response:
            if hang is not None:
                await asyncio.wait_for(hang.wait(), 5)
            if stall:
                await _pause(request.timeout)
                raise TransportError(
                    f"timed out after {request.timeout:.1f}s (TimeoutError)",
                    failure=Failure.TIMEOUT,
                    timed_out=True,
                )
            if late:
                await _pause(late)
            if failure is not None:
                raise failure
            return Response(status, answer_headers, data)

        self._replies.setdefault((method, URL(url)), []).append((answer, repeat))

    def get(self, url: str, **kwargs: Any) -> None:
        self.add(url, "GET", **kwargs)

    def post(self, url: str, **kwargs: Any) -> None:
        self.add(url, "POST", **kwargs)

    def put(self, url: str, **kwargs: Any) -> None:
        self.add(url, "PUT", **kwargs)

    async def handle(self, request: Request) -> Response:
        url = URL(request.url)
        data = None if request.body is None else json.loads(request.body)
        self.requests.append(
            Sent(
                request.method,
                url,
                data,
                request.headers,
                request.timeout,
                request.connect_timeout,
            )
        )
        self.arrived.set()
        replies = self._replies.get((request.method, url))
        if not replies:
            raise AssertionError(f"no reply scripted for {request.method} {url}")
        answer, repeat = replies[0]
        if not repeat:
            replies.pop(0)
        return await answer(request)

    def sent(self, method: str, url: str) -> list[Sent]:
        """Every request made to (method, url), query included, in order."""
        wanted = URL(url)
        return [r for r in self.requests if r.method == method and r.url == wanted]

    def only_request(self, method: str, url: str) -> Sent:
        """The single request made, failing if any other was."""
        requests = self.sent(method, url)
        assert len(requests) == 1, f"{method} {url}: {len(requests)} requests"
        assert len(self.requests) == 1, f"other requests too: {self.requests}"
        return requests[0]


async def _pause(seconds: float) -> None:
    """Wait ``seconds`` without ``asyncio.sleep`` (which the ``sleeps`` fixture records)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.Event().wait(), seconds)


@pytest.fixture
def api() -> FakeAPI:
    """The scripted API the ``client`` and ``make_client`` clients talk to."""
    return FakeAPI()


@pytest.fixture
async def make_client(api: FakeAPI) -> AsyncIterator[Callable[..., TakeOneClient]]:
    """Builds clients on the scripted API (fast back-off unless overridden), closed at teardown."""
    async with AsyncExitStack() as stack:

        def make(**kwargs: Any) -> TakeOneClient:
            settings = {"base_url": BASE_URL, "transport": api.transport, **FAST, **kwargs}
            made = TakeOneClient(CLIENT_ID, CLIENT_SECRET, **settings)
            stack.push_async_callback(made.close)
            return made

        yield make


@pytest.fixture
async def client(make_client: Callable[..., TakeOneClient]) -> TakeOneClient:
    """A client on the scripted API with near-zero back-off, so retry tests run fast (this
    overrides the suite-wide ``client``)."""
    return make_client()


@pytest.fixture
async def make_live_client() -> AsyncIterator[Callable[..., TakeOneClient]]:
    """Builds clients on the default aiohttp transport (give ``base_url``), closed at teardown."""
    async with AsyncExitStack() as stack:

        def make(**kwargs: Any) -> TakeOneClient:
            made = TakeOneClient(CLIENT_ID, CLIENT_SECRET, **{**FAST, **kwargs})
            stack.push_async_callback(made.close)
            return made

        yield make


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


def chained(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception reachable from it through causes, contexts and args."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
        pending += [a for a in current.args if isinstance(a, BaseException)]


def shown_texts(error: BaseException) -> list[str]:
    """What printing or logging ``error`` and its chain can show: each one's str and repr,
    and those of its arguments."""
    texts = []
    for e in chained(error):
        texts += [str(e), repr(e), *(repr(a) for a in e.args)]
    return texts


class SleepRecorder:
    """Records the delays passed to ``asyncio.sleep``, then really sleeps."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.started = asyncio.Event()
        self.oversleep = 0.0
        self._real_sleep = asyncio.sleep

    async def sleep(self, delay: float, result: Any = None) -> Any:
        """Sleep ``delay`` (plus ``oversleep``, to play a busy event loop that wakes up late)."""
        self.delays.append(delay)
        self.started.set()
        return await self._real_sleep(delay + self.oversleep, result)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> SleepRecorder:
    """Spy on ``asyncio.sleep``: the back-off waits of the request loop, get_or_create and wait."""
    recorder = SleepRecorder()
    monkeypatch.setattr(asyncio, "sleep", recorder.sleep)
    return recorder


@pytest.fixture
def sdk_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of the ``takeone_async`` logger, down to DEBUG."""
    with caplog.at_level(logging.DEBUG, logger="takeone_async"):
        yield caplog


Reply = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


@attrs.define
class LiveAPI:
    """A real HTTP server on 127.0.0.1 answering scripted replies, for what only a real
    connection shows (timeouts, tracing, connection pools)."""

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
