"""TakeOneClient: configuration, session ownership and the request loop (the one place that calls aiohttp)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, NamedTuple, Self, TypedDict, TypeVar, Unpack

import aiohttp

from . import _http
from ._converter import StructureError, structure
from ._retry import Failure, RetryPolicy, parse_retry_after
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InvalidResponseError,
    TakeOneError,
    TakeOneValueError,
)
from .resources import (
    AppUsers,
    HeadshotContainers,
    HeadshotContainerTemplates,
    HeadshotProjects,
    Projects,
    ScriptGenerations,
    ScriptGenerationTemplates,
    VideoContainers,
    VideoContainerTemplates,
)

__all__ = ["DEFAULT_BASE_URL", "CallOptions", "TakeOneClient"]

DEFAULT_BASE_URL = "https://api.takeone.video"
logger = logging.getLogger("takeone_async")
T = TypeVar("T")


class _Outcome(NamedTuple):
    """What one attempt produced: a body, or an error classified for the retry rules."""

    body: Any = None
    error: Exception | None = None
    failure: Failure = Failure.STATUS
    status: int | None = None
    retry_after: float | None = None


class CallOptions(TypedDict, total=False):
    """Per-call overrides of the client's settings."""

    timeout: float
    connect_timeout: float
    deadline: float | None
    max_retries: int


class TakeOneClient:
    """Async client for every documented TakeOne endpoint; use it as ``async with``."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        deadline: float | None = None,
        max_retries: int = 2,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        retry_after_cap: float = 60.0,
        max_connections: int = 100,
        session: aiohttp.ClientSession | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
        user_agent: str | None = None,
    ) -> None:
        for name, value in (("client_id", client_id), ("client_secret", client_secret)):
            if not isinstance(value, str) or not value:
                raise TakeOneValueError(f"TakeOneClient: {name} must be a non-empty string")
        base_origin = _http.origin(base_url)
        if base_origin is None or base_origin[0] not in ("http", "https") or not base_origin[1]:
            raise TakeOneValueError(
                f"TakeOneClient: base_url must be an http(s) URL, got {base_url!r}"
            )
        _http.check_options(
            "TakeOneClient",
            {
                "timeout": timeout,
                "connect_timeout": connect_timeout,
                "deadline": deadline,
                "max_retries": max_retries,
            },
        )
        for setting, amount in (
            ("backoff_base", backoff_base),
            ("backoff_cap", backoff_cap),
            ("retry_after_cap", retry_after_cap),
        ):
            if not isinstance(amount, int | float) or isinstance(amount, bool) or not amount >= 0:
                raise TakeOneValueError(f"TakeOneClient: {setting} must be a number >= 0")
        if not isinstance(max_connections, int) or max_connections < 1:
            raise TakeOneValueError("TakeOneClient: max_connections must be an integer >= 1")
        self.client_id = client_id
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.deadline = deadline
        self.retry_policy = RetryPolicy(max_retries, backoff_base, backoff_cap, retry_after_cap)
        self.max_connections = max_connections
        self._origin = _http.origin(self.base_url)
        self._headers = {
            "Authorization": _http.basic_auth(client_id, client_secret),
            "User-Agent": user_agent or _http.USER_AGENT,
            "Accept": "application/json",
        }
        self._session = session
        self._owns_session = session is None
        self._closed = False
        self._trace_configs = list(trace_configs or ())

        self.app_users = AppUsers(self)
        self.video_container_templates = VideoContainerTemplates(self)
        self.video_containers = VideoContainers(self)
        self.projects = Projects(self)
        self.script_generation_templates = ScriptGenerationTemplates(self)
        self.script_generations = ScriptGenerations(self)
        self.headshot_container_templates = HeadshotContainerTemplates(self)
        self.headshot_containers = HeadshotContainers(self)
        self.headshot_projects = HeadshotProjects(self)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> Self:
        """Build a client from TAKEONE_CLIENT_ID, TAKEONE_CLIENT_SECRET and TAKEONE_BASE_URL."""
        env = os.environ if environ is None else environ
        missing = [k for k in ("TAKEONE_CLIENT_ID", "TAKEONE_CLIENT_SECRET") if not env.get(k)]
        if missing:
            raise TakeOneValueError(
                f"TakeOneClient.from_env: set {' and '.join(missing)} in the environment"
            )
        kwargs.setdefault("base_url", env.get("TAKEONE_BASE_URL") or DEFAULT_BASE_URL)
        return cls(env["TAKEONE_CLIENT_ID"], env["TAKEONE_CLIENT_SECRET"], **kwargs)

    def __repr__(self) -> str:
        return (
            f"TakeOneClient(base_url={self.base_url!r}, client_id={self.client_id!r}, "
            "client_secret=<redacted>)"
        )

    async def __aenter__(self) -> Self:
        self._closed = False
        self._get_session()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session this client created; a session passed in is left to its owner."""
        self._closed = True
        if self._owns_session and self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _get_session(self, call: str = "TakeOneClient") -> aiohttp.ClientSession:
        """The session to send with, opened on first use; never one that is closed."""
        if self._closed:
            raise TakeOneError(
                f"{call}: the client is closed; use it inside `async with`, or make a new one"
            )
        if self._session is not None and self._session.closed and not self._owns_session:
            raise TakeOneError(f"{call}: the aiohttp session given to TakeOneClient is closed")
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.max_connections),
                trace_configs=self._trace_configs or None,
                raise_for_status=False,
            )
            self._owns_session = True
        return self._session

    def _spec(
        self,
        method: str,
        route: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> _http.RequestSpec:
        url = _http.build_url(self.base_url, path, params)
        return _http.RequestSpec(method, route, url, json)

    def check_same_origin(self, url: str) -> bool:
        """Whether ``url`` shares the base URL's scheme, host and port (credentials may go there)."""
        return _http.origin(url) == self._origin

    async def request(self, spec: _http.RequestSpec, **options: Unpack[CallOptions]) -> Any:
        """Send ``spec`` with retries as the method allows; return the decoded JSON body."""
        _http.check_options(spec.name, options)
        policy = self.retry_policy
        if "max_retries" in options:
            policy = RetryPolicy(
                options["max_retries"],
                policy.backoff_base,
                policy.backoff_cap,
                policy.retry_after_cap,
            )
        timeout = options.get("timeout", self.timeout)
        connect_timeout = options.get("connect_timeout", self.connect_timeout)
        deadline = options.get("deadline", self.deadline)
        started = time.monotonic()
        stop_at = None if deadline is None else started + deadline
        session = self._get_session(spec.name)
        attempt = 0
        while True:
            attempt += 1
            attempt_timeout = timeout
            if stop_at is not None:
                attempt_timeout = min(timeout, stop_at - time.monotonic())
                if attempt_timeout <= 0:
                    raise APITimeoutError(
                        f"{spec.name}: deadline of {deadline}s exceeded after {attempt - 1} attempt(s)",
                        method=spec.method,
                        url=spec.url,
                    )
            outcome = await self._attempt(session, spec, attempt, attempt_timeout, connect_timeout)
            error = outcome.error
            if error is None:
                return outcome.body
            if outcome.status is None:
                logger.debug("attempt %d failed: %s", attempt, error)
            if attempt > policy.max_retries or not policy.should_retry(
                spec.method, outcome.failure, outcome.status
            ):
                raise error
            delay = policy.delay(attempt, outcome.retry_after)
            if stop_at is not None and time.monotonic() + delay >= stop_at:
                raise error
            logger.info(
                "retrying %s in %.2fs (attempt %d failed: %s)", spec.name, delay, attempt, error
            )
            await asyncio.sleep(delay)

    async def _attempt(
        self,
        session: aiohttp.ClientSession,
        spec: _http.RequestSpec,
        attempt: int,
        total: float,
        connect: float,
    ) -> _Outcome:
        """One HTTP exchange, its failure classified for the retry rules."""
        began = time.monotonic()
        try:
            async with session.request(
                spec.method,
                spec.url,
                json=spec.json,
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=total, connect=connect),
                allow_redirects=False,
            ) as response:
                body = await response.read()
                status = response.status
                headers = response.headers
        except aiohttp.ConnectionTimeoutError as exc:
            return self._transport_error(
                spec, APITimeoutError, "connect timed out", exc, Failure.NOT_SENT
            )
        except aiohttp.ClientConnectorError as exc:
            return self._transport_error(
                spec, APIConnectionError, "could not connect", exc, Failure.NOT_SENT
            )
        except TimeoutError as exc:
            return self._transport_error(
                spec, APITimeoutError, f"timed out after {total:.1f}s", exc, Failure.TIMEOUT
            )
        except aiohttp.ClientError as exc:
            return self._transport_error(
                spec, APIConnectionError, "connection failed", exc, Failure.CONNECTION
            )
        elapsed = time.monotonic() - began
        path = spec.url[len(self.base_url) :] if spec.url.startswith(self.base_url) else spec.url
        logger.debug("%s %s -> %d (attempt %d, %.3fs)", spec.method, path, status, attempt, elapsed)
        if 200 <= status < 300:
            return _Outcome(body=_http.parse_json(spec, status, body), status=status)
        retry_after = parse_retry_after(headers.get("Retry-After"))
        error: APIStatusError = _http.status_error(spec, status, headers, body, retry_after)
        return _Outcome(error=error, status=status, retry_after=retry_after)

    @staticmethod
    def _transport_error(
        spec: _http.RequestSpec,
        cls: type[APIConnectionError],
        what: str,
        exc: BaseException,
        failure: Failure,
    ) -> _Outcome:
        detail = str(exc) or type(exc).__name__
        error = cls(f"{spec.name}: {what} ({detail})", method=spec.method, url=spec.url)
        error.__cause__ = exc
        return _Outcome(error=error, failure=failure)

    def decode(self, spec: _http.RequestSpec, data: Any, cls: type[T]) -> T:
        """Structure a body into ``cls``, naming the call and the field when it does not fit."""
        try:
            return structure(data, cls)
        except StructureError as exc:
            raise InvalidResponseError(
                f"{spec.name}: the response is not the documented shape: {exc}",
                method=spec.method,
                url=spec.url,
                path=exc.where,
            ) from None
