"""``Sandbox``: the emulator's public face: configure, serve on loopback, drive the life cycle."""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from .. import signing
from .._client import TakeOneClient
from ..errors import TakeOneValueError, WaitTimeoutError
from ..models import HeadshotProject, Project, ScriptGeneration
from ._app import build_app
from ._context import Context
from ._engine import Delays, Engine
from ._errors import SandboxStateError
from ._faults import Faults
from ._lifecycle import Media
from ._sender import Delivery, WebhookSender, shown_url
from ._store import Store
from ._validation import is_http_url

__all__ = ["DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "Sandbox"]

DEFAULT_CLIENT_ID = "sandbox"
DEFAULT_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - the sandbox's documented default
DEFAULT_MEDIA_URL = "https://media.sandbox.takeone.invalid"


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise TakeOneValueError(f"Sandbox: {message}")


class Sandbox:
    """An in-memory TakeOne speaking the documented API on loopback and sending real webhooks.

    ``async with Sandbox(webhook_urls=[...]) as sandbox:`` starts it on a free port;
    ``sandbox.url`` is the base URL to give a client (``sandbox.client()`` builds one).
    """

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        webhook_urls: Sequence[str] = (),
        signing_secret: str | None = None,
        publish_delay: float = 1.0,
        unpublish_delay: float | None = None,
        editing_delay: float = 0.0,
        script_delay: float = 0.5,
        headshot_delay: float = 1.0,
        page_size: int = 10,
        max_page_size: int = 100,
        webhook_attempts: int = 5,
        webhook_backoff: float = 0.5,
        webhook_timeout: float = 5.0,
        faults: Faults | None = None,
        media_base_url: str = DEFAULT_MEDIA_URL,
        seed: bool = True,
    ) -> None:
        for name, value in (("client_id", client_id), ("client_secret", client_secret)):
            _check(isinstance(value, str) and bool(value), f"{name} must be a non-empty string")
        _check(":" not in client_id, "client_id must not contain ':' (HTTP Basic)")
        for url in webhook_urls:
            _check(
                is_http_url(url), f"webhook URL must be an http(s) URL, got {shown_url(url)!r:.80}"
            )
        keys: list[bytes] = []
        if signing_secret is not None:
            try:
                keys.append(signing.decode_secret(signing_secret))
            except ValueError as exc:
                raise TakeOneValueError(f"Sandbox: signing_secret: {exc}") from None
        unpublish_delay = publish_delay if unpublish_delay is None else unpublish_delay
        for name, seconds in (
            ("publish_delay", publish_delay),
            ("unpublish_delay", unpublish_delay),
            ("editing_delay", editing_delay),
            ("script_delay", script_delay),
            ("headshot_delay", headshot_delay),
            ("webhook_backoff", webhook_backoff),
        ):
            _check(seconds >= 0, f"{name} must be >= 0, got {seconds}")
        delays = Delays(publish_delay, unpublish_delay, editing_delay, script_delay, headshot_delay)
        _check(webhook_timeout > 0, "webhook_timeout must be > 0")
        _check(page_size >= 1, f"page_size must be >= 1, got {page_size}")
        _check(max_page_size >= page_size, "max_page_size must be >= page_size")
        _check(webhook_attempts >= 1, "webhook_attempts must be >= 1")
        _check(is_http_url(media_base_url), "media_base_url must be an http(s) URL")
        self.client_id = client_id
        self._client_secret = client_secret
        self.sender = WebhookSender(
            webhook_urls,
            signing_keys=keys,
            attempts=webhook_attempts,
            backoff=webhook_backoff,
            timeout=webhook_timeout,
        )
        self.store = Store(signing_key=client_secret.encode(), seed=seed)
        self.engine = Engine(
            self.store, Media(media_base_url.rstrip("/")), delays, self.sender.send
        )
        self._context = Context(
            store=self.store,
            engine=self.engine,
            sender=self.sender,
            credentials=(client_id.encode(), client_secret.encode()),
            page_size=page_size,
            max_page_size=max_page_size,
            faults=faults,
        )
        self.app = build_app(self._context)
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    def __repr__(self) -> str:
        where = self._url or "not started"
        return f"<Sandbox {where} client_id={self.client_id!r} client_secret=<redacted>>"

    # -- serving ------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Self:
        """Listen on ``host:port`` (0: a free port); connections are accepted when it returns."""
        if self._runner is not None:
            raise SandboxStateError("Sandbox.start: already started")
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self._url = f"http://{shown}:{bound_port}"
        return self

    @property
    def url(self) -> str:
        """The base URL clients use, e.g. ``http://127.0.0.1:8787``."""
        if self._url is None:
            raise SandboxStateError("Sandbox.url: the sandbox is not started (await start() first)")
        return self._url

    def client(self, **kwargs: Any) -> TakeOneClient:
        """A :class:`TakeOneClient` with this sandbox's credentials and URL."""
        return TakeOneClient(self.client_id, self._client_secret, base_url=self.url, **kwargs)

    async def close(self) -> None:
        """Stop serving, cancel pending life-cycle steps and deliveries."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self.engine.close()
        await self.sender.close()

    async def __aenter__(self) -> Self:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- settings that may change while running -----------------------------------------------

    @property
    def faults(self) -> Faults | None:
        """The fault injection in force (None: off)."""
        return self._context.faults

    @faults.setter
    def faults(self, faults: Faults | None) -> None:
        self._context.faults = faults

    def add_webhook_url(self, url: str) -> None:
        """Send every later event to ``url`` too."""
        _check(is_http_url(url), f"webhook URL must be an http(s) URL, got {shown_url(url)!r:.80}")
        self.sender.urls.append(url)

    @property
    def events(self) -> tuple[dict[str, Any], ...]:
        """Every webhook event the life cycle produced, oldest first (sent or not)."""
        return tuple(self.engine.events)

    @property
    def deliveries(self) -> tuple[Delivery, ...]:
        """Every webhook delivery so far, oldest first, with its attempts."""
        return self.sender.deliveries

    def clear_deliveries(self) -> None:
        """Forget finished deliveries (pending ones stay)."""
        self.sender.clear()

    # -- the app user's part ------------------------------------------------------------------

    async def complete_recording(self, project_id: str) -> Project:
        """The user finished recording: ``editing``, then ``completed`` and ``can_publish``."""
        return await self.engine.complete_recording(project_id)

    async def publish_from_app(self, project_id: str) -> Project:
        """The user publishes in the app: like ``POST projects/{id}/publish``."""
        return self.engine.publish(project_id)

    async def fail_script_generation(
        self, video_container_id: str, generation_id: str
    ) -> ScriptGeneration:
        """End a pending script generation in ``error``."""
        return self.engine.fail_script_generation(video_container_id, generation_id)

    async def complete_script_generation(
        self, video_container_id: str, generation_id: str
    ) -> ScriptGeneration:
        """Complete a pending script generation now rather than after the delay."""
        return self.store.finish_script_generation(video_container_id, generation_id)

    async def process_headshot_project(self, project_id: str) -> HeadshotProject:
        """Move a headshot project from ``capturing`` to ``processing`` now."""
        return self.store.process_headshot_project(project_id)

    async def settle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - a bound
        """Wait until no life-cycle step and no delivery is pending (each delivered or given up);
        after ``timeout`` seconds, :class:`~takeone_async.WaitTimeoutError` (also a
        ``TimeoutError``) saying how many are still pending and how many were given up, with the
        latest outcome of each."""
        stop_at = time.monotonic() + timeout
        await self.engine.settle(timeout)
        try:
            await self.sender.drain(max(stop_at - time.monotonic(), 0.001))
        except TimeoutError:
            raise WaitTimeoutError(f"sandbox: {self.sender.unfinished(timeout)}") from None
