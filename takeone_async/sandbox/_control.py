"""Sandbox-only endpoints under ``/_sandbox/``: they play the app user's part and expose the
delivery log and the fault settings. Each mirrors a :class:`Sandbox` method."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..converter import unstructure
from ._context import CONTEXT, Context
from ._errors import SandboxValidationError
from ._faults import Faults
from ._routes import Route, json_response
from ._sender import shown_url
from ._validation import Field, is_http_url, parse_json_body, validate

__all__ = ["CONTROL", "ROUTES"]

CONTROL = "/_sandbox"


def _context(request: web.Request) -> Context:
    return request.app[CONTEXT]


async def complete_recording(request: web.Request) -> web.Response:
    project = await _context(request).engine.complete_recording(request.match_info["id"])
    return json_response(unstructure(project))


async def publish_from_app(request: web.Request) -> web.Response:
    return json_response(unstructure(_context(request).engine.publish(request.match_info["id"])))


async def fail_script_generation(request: web.Request) -> web.Response:
    info = request.match_info
    engine = _context(request).engine
    return json_response(
        unstructure(engine.fail_script_generation(info["container_id"], info["id"]))
    )


async def complete_script_generation(request: web.Request) -> web.Response:
    info = request.match_info
    store = _context(request).store
    return json_response(
        unstructure(store.finish_script_generation(info["container_id"], info["id"]))
    )


async def process_headshot_project(request: web.Request) -> web.Response:
    store = _context(request).store
    return json_response(unstructure(store.process_headshot_project(request.match_info["id"])))


async def list_events(request: web.Request) -> web.Response:
    events = _context(request).engine.events
    return json_response({"count": len(events), "results": events})


async def list_deliveries(request: web.Request) -> web.Response:
    deliveries = [unstructure(d) for d in _context(request).sender.deliveries]
    return json_response({"count": len(deliveries), "results": deliveries})


async def clear_deliveries(request: web.Request) -> web.Response:
    _context(request).sender.clear()
    return web.Response(status=204)


async def list_webhook_urls(request: web.Request) -> web.Response:
    return json_response({"urls": [shown_url(u) for u in _context(request).sender.urls]})


async def add_webhook_url(request: web.Request) -> web.Response:
    body = validate(parse_json_body(await request.read()), [Field("url", required=True)])
    url = body["url"]
    if not is_http_url(url):
        raise SandboxValidationError({"url": ["Enter a valid http(s) URL."]})
    _context(request).sender.urls.append(url)
    return json_response({"url": shown_url(url)}, 201)


def _faults_state(context: Context) -> dict[str, Any]:
    faults = context.faults
    if faults is None:
        return {"enabled": False, "injected": {}}
    counts = {str(kind): count for kind, count in sorted(faults.counts().items())}
    return {"enabled": True, **faults.to_dict(), "injected": counts}


async def get_faults(request: web.Request) -> web.Response:
    return json_response(_faults_state(_context(request)))


async def put_faults(request: web.Request) -> web.Response:
    context = _context(request)
    context.faults = Faults.from_dict(parse_json_body(await request.read()))
    return json_response(_faults_state(context))


async def delete_faults(request: web.Request) -> web.Response:
    _context(request).faults = None
    return web.Response(status=204)


_GENERATION = f"{CONTROL}/video_containers/{{container_id}}/script_generations/{{id}}"

ROUTES = (
    Route("POST", f"{CONTROL}/projects/{{id}}/complete_recording", complete_recording),
    Route("POST", f"{CONTROL}/projects/{{id}}/publish", publish_from_app),
    Route("POST", f"{_GENERATION}/fail", fail_script_generation),
    Route("POST", f"{_GENERATION}/complete", complete_script_generation),
    Route("POST", f"{CONTROL}/headshot_projects/{{id}}/process", process_headshot_project),
    Route("GET", f"{CONTROL}/events", list_events),
    Route("GET", f"{CONTROL}/deliveries", list_deliveries),
    Route("DELETE", f"{CONTROL}/deliveries", clear_deliveries),
    Route("GET", f"{CONTROL}/webhook_urls", list_webhook_urls),
    Route("POST", f"{CONTROL}/webhook_urls", add_webhook_url),
    Route("GET", f"{CONTROL}/faults", get_faults),
    Route("PUT", f"{CONTROL}/faults", put_faults),
    Route("DELETE", f"{CONTROL}/faults", delete_faults),
)
