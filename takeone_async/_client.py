"""TakeOneClient: configuration, the transport, and the one request loop every call goes through."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, Unpack

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from . import _http
from ._http import CallOptions
from ._retrying import Retry, retrying
from .errors import TakeOneError, TakeOneValueError
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
from .retry import Attempts, RetryPolicy
from .transport import Request, Transport, TransportError
from .urls import redact_url

if TYPE_CHECKING:
    import aiohttp

__all__ = ["DEFAULT_BASE_URL", "CallOptions", "TakeOneClient"]

DEFAULT_BASE_URL = "https://api.takeone.video"
_API_PREFIX = "/api/v1"  # every endpoint's path starts with it
logger = logging.getLogger("takeone_async")
T = TypeVar("T")


@attrs.frozen
class _Settings:
    """The timeouts and retry rules of one call."""

    timeout: float
    connect_timeout: float
    deadline: float | None
    policy: RetryPolicy


class TakeOneClient:
    """Async client for every documented TakeOne endpoint; use it as ``async with``.

    Requests go through a :class:`~takeone_async.transport.Transport`: by default one built on
    aiohttp (configured by ``session``, ``trace_configs`` and ``max_connections``, and imported
    on first use), or the ``transport`` given, such as a
    :class:`~takeone_async.transport.MockTransport` in tests.

    ``base_url`` is the API's origin (``https://api.takeone.video``, or a sandbox's URL); the
    client adds ``/api/v1/...`` itself, so a ``base_url`` copied with ``/api/v1`` at its end
    works the same.
    """

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
        transport: Transport | None = None,
    ) -> None:
        for name, value in (("client_id", client_id), ("client_secret", client_secret)):
            if not isinstance(value, str) or not value:
                raise TakeOneValueError(f"TakeOneClient: {name} must be a non-empty string")
        problem = _http.base_url_problem(base_url)
        if problem is not None:
            shown = (
                repr(redact_url(base_url))
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
        if user_agent is not None and (
            not isinstance(user_agent, str)
            or not user_agent
            or "\r" in user_agent
            or "\n" in user_agent
        ):
            raise TakeOneValueError(
                "TakeOneClient: user_agent must be a non-empty string on one line"
            )
        if transport is not None and (session is not None or trace_configs):
            raise TakeOneValueError(
                "TakeOneClient: session and trace_configs configure the default aiohttp "
                "transport; give them or a transport, not both"
            )
        self.client_id = client_id
        self.base_url = base_url.rstrip("/").removesuffix(_API_PREFIX)
        self._defaults = _Settings(
            timeout,
            connect_timeout,
            deadline,
            RetryPolicy(max_retries, backoff_base, backoff_cap, retry_after_cap),
        )
        self.max_connections = max_connections
        # Read-only multidict mappings: aiohttp, the default transport, takes these as they are,
        # where it copies any other mapping on every request (measured on the loopback
        # benchmark, small body, 64 in flight: 1.36x raw aiohttp with a plain read-only mapping,
        # 1.24x with these). multidict is aiohttp's own dependency and loads no aiohttp.
        headers = _http.default_headers(client_id, client_secret, user_agent or _http.USER_AGENT)
        self._headers = CIMultiDictProxy(CIMultiDict(headers))
        self._json_headers = CIMultiDictProxy(
            CIMultiDict({**headers, "Content-Type": "application/json"})
        )
        self._transport = transport
        self._session = session
        self._trace_configs = list(trace_configs or ())
        self._closed = False

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
        """Build a client from TAKEONE_CLIENT_ID, TAKEONE_CLIENT_SECRET and TAKEONE_BASE_URL.

        Without TAKEONE_BASE_URL (or ``base_url=``) the client talks to the production API, and
        says so in the ``takeone_async`` log at INFO; for a sandbox, set it to the sandbox's URL.
        """
        env = os.environ if environ is None else environ
        missing = [k for k in ("TAKEONE_CLIENT_ID", "TAKEONE_CLIENT_SECRET") if not env.get(k)]
        if missing:
            raise TakeOneValueError(
                f"TakeOneClient.from_env: set {' and '.join(missing)} in the environment"
            )
        if "base_url" not in kwargs and not env.get("TAKEONE_BASE_URL"):
            logger.info(
                "TAKEONE_BASE_URL is not set: using the production API, %s", DEFAULT_BASE_URL
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
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the transport: the aiohttp session this client opened (a session passed in is
        left to its owner). ``async with`` opens the client again."""
        self._closed = True
        if self._transport is not None:
            await self._transport.close()

    def _open_transport(self, call: str) -> Transport:
        """The aiohttp transport, made on the first call that finds none (a call to a closed
        client is refused here instead)."""
        if self._closed:
            raise TakeOneError(
                f"{call}: the client is closed; use it inside `async with`, or make a new one"
            )
        from ._transport_aiohttp import AiohttpTransport

        self._transport = AiohttpTransport(
            session=self._session,
            max_connections=self.max_connections,
            trace_configs=self._trace_configs,
        )
        return self._transport

    def check_same_origin(self, url: str) -> bool:
        """Whether ``url`` shares the base URL's scheme, host and port (credentials may go there)."""
        return _http.origin(url) == _http.origin(self.base_url)

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

    async def send(
        self, call: _http.Call, options: CallOptions | None = None, into: type[T] | None = None
    ) -> Any:
        """Send ``call`` with the retries its method allows; return the answer's JSON data,
        structured into ``into`` when given. Every failure is a :class:`TakeOneError`.

        The one way the resource groups and list calls reach the API: each builds its
        :class:`~takeone_async._http.Call` with ``Endpoint.call(client.base_url, ...)`` and
        awaits this. Each attempt goes through the transport and its answer or failure is
        classified (``_http``); the one retry loop (``_retrying``) waits as ``retry.Attempts``
        decides, the loop ``app_users.get_or_create`` runs through too.
        """
        settings = self._settings(call.name, options) if options else self._defaults
        transport = self._transport
        if transport is None or self._closed:
            transport = self._open_transport(call.name)
        request = _http.build_request(
            call, self._headers, self._json_headers, settings.timeout, settings.connect_timeout
        )
        policy = settings.policy
        attempts = Attempts(policy, policy.max_retries + 1, settings.deadline)

        async def attempt() -> Any:
            nonlocal request
            if settings.deadline is not None:
                request = _within_deadline(call, request, settings.timeout, attempts)
            attempts.start()
            began = time.monotonic() if logger.isEnabledFor(logging.DEBUG) else None
            try:
                response = await transport.send(request)
            except TransportError as exc:
                failed = _http.transport_failure(call, exc)
                logger.debug("attempt %d failed: %s", attempts.made, failed.error)
            else:
                if began is not None:
                    self._log_answer(call, response.status, attempts.made, began)
                if 200 <= response.status < 300:
                    return _http.decode(call, response, into)
                failed = _http.status_failure(call, response)
            if not policy.should_retry(call.method, failed.failure, failed.status):
                raise failed.error
            return Retry(failed.error, failed.retry_after)

        return await retrying(call.name, attempts, attempt)

    async def request(self, call: _http.Call, **options: Unpack[CallOptions]) -> Any:
        """Send ``call`` with retries as the method allows; return the decoded JSON body."""
        return await self.send(call, options)

    def _log_answer(self, call: _http.Call, status: int, attempt: int, began: float) -> None:
        base = self.base_url
        path = call.url[len(base) :] if call.url.startswith(base) else call.url
        elapsed = time.monotonic() - began
        logger.debug("%s %s -> %d (attempt %d, %.3fs)", call.method, path, status, attempt, elapsed)

    def decode(self, call: _http.Call, data: Any, cls: type[T]) -> T:
        """Structure a body into ``cls``, naming the call and the field when it does not fit."""
        result: T = _http.structure(call, data, cls)
        return result


def _within_deadline(
    call: _http.Call, request: Request, timeout: float, attempts: Attempts
) -> Request:
    """The next attempt's request with its timeout cut to what is left of the deadline, or the
    deadline's error once it has passed."""
    left = attempts.time_left()
    if left is not None and left <= 0:
        raise _http.deadline_error(
            call.name, attempts.deadline, attempts.made, call.method, call.url
        )
    if left is None or left >= timeout:
        return request._replace(timeout=timeout)
    return request._replace(timeout=left)
