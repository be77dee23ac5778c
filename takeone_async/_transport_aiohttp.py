"""The default transport: aiohttp's client. The only module of the client that imports aiohttp,
loaded when a client first needs a transport of its own."""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp

from .retry import Failure
from .transport import Request, Response, TransportError
from .urls import redact_url

__all__ = ["AiohttpTransport"]


class AiohttpTransport:
    """Sends requests with an :class:`aiohttp.ClientSession`: the caller's ``session`` (used,
    never closed), or one it opens on first use with a pool of ``max_connections`` and the
    given ``trace_configs``, and closes in :meth:`close` (and opens again if used after)."""

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        max_connections: int = 100,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self.max_connections = max_connections
        self.trace_configs = list(trace_configs)

    def __repr__(self) -> str:
        owner = "own session" if self._owns_session else "given session"
        return f"<AiohttpTransport {owner}, max_connections={self.max_connections}>"

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is not None and not self._session.closed:
            return self._session
        if not self._owns_session:
            raise TransportError(
                "the aiohttp session given to TakeOneClient is closed", failure=Failure.UNSENDABLE
            )
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.max_connections),
            trace_configs=self.trace_configs or None,
        )
        return self._session

    async def send(self, request: Request) -> Response:
        """One attempt; what aiohttp raises comes out as :class:`TransportError`, chained to
        nothing (aiohttp's errors may hold the request headers, credentials included)."""
        session = self._session
        if session is None or session.closed:
            session = self._open_session()
        try:
            async with session.request(
                request.method,
                request.url,
                data=request.body,
                headers=request.headers,
                timeout=aiohttp.ClientTimeout(
                    total=request.timeout, connect=request.connect_timeout
                ),
                allow_redirects=False,
            ) as response:
                return Response(response.status, response.headers, await response.read())
        except (aiohttp.ClientError, TimeoutError, ValueError, TypeError) as exc:
            error = _transport_error(exc, request)
        raise error  # outside the except block: no __context__ either

    async def close(self) -> None:
        """Close the session this transport opened; a session given to it is left to its owner."""
        if self._owns_session and self._session is not None:
            session, self._session = self._session, None
            await session.close()


def _transport_error(exc: BaseException, request: Request) -> TransportError:
    """What aiohttp raised, as our error: classified by whether the request can have been sent,
    described without anything that may be secret (only ``str``, never ``repr``)."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return TransportError(
            f"connect timed out ({detail})", failure=Failure.NOT_SENT, timed_out=True
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        return TransportError(f"could not connect ({detail})", failure=Failure.NOT_SENT)
    if isinstance(exc, TimeoutError):
        return TransportError(
            f"timed out after {request.timeout:.1f}s ({detail})",
            failure=Failure.TIMEOUT,
            timed_out=True,
        )
    if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        detail = f"{type(exc).__name__}: {redact_url(str(exc))}"
    elif isinstance(exc, aiohttp.ClientError):
        return TransportError(f"connection failed ({detail})", failure=Failure.CONNECTION)
    return TransportError(f"the request cannot be sent ({detail})", failure=Failure.UNSENDABLE)
