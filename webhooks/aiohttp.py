"""``add_webhook_route``: the aiohttp adapter over the pure receive path.

A route checks the ``Content-Type``, reads the body, hands both to
:func:`webhooks.receiving.receive` (authenticate, then parse) and answers each
:class:`WebhookError` with the status its class carries; then it dispatches the event, answers
first and dispatches in a task (``ack_first``), or stores it in an inbox. An app with a webhook
route also keeps its secrets out of aiohttp's logs while it runs (``webhooks._aiohttp_logs``).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import partial
from typing import Literal, Protocol

from aiohttp import web

from ._aiohttp_logs import protect_access_log, redaction
from .auth import (
    Authenticator,
    BasicAuth,
    PathToken,
    RequestView,
    as_authenticator,
    iter_authenticators,
)
from .errors import (
    HandlerError,
    WebhookAuthError,
    WebhookConfigError,
    WebhookError,
    WebhookPayloadError,
)
from .events import WebhookEvent
from .inbox._errors import InboxError
from .receiving import authenticate, checks_by_stage, receive, refusal
from .router import WebhookRouter

__all__ = ["MAX_BODY_SIZE", "SupportsAppend", "add_webhook_route", "protect_access_log"]

logger = logging.getLogger(__name__)

MAX_BODY_SIZE = 1024 * 1024
"""Default limit of a delivery body, in bytes (TakeOne's events are a few KiB)."""

_FINAL_VARIABLE = re.compile(r"/\{[^{}/]+\}$")
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="webhooks"'}


class SupportsAppend(Protocol):
    """What ``inbox=`` needs: durable storage the route hands events to instead of dispatching
    them (every ``webhooks.inbox`` backend qualifies)."""

    async def append(self, event: WebhookEvent) -> bool:
        """Store ``event``; True if newly stored, False if it was already there."""
        ...


_Deliver = Callable[[WebhookEvent], Awaitable[web.Response]]


def add_webhook_route(
    app: web.Application,
    path: str,
    router: WebhookRouter | None,
    *,
    auth: Authenticator | Iterable[Authenticator] | None,
    mode: Literal["dispatch", "ack_first"] = "dispatch",
    max_body_size: int = MAX_BODY_SIZE,
    inbox: SupportsAppend | None = None,
    name: str | None = None,
) -> web.AbstractRoute:
    """Add ``POST path`` to ``app``, receiving TakeOne webhooks into ``router`` (or ``inbox``).

    ``auth`` is required: an authenticator, a list of them (any may pass), or ``None`` to accept
    unauthenticated deliveries (logged as a warning). Answers: 200 with an empty body when
    handled (or stored, or a duplicate); 400 bad payload, or a body that cannot be read (after
    authentication); 401 failed auth; 405 not POST; 413 body over ``max_body_size``; 415 not
    JSON; 500 a handler raised (the sender should retry); 503 the inbox could not store the
    event. ``mode="ack_first"`` answers 200 before the handlers run, in a task the app awaits
    on cleanup; with ``inbox=`` nothing is dispatched here.
    """
    _check_options(router, mode, max_body_size, inbox)
    authenticator = _authenticator(auth, path)
    redaction(app).protect(path, authenticator)
    deliver = _deliverer(app, router, inbox, mode)
    challenge = _challenge(authenticator)
    first, then = checks_by_stage(authenticator)  # (aiohttp may still drain a refused body)

    async def handle(request: web.Request) -> web.StreamResponse:
        body: bytes | None = b""
        try:
            authenticate(_view(request, b""), first)
            if _is_json(request):
                body = await _read_body(request, max_body_size)
                return await deliver(receive(_view(request, body), body, then))
            response = web.Response(status=415, text="expected Content-Type: application/json")
        except WebhookError as error:
            response = _refusal(error, path, request.remote, challenge)
        if body is None or not request.content.is_eof():
            response.force_close()  # a body left unread or broken: the connection cannot go on
        return response

    return app.router.add_post(path, handle, name=name)


# ---- set-up ------------------------------------------------------------------------------


def _check_options(
    router: WebhookRouter | None, mode: str, max_body_size: int, inbox: SupportsAppend | None
) -> None:
    if mode not in ("dispatch", "ack_first"):
        raise WebhookConfigError(
            f"add_webhook_route: mode must be 'dispatch' or 'ack_first', got {mode!r}"
        )
    if isinstance(max_body_size, bool) or not isinstance(max_body_size, int) or max_body_size < 1:
        raise WebhookConfigError(
            f"add_webhook_route: max_body_size must be a positive int, got {max_body_size!r}"
        )
    if inbox is not None:
        if not callable(getattr(inbox, "append", None)):
            raise WebhookConfigError(
                f"add_webhook_route: inbox {type(inbox).__name__!r} object has no append() method"
            )
        if mode != "dispatch":
            raise WebhookConfigError(
                "add_webhook_route: mode='ack_first' does not apply with inbox= (the inbox "
                "answers once the event is stored; a worker dispatches it)"
            )
    elif router is None:
        raise WebhookConfigError("add_webhook_route: give a router (or an inbox=)")


def _authenticator(
    auth: Authenticator | Iterable[Authenticator] | None, path: str
) -> Authenticator | None:
    if auth is None:
        logger.warning(
            "webhook route %s accepts unauthenticated deliveries (auth=None): anyone who "
            "finds the URL can post events",
            path,
        )
        return None
    authenticator = as_authenticator(auth)
    if any(isinstance(c, PathToken) for c in iter_authenticators(authenticator)) and (
        not _FINAL_VARIABLE.search(path)
    ):
        raise WebhookConfigError(
            f"add_webhook_route: PathToken needs a route ending in a variable segment, "
            f"e.g. {path.rstrip('/')}/{{token}}"
        )
    return authenticator


def _challenge(auth: Authenticator | None) -> Mapping[str, str]:
    """The header a 401 carries: a Basic challenge when a check takes Basic credentials."""
    checks = iter_authenticators(auth) if auth is not None else ()
    return _CHALLENGE if any(isinstance(c, BasicAuth) for c in checks) else {}


# ---- one request -------------------------------------------------------------------------


def _refusal(
    error: WebhookError, path: str, remote: str | None, challenge: Mapping[str, str]
) -> web.Response:
    """The answer to a delivery refused with ``error`` (or failed after it was parsed)."""
    status, text = refusal(error)
    if isinstance(error, WebhookAuthError):
        logger.warning("rejected a delivery to %s from %s: authentication failed", path, remote)
        return web.Response(status=status, text=text, headers=challenge)
    if isinstance(error, WebhookPayloadError):
        logger.warning("rejected a delivery to %s: %s", path, error)
    return web.Response(status=status, text=text)


def _is_json(request: web.Request) -> bool:
    """``application/json`` (with parameters or not), or ``application/*+json``."""
    content_type = request.content_type
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


async def _read_body(request: web.Request, limit: int) -> bytes | None:
    """The body with any ``Content-Encoding`` undone, or None if it cannot be read (a corrupt
    gzip or deflate stream). Over ``limit`` bytes, counted after decoding so that a compressed
    body cannot slip past, the request is answered 413 at once."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := await request.content.readany():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
    except web.RequestPayloadError:
        return None
    return b"".join(chunks)


def _too_large(limit: int) -> web.HTTPRequestEntityTooLarge:
    return web.HTTPRequestEntityTooLarge(limit, text=f"the body is larger than {limit} bytes")


def _view(request: web.Request, body: bytes | None) -> RequestView:
    return RequestView(
        method=request.method,
        path=request.path,
        query=request.query,
        headers=request.headers,
        body=body or b"",
    )


# ---- what a route does with an event: three paths ----------------------------------------


def _deliverer(
    app: web.Application,
    router: WebhookRouter | None,
    inbox: SupportsAppend | None,
    mode: Literal["dispatch", "ack_first"],
) -> _Deliver:
    if inbox is not None:
        return partial(_store, inbox)
    assert router is not None
    if mode == "ack_first":
        return partial(_acknowledge, router, _pending(app))
    return partial(_dispatch, router)


async def _dispatch(router: WebhookRouter, event: WebhookEvent) -> web.Response:
    """Answer once the handlers ran: 200, or the error's status (HandlerError: 500)."""
    try:
        await router.dispatch(event)
    except (HandlerError, WebhookPayloadError):
        raise  # the router logged each handler's failure; a bad payload is answered 400
    except Exception as exc:
        logger.exception("dispatching %s failed", event.describe())
        if isinstance(exc, WebhookError):
            raise  # a filter's own error, such as an inbox's (503)
        raise HandlerError(event, [exc]) from exc
    return web.Response()


async def _acknowledge(
    router: WebhookRouter, pending: set[asyncio.Task[None]], event: WebhookEvent
) -> web.Response:
    """Answer 200 at once; the handlers run in a task the app awaits on cleanup."""
    task = asyncio.create_task(_dispatch_after_ack(router, event))
    pending.add(task)
    task.add_done_callback(pending.discard)
    return web.Response()


async def _dispatch_after_ack(router: WebhookRouter, event: WebhookEvent) -> None:
    try:
        await router.dispatch(event)
    except HandlerError:
        logger.error(
            "%s failed after it was acknowledged (mode='ack_first'): it will not be redelivered",
            event.describe(),
        )
    except Exception:
        logger.exception("dispatching %s failed after it was acknowledged", event.describe())


async def _store(inbox: SupportsAppend, event: WebhookEvent) -> web.Response:
    """Answer 200 once the inbox holds the event (stored now or before), 503 if it failed."""
    try:
        stored = await inbox.append(event)
    except WebhookPayloadError:
        raise  # a payload the inbox cannot key (see delivery_key): 400
    except Exception as exc:  # one line at WARNING, the traceback at DEBUG
        logger.warning(
            "could not store %s in the inbox (answered 503): %s: %s",
            event.describe(),
            type(exc).__name__,
            exc,
        )
        logger.debug("the inbox's append failed", exc_info=True)
        status, text = refusal(InboxError(f"could not store {event.describe()}"))
        return web.Response(status=status, text=text)
    if not stored:
        logger.info("%s is already in the inbox", event.describe())
    return web.Response()


_PENDING = web.AppKey("webhooks_pending_tasks", set[asyncio.Task[None]])


def _pending(app: web.Application) -> set[asyncio.Task[None]]:
    """The app's running ``ack_first`` tasks, awaited on cleanup."""
    if _PENDING not in app:
        app[_PENDING] = set()
        app.on_cleanup.append(_drain)
    return app[_PENDING]


async def _drain(app: web.Application) -> None:
    pending = app[_PENDING]
    if pending:
        logger.info("waiting for %d webhook handler task(s) to finish", len(pending))
        await asyncio.gather(*pending, return_exceptions=True)
