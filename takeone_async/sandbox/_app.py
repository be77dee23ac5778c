"""The aiohttp application: routes, Basic auth, fault injection and DRF-style error bodies."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac

from aiohttp import web

from ..errors import TakeOneValueError
from ._context import CONTEXT, Context
from ._control import ROUTES as CONTROL_ROUTES
from ._errors import SandboxError
from ._faults import FaultKind
from ._routes import API, ROUTES, Handler, json_response

__all__ = ["build_app"]

_NO_CREDENTIALS = "Authentication credentials were not provided."
_BAD_CREDENTIALS = "Invalid username/password."


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn refusals into the JSON bodies Django REST framework answers with."""
    try:
        return await handler(request)
    except SandboxError as exc:
        return json_response(exc.body, exc.status)
    except TakeOneValueError as exc:
        return json_response({"detail": str(exc)}, 400)
    except web.HTTPMethodNotAllowed:
        return json_response({"detail": f'Method "{request.method}" not allowed.'}, 405)
    except web.HTTPNotFound:
        return json_response({"detail": "Not found."}, 404)


def _credentials(header: str | None) -> tuple[bytes, bytes] | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(token.strip(), validate=True).partition(b":")
    except (binascii.Error, ValueError):
        return (b"", b"")
    return (user, password) if sep else (b"", b"")


@web.middleware
async def _auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    """HTTP Basic with the configured client id and secret, compared in constant time."""
    wanted_user, wanted_password = request.app[CONTEXT].credentials
    given = _credentials(request.headers.get("Authorization"))
    if given is None:
        return _unauthorized(_NO_CREDENTIALS)
    same_user = hmac.compare_digest(given[0], wanted_user)
    same_password = hmac.compare_digest(given[1], wanted_password)
    if not (same_user and same_password):
        return _unauthorized(_BAD_CREDENTIALS)
    return await handler(request)


def _unauthorized(detail: str) -> web.Response:
    response = json_response({"detail": detail}, 401)
    response.headers["WWW-Authenticate"] = 'Basic realm="api"'
    return response


def _drop(request: web.Request) -> None:
    """Close the connection without an answer, as a crashed proxy or server would."""
    if request.transport is not None:
        request.transport.abort()


@web.middleware
async def _faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Inject the configured faults into API routes (never into ``/_sandbox/``)."""
    faults = request.app[CONTEXT].faults
    resource = request.match_info.route.resource
    if faults is None or resource is None or not resource.canonical.startswith(API):
        return await handler(request)
    injected = faults.decide(request.method, resource.canonical)
    if injected is None:
        return await handler(request)
    kind, rule = injected.kind, injected.rule
    if kind is FaultKind.LATENCY:
        await asyncio.sleep(rule.latency)
        return await handler(request)
    if kind is FaultKind.RATE_LIMIT:
        seconds = f"{rule.retry_after:g}"
        detail = f"Request was throttled. Expected available in {seconds} seconds."
        response = json_response({"detail": detail}, 429)
        response.headers["Retry-After"] = seconds
        return response
    if kind is FaultKind.SERVER_ERROR:
        return web.Response(
            status=500, text="<h1>Server Error (500)</h1>", content_type="text/html"
        )
    if kind is FaultKind.UNAVAILABLE:
        return web.Response(
            status=503, text="<h1>503 Service Unavailable</h1>", content_type="text/html"
        )
    if kind is FaultKind.DROP_BEFORE:
        _drop(request)
        return web.Response(status=500)
    try:
        return await handler(request)
    finally:
        _drop(request)


def build_app(context: Context) -> web.Application:
    """The sandbox as an aiohttp application (serve it, or hand it to aiohttp's test client)."""
    app = web.Application(middlewares=[_errors, _auth, _faults])
    app[CONTEXT] = context
    for route in (*ROUTES, *CONTROL_ROUTES):
        app.router.add_route(route.method, route.path, route.handler)
    return app
