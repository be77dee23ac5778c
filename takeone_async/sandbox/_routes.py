"""The 25 documented endpoints as thin aiohttp handlers over the store and the engine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import attrs
from aiohttp import web

from ..converter import unstructure
from ._context import CONTEXT, Context
from ._pages import paginate
from ._validation import parse_json_body

__all__ = ["API", "ROUTES", "Route", "json_response"]

API = "/api/v1"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@attrs.frozen
class Route:
    """One endpoint: method, path template (named as the client names it), handler."""

    method: str
    path: str
    handler: Handler

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


def _context(request: web.Request) -> Context:
    return request.app[CONTEXT]


async def _body(request: web.Request) -> Any:
    return parse_json_body(await request.read())


def _model(obj: Any, status: int = 200) -> web.Response:
    return json_response(unstructure(obj), status)


def _page(request: web.Request, items: Sequence[Any]) -> web.Response:
    context = _context(request)
    page = paginate(
        items,
        str(request.url.with_query(None)),
        list(request.query.items()),
        page_size=context.page_size,
        max_page_size=context.max_page_size,
    )
    page["results"] = [unstructure(item) for item in page["results"]]
    return json_response(page)


# -- app users --------------------------------------------------------------------------------


async def create_app_user(request: web.Request) -> web.Response:
    return _model(_context(request).store.create_app_user(await _body(request)), 201)


async def list_app_users(request: web.Request) -> web.Response:
    store = _context(request).store
    return _page(request, store.list_app_users(request.query.get("external_id")))


async def get_app_user(request: web.Request) -> web.Response:
    return _model(_context(request).store.app_user(request.match_info["id"]))


async def update_app_user(request: web.Request) -> web.Response:
    store = _context(request).store
    return _model(store.update_app_user(request.match_info["id"], await _body(request)))


async def authorize_app_user(request: web.Request) -> web.Response:
    return json_response(_context(request).store.authorize(await _body(request)), 201)


async def email_app_user(request: web.Request) -> web.Response:
    return json_response(_context(request).store.invite(await _body(request)), 201)


# -- video containers and projects ------------------------------------------------------------


async def list_video_container_templates(request: web.Request) -> web.Response:
    return _page(request, list(_context(request).store.video_container_templates.values()))


async def create_video_container(request: web.Request) -> web.Response:
    return _model(_context(request).store.create_video_container(await _body(request)), 201)


async def list_video_containers(request: web.Request) -> web.Response:
    store = _context(request).store
    return _page(request, store.newest(store.video_containers))


async def create_project(request: web.Request) -> web.Response:
    return _model(_context(request).store.create_project(await _body(request)), 201)


async def list_projects(request: web.Request) -> web.Response:
    store = _context(request).store
    query = request.query
    return _page(request, store.list_projects(query.get("user_id"), query.get("video_container")))


async def publish_project(request: web.Request) -> web.Response:
    return _model(_context(request).engine.publish(request.match_info["id"]))


async def unpublish_project(request: web.Request) -> web.Response:
    return _model(_context(request).engine.unpublish(request.match_info["id"]))


# -- script generations -----------------------------------------------------------------------


async def list_script_generation_templates(request: web.Request) -> web.Response:
    store = _context(request).store
    return _page(request, store.list_script_generation_templates(request.match_info["template_id"]))


async def get_script_generation_template(request: web.Request) -> web.Response:
    info = request.match_info
    return _model(
        _context(request).store.script_generation_template(info["template_id"], info["id"])
    )


async def create_script_generation(request: web.Request) -> web.Response:
    engine = _context(request).engine
    body = await _body(request)
    return _model(engine.create_script_generation(request.match_info["container_id"], body), 201)


async def list_script_generations(request: web.Request) -> web.Response:
    store = _context(request).store
    return _page(request, store.list_script_generations(request.match_info["container_id"]))


async def get_script_generation(request: web.Request) -> web.Response:
    info = request.match_info
    return _model(_context(request).store.script_generation(info["container_id"], info["id"]))


# -- headshots --------------------------------------------------------------------------------


async def list_headshot_container_templates(request: web.Request) -> web.Response:
    return _page(request, list(_context(request).store.headshot_container_templates.values()))


async def create_headshot_container(request: web.Request) -> web.Response:
    return _model(_context(request).store.create_headshot_container(await _body(request)), 201)


async def list_headshot_containers(request: web.Request) -> web.Response:
    store = _context(request).store
    return _page(request, store.newest(store.headshot_containers))


async def get_headshot_container(request: web.Request) -> web.Response:
    return _model(_context(request).store.headshot_container(request.match_info["id"]))


async def list_headshot_projects(request: web.Request) -> web.Response:
    store = _context(request).store
    return _page(request, store.newest(store.headshot_projects))


async def get_headshot_project(request: web.Request) -> web.Response:
    return _model(_context(request).store.headshot_project(request.match_info["id"]))


async def create_headshot_project(request: web.Request) -> web.Response:
    return _model(_context(request).engine.create_headshot_project(await _body(request)), 201)


_SCRIPT_TEMPLATES = f"{API}/video_container_templates/{{template_id}}/script_generation_templates"
_GENERATIONS = f"{API}/video_containers/{{container_id}}/script_generations"

ROUTES = (
    Route("POST", f"{API}/app_users", create_app_user),
    Route("GET", f"{API}/app_users", list_app_users),
    Route("POST", f"{API}/app_users/authorize", authorize_app_user),
    Route("POST", f"{API}/app_users/email", email_app_user),
    Route("GET", f"{API}/app_users/{{id}}", get_app_user),
    Route("PUT", f"{API}/app_users/{{id}}", update_app_user),
    Route("GET", f"{API}/video_container_templates", list_video_container_templates),
    Route("POST", f"{API}/video_containers", create_video_container),
    Route("GET", f"{API}/video_containers", list_video_containers),
    Route("POST", f"{API}/projects", create_project),
    Route("GET", f"{API}/projects", list_projects),
    Route("POST", f"{API}/projects/{{id}}/publish", publish_project),
    Route("POST", f"{API}/projects/{{id}}/unpublish", unpublish_project),
    Route("GET", _SCRIPT_TEMPLATES, list_script_generation_templates),
    Route("GET", f"{_SCRIPT_TEMPLATES}/{{id}}", get_script_generation_template),
    Route("POST", _GENERATIONS, create_script_generation),
    Route("GET", _GENERATIONS, list_script_generations),
    Route("GET", f"{_GENERATIONS}/{{id}}", get_script_generation),
    Route("GET", f"{API}/headshot_container_templates", list_headshot_container_templates),
    Route("POST", f"{API}/headshot_containers", create_headshot_container),
    Route("GET", f"{API}/headshot_containers", list_headshot_containers),
    Route("GET", f"{API}/headshot_containers/{{id}}", get_headshot_container),
    Route("GET", f"{API}/headshot_projects", list_headshot_projects),
    Route("GET", f"{API}/headshot_projects/{{id}}", get_headshot_project),
    Route("POST", f"{API}/headshot_projects", create_headshot_project),
)
