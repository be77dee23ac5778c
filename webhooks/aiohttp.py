"""``add_webhook_route``: the thin aiohttp adapter, and the only module importing aiohttp.

It checks method, ``Content-Type`` and size, runs the pure auth check and ``parse_event``, then
dispatches (or stores in an inbox) and maps the outcome to a status; nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Literal, Protocol

from aiohttp import web
from aiohttp.hdrs import CONTENT_TYPE
from aiohttp.log import access_logger

from ._redact import AccessLogRedactor
from .auth import (
    Authenticator,
    BasicAuth,
    PathToken,
    QueryToken,
    RequestView,
    as_authenticator,
    iter_authenticators,
    parts_read,
)
from .errors import HandlerError, WebhookConfigError, WebhookPayloadError
from .events import WebhookEvent
from .parsing import parse_event
from .router import WebhookRouter

__all__ = ["MAX_BODY_SIZE", "SupportsAppend", "add_webhook_route", "protect_access_log"]

logger = logging.getLogger(__name__)

MAX_BODY_SIZE = 1024 * 1024
"""Default limit of a delivery body, in bytes (TakeOne's events are a few KiB)."""

_REDACTOR = AccessLogRedactor()
_PENDING = web.AppKey("webhooks_pending_tasks", set[asyncio.Task[None]])
_FINAL_VARIABLE = re.compile(r"/\{[^{}/]+\}$")
_JSON = "application/json"
_NOTHING: Mapping[str, str] = MappingProxyType({})


class SupportsAppend(Protocol):
    """What ``inbox=`` needs: durable storage the route hands events to instead of dispatching
    them (every ``webhooks.inbox`` backend qualifies)."""

    async def append(self, event: WebhookEvent) -> bool:
        """Store ``event``; True if newly stored, False if it was already there."""
        ...


def protect_access_log(access_log: logging.Logger) -> None:
    """Redact webhook secrets in ``access_log``, for a runner given its own ``access_log=``
    logger (``aiohttp.access``, the default, is protected by ``add_webhook_route`` itself)."""
    if _REDACTOR not in access_log.filters:
        access_log.addFilter(_REDACTOR)


def _answer(status: int, text: str | None = None) -> web.Response:
    return web.Response(status=status, text=text)


def _is_json(content_type: str) -> bool:
    return content_type == _JSON or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


async def _read_body(request: web.Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed ``limit`` bytes (counted after any
    ``Content-Encoding`` is undone, so a compressed body cannot slip past the limit)."""
    declared = request.content_length
    if declared is not None and declared > limit:
        return None
    stream = request.content
    body = await stream.readany()
    if len(body) > limit:
        return None
    if stream.at_eof():  # the usual case: the whole body came in one piece
        return body
    chunks = [body]
    size = len(body)
    async for chunk in stream.iter_any():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _check_auth(
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
    checks = list(iter_authenticators(authenticator))
    path_tokens = [check for check in checks if isinstance(check, PathToken)]
    if path_tokens and not _FINAL_VARIABLE.search(path):
        raise WebhookConfigError(
            f"add_webhook_route: PathToken needs a route ending in a variable segment, "
            f"e.g. {path.rstrip('/')}/{{token}}"
        )
    _REDACTOR.protect(
        path,
        query_params=[check.name for check in checks if isinstance(check, QueryToken)],
        secret_segment=(
            (lambda segment: any(token.matches(segment) for token in path_tokens))
            if path_tokens
            else None
        ),
    )
    return authenticator


async def _drain(app: web.Application) -> None:
    """On cleanup, wait for every ``ack_first`` handler still running."""
    pending = app[_PENDING]
    if pending:
        logger.info("waiting for %d webhook handler task(s) to finish", len(pending))
        await asyncio.gather(*pending, return_exceptions=True)


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


_Deliver = Callable[[WebhookEvent], Awaitable[web.Response]]


def _deliverer(
    app: web.Application,
    router: WebhookRouter | None,
    inbox: SupportsAppend | None,
    mode: Literal["dispatch", "ack_first"],
) -> _Deliver | None:
    """What the route does with a parsed event instead of dispatching it, chosen once: store
    it, or answer first and dispatch in a tracked task; None to dispatch."""
    if inbox is not None:

        async def store(event: WebhookEvent) -> web.Response:
            # Only the description outlives the append's start: while storage is awaited, the
            # event's objects are already freed (see the route's receive()).
            what = event.describe()
            try:
                appending = inbox.append(event)
                del event
                stored = await appending
            except Exception:
                logger.exception("could not store %s in the inbox", what)
                return _answer(503, "could not store the event")
            if not stored:
                logger.info("%s is already in the inbox", what)
            return _answer(200)

        return store
    assert router is not None
    if mode == "ack_first":
        pending = app[_PENDING]

        async def acknowledge(event: WebhookEvent) -> web.Response:
            task = asyncio.create_task(_dispatch_after_ack(router, event))
            pending.add(task)
            task.add_done_callback(pending.discard)
            return _answer(200)

        return acknowledge

    return None


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
    handled (or stored, or a duplicate); 400 bad payload; 401 failed auth; 405 not POST; 413 body
    over ``max_body_size``; 415 not JSON; 500 a handler raised (the sender should retry); 503
    the inbox could not store the event. ``mode="ack_first"`` answers 200 before the handlers
    run, in a task the app awaits on cleanup; with ``inbox=`` nothing is dispatched here.
    """
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
    authenticator = _check_auth(auth, path)
    protect_access_log(access_logger)
    challenge = any(
        isinstance(check, BasicAuth)
        for check in (iter_authenticators(authenticator) if authenticator is not None else ())
    )
    if mode == "ack_first" and _PENDING not in app:
        app[_PENDING] = set()
        app.on_cleanup.append(_drain)

    deliver = _deliverer(app, router, inbox, mode)
    parts = parts_read(authenticator) if authenticator is not None else frozenset()

    async def receive(request: web.Request) -> web.StreamResponse:
        if request.headers.get(CONTENT_TYPE) != _JSON and not _is_json(request.content_type):
            return _answer(415, "expected Content-Type: application/json")
        body = await _read_body(request, max_body_size)
        if body is None:
            return _answer(413, f"the body is larger than {max_body_size} bytes")
        if authenticator is not None:
            view = RequestView(
                method=request.method,
                path=request.path if "path" in parts else "",
                query=request.query if "query" in parts else _NOTHING,
                headers=request.headers if "headers" in parts else _NOTHING,
                body=body,
            )
            if authenticator.verify(view) is not True:
                logger.warning(
                    "rejected a delivery to %s from %s: authentication failed",
                    path,
                    request.remote,
                )
                response = _answer(401, "unauthorized")
                if challenge:
                    response.headers["WWW-Authenticate"] = 'Basic realm="webhooks"'
                return response
        try:
            event = parse_event(body)
        except WebhookPayloadError as exc:
            logger.warning("rejected a delivery to %s: %s", path, exc)
            return _answer(400, str(exc))
        if deliver is not None:
            # This frame lets go of the event while the delivery is awaited: with many
            # requests in flight, objects kept alive across an await are what makes the cyclic
            # garbage collector walk the whole heap often.
            delivering = deliver(event)
            del event
            return await delivering
        assert router is not None
        try:
            await router.dispatch(event)
        except HandlerError:
            return _answer(500, "a handler failed")
        except Exception:
            logger.exception("dispatching %s failed", event.describe())
            return _answer(500, "a handler failed")
        return _answer(200)

    return app.router.add_post(path, receive, name=name)
