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
import attrs
from multidict import CIMultiDict

from . import _http
from ._retry import Failure, RetryPolicy, parse_retry_after
from .converter import StructureError, structure
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
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
_DEBUG = logging.DEBUG
T = TypeVar("T")


@attrs.frozen
class _Settings:
    """The timeouts and retry rules of one call, with the aiohttp timeout built once from them."""

    timeout: float
    connect_timeout: float
    deadline: float | None
    policy: RetryPolicy
    client_timeout: aiohttp.ClientTimeout = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.timeout, connect=self.connect_timeout)
        object.__setattr__(self, "client_timeout", timeout)

    def attempt_timeout(self, stop_at: float) -> aiohttp.ClientTimeout | None:
        """The timeout of the next attempt under a deadline; None once ``stop_at`` has passed."""
        remaining = stop_at - time.monotonic()
        if remaining <= 0:
            return None
        if remaining >= self.timeout:
            return self.client_timeout
        return aiohttp.ClientTimeout(total=remaining, connect=self.connect_timeout)


class _Failed(NamedTuple):
    """A failed attempt: the error to raise, classified for the retry rules."""

    error: APIStatusError | APIConnectionError
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
        problem = _http.base_url_problem(base_url)
        if problem is not None:
            shown = (
                repr(_http.redact_url(base_url))
                if isinstance(base_url, str)
                else f"a {type(base_url).__name__}"
            )
            raise TakeOneValueError(f"TakeOneClient: base_url {problem}, got {shown:.80}")
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
        self._defaults = _Settings(
            timeout,
            connect_timeout,
            deadline,
            RetryPolicy(max_retries, backoff_base, backoff_cap, retry_after_cap),
        )
        self.max_connections = max_connections
        self._origin = _http.origin(self.base_url)
        # A CIMultiDict (aiohttp's own header type) is merged into each request without the
        # conversion a plain dict needs.
        self._headers = CIMultiDict(
            {
                "Authorization": _http.basic_auth(client_id, client_secret),
                "User-Agent": user_agent or _http.USER_AGENT,
                "Accept": "application/json",
            }
        )
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

    @property
    def timeout(self) -> float:
        """Seconds each attempt may take in all (per-call ``timeout`` overrides it)."""
        return self._defaults.timeout

    @property
    def connect_timeout(self) -> float:
        """Seconds each attempt may spend connecting (per-call ``connect_timeout``)."""
        return self._defaults.connect_timeout

    @property
    def deadline(self) -> float | None:
        """Seconds all attempts and waits of one call may take together, or None."""
        return self._defaults.deadline

    @property
    def retry_policy(self) -> RetryPolicy:
        """Which failures are retried, how often, and the back-off between attempts."""
        return self._defaults.policy

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
        endpoint: _http.Endpoint,
        ids: Sequence[object] = (),
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> _http.RequestSpec:
        """What to send for ``endpoint``: its ids filled in (checked), the query added."""
        path = endpoint.path(ids)
        url = (
            self.base_url + path if params is None else _http.build_url(self.base_url, path, params)
        )
        return _http.RequestSpec(endpoint.method, endpoint.route, url, json)

    def check_same_origin(self, url: str) -> bool:
        """Whether ``url`` shares the base URL's scheme, host and port (credentials may go there)."""
        return _http.origin(url) == self._origin

    def _settings(self, call: str, options: CallOptions) -> _Settings:
        """The client's settings with this call's options applied (checked first)."""
        _http.check_options(call, options)
        defaults = self._defaults
        policy = defaults.policy
        if "max_retries" in options:
            policy = attrs.evolve(policy, max_retries=options["max_retries"])
        return _Settings(
            options.get("timeout", defaults.timeout),
            options.get("connect_timeout", defaults.connect_timeout),
            options.get("deadline", defaults.deadline),
            policy,
        )

    async def request(self, spec: _http.RequestSpec, **options: Unpack[CallOptions]) -> Any:
        """Send ``spec`` with retries as the method allows; return the decoded JSON body."""
        return await self._exchange(spec, options)

    async def _exchange(
        self, spec: _http.RequestSpec, options: CallOptions, cls: type[T] | None = None
    ) -> Any:
        """The request loop: attempts and back-off waits until a 2xx body (structured into ``cls``
        when given) or an error that must not be retried.

        One coroutine with the attempt inlined, as this is the SDK's overhead on every request:
        each coroutine layer costs on every resumption of the task.
        """
        settings = self._settings(spec.name, options) if options else self._defaults
        session = self._session
        if session is None or self._closed or session.closed:
            session = self._get_session(spec.name)
        deadline = settings.deadline
        stop_at = None if deadline is None else time.monotonic() + deadline
        policy = settings.policy
        # ``response.read()`` is the stream read plus a trace signal: worth it only when traced
        traced = bool(session.trace_configs)
        attempt = 0
        while True:
            attempt += 1
            limits = (
                settings.client_timeout if stop_at is None else settings.attempt_timeout(stop_at)
            )
            if limits is None:
                raise APITimeoutError(
                    f"{spec.name}: deadline of {deadline}s exceeded after {attempt - 1} attempt(s)",
                    method=spec.method,
                    url=spec.url,
                )
            began = time.monotonic() if logger.isEnabledFor(_DEBUG) else None
            try:
                async with session.request(
                    spec.method,
                    spec.url,
                    json=spec.json,
                    headers=self._headers,
                    timeout=limits,
                    allow_redirects=False,
                ) as response:
                    body = await (response.read() if traced else response.content.read())
                    status = response.status
                    headers = response.headers
            except (aiohttp.ClientError, TimeoutError) as exc:
                failed = _transport_failure(spec, exc, limits)
                logger.debug("attempt %d failed: %s", attempt, failed.error)
            else:
                if began is not None:
                    self._log_attempt(spec, status, attempt, began)
                if 200 <= status < 300:
                    data = _http.parse_json(spec, status, body)
                    return data if cls is None else self.decode(spec, data, cls)
                retry_after = parse_retry_after(headers.get("Retry-After"))
                failed = _Failed(
                    _http.status_error(spec, status, headers, body, retry_after),
                    status=status,
                    retry_after=retry_after,
                )
            error = failed.error
            if attempt > policy.max_retries or not policy.should_retry(
                spec.method, failed.failure, failed.status
            ):
                raise error
            delay = policy.delay(attempt, failed.retry_after)
            if stop_at is not None and time.monotonic() + delay >= stop_at:
                raise error
            logger.info(
                "retrying %s in %.2fs (attempt %d failed: %s)", spec.name, delay, attempt, error
            )
            await asyncio.sleep(delay)

    def _log_attempt(
        self, spec: _http.RequestSpec, status: int, attempt: int, began: float
    ) -> None:
        base = self.base_url
        path = spec.url[len(base) :] if spec.url.startswith(base) else spec.url
        elapsed = time.monotonic() - began
        logger.debug("%s %s -> %d (attempt %d, %.3fs)", spec.method, path, status, attempt, elapsed)

    def decode(self, spec: _http.RequestSpec, data: Any, cls: type[T]) -> T:
        """Structure a body into ``cls``, naming the call and the field when it does not fit."""
        try:
            result: T = structure(data, cls)
        except StructureError as exc:
            raise _http.shape_error(spec, exc) from None
        return result


def _transport_failure(
    spec: _http.RequestSpec, exc: aiohttp.ClientError | TimeoutError, limits: aiohttp.ClientTimeout
) -> _Failed:
    """A transport failure as our error, classified by whether the request can have been sent."""
    cls: type[APIConnectionError]
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        cls, what, failure = APITimeoutError, "connect timed out", Failure.NOT_SENT
    elif isinstance(exc, aiohttp.ClientConnectorError):
        cls, what, failure = APIConnectionError, "could not connect", Failure.NOT_SENT
    elif isinstance(exc, TimeoutError):
        cls, what = APITimeoutError, f"timed out after {limits.total:.1f}s"
        failure = Failure.TIMEOUT
    else:
        cls, what, failure = APIConnectionError, "connection failed", Failure.CONNECTION
    detail = str(exc) or type(exc).__name__
    error = cls(f"{spec.name}: {what} ({detail})", method=spec.method, url=spec.url)
    error.__cause__ = exc
    return _Failed(error, failure)
