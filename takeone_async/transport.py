"""How :class:`~takeone_async.TakeOneClient` reaches the API: a :class:`Transport` sends one
:class:`Request` and returns its :class:`Response`. Pure: no aiohttp here.

The client builds every request (URL, headers, JSON body, the attempt's timeouts), decides on
retries and turns answers into models or errors; a transport only moves bytes. The default
transport uses aiohttp (the client's ``session``, ``trace_configs`` and ``max_connections``
configure it); :class:`MockTransport` answers from a function, for tests::

    def handler(request: Request) -> Response:
        if request.url.endswith("/api/v1/app_users/u1"):
            return Response(200, {"Content-Type": "application/json"}, b'{"id": "u1"}')
        return Response(404, body=b'{"detail": "Not found."}')

    async with TakeOneClient(client_id, client_secret, transport=MockTransport(handler)) as client:
        user = await client.app_users.get("u1")

A transport that gets no answer raises :class:`TransportError`, saying how the attempt failed
(:class:`~takeone_async.retry.Failure`), which decides whether the client may retry it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import NamedTuple, Protocol

from .retry import Failure

__all__ = ["Failure", "MockTransport", "Request", "Response", "Transport", "TransportError"]

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class Request(NamedTuple):
    """One attempt to send: what goes on the wire, and how long the attempt may take.

    ``timeout`` bounds the whole attempt (connecting, sending, reading the body),
    ``connect_timeout`` the connecting part, both in seconds. A named tuple: it is built once
    per call, so it costs less than a class would.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None = None
    timeout: float = 30.0
    connect_timeout: float = 10.0


class Response(NamedTuple):
    """What the server answered: the status, its headers (looked up in any case by the client)
    and the whole body."""

    status: int
    headers: Mapping[str, str] = _NO_HEADERS
    body: bytes = b""


class TransportError(Exception):
    """An attempt that got no HTTP answer.

    ``failure`` says whether the request can have reached the server (the retry rules depend
    on it) and ``timed_out`` whether time ran out; the message is shown to users inside the
    client's :class:`~takeone_async.APIConnectionError`, so it must hold no credential.
    """

    def __init__(self, message: str, *, failure: Failure, timed_out: bool = False) -> None:
        super().__init__(message)
        self.failure = failure
        self.timed_out = timed_out


class Transport(Protocol):
    """Sends requests; ``close`` releases what it holds (the client calls it when closed)."""

    async def send(self, request: Request) -> Response:
        """The server's answer to ``request``, or :class:`TransportError`."""
        ...

    async def close(self) -> None:
        """Release connections; the transport may be used again afterwards."""
        ...


Handler = Callable[[Request], Response | Awaitable[Response]]


class MockTransport:
    """A transport that answers every request by calling ``handler`` (plain or async): for
    tests of code that uses the client, without a network."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    def __repr__(self) -> str:
        return f"MockTransport({self.handler!r})"

    async def send(self, request: Request) -> Response:
        answer = self.handler(request)
        if inspect.isawaitable(answer):
            return await answer
        return answer

    async def close(self) -> None:
        """Nothing to release."""
