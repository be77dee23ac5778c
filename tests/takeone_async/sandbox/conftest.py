"""Fixtures for the sandbox tests: a fast sandbox, a client, raw HTTP, a recording receiver."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web

from takeone_async import (
    AppUser,
    HeadshotProject,
    Project,
    TakeOneClient,
    VideoContainer,
    _http,
)
from takeone_async.sandbox import DEFAULT_CLIENT_SECRET, Sandbox

FAST_SANDBOX = {
    "publish_delay": 0.01,
    "script_delay": 0.01,
    "headshot_delay": 0.01,
    "webhook_backoff": 0.01,
    "webhook_timeout": 2.0,
}
FAST_CLIENT = {"backoff_base": 0.001, "backoff_cap": 0.01, "retry_after_cap": 0.01}
PROFILE_TEMPLATE = "3c0a6647-d7a8-4859-88aa-85d36f21da23"  # "Profile Video", landscape
PORTRAIT_TEMPLATE = "f0531cd1-e90a-4a4c-8857-406dc5414c1d"  # "Psychology Today Video"
BIO_SCRIPT = "ce32c900-e7b2-49f6-8bde-2ef1c268b22d"
HEADSHOT_TEMPLATE = "92d5ad79-19e3-4029-8eba-3e829692810c"
API = "/api/v1"


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A started sandbox with near-zero delays and no webhook URL."""
    async with Sandbox(**FAST_SANDBOX) as running:
        yield running


@pytest.fixture
async def api(sandbox: Sandbox) -> AsyncIterator[TakeOneClient]:
    """A client for ``sandbox`` with near-zero back-off."""
    async with sandbox.client(**FAST_CLIENT) as client:
        yield client


@attrs.frozen
class Answer:
    """What the sandbox answered to a raw request."""

    status: int
    json: Any
    headers: dict[str, str]


@attrs.define
class Raw:
    """Raw HTTP to the sandbox, for status codes and error bodies the client would hide."""

    session: aiohttp.ClientSession
    base_url: str
    authorization: str

    async def __call__(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        auth: str | bool | None = True,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """``auth``: True for the sandbox's credentials, False for none, or a header value."""
        sent = dict(headers or {})
        if auth is not False:
            sent.setdefault("Authorization", self.authorization if auth is True else str(auth))
        async with self.session.request(
            method,
            path if path.startswith("http") else self.base_url + path,
            json=json_body,
            data=data,
            headers=sent,
        ) as response:
            text = await response.text()
            try:
                body = json.loads(text) if text else None
            except ValueError:
                body = text
            return Answer(response.status, body, dict(response.headers))


def basic(client_id: str, client_secret: str) -> str:
    """An ``Authorization`` header value."""
    return _http.basic_auth(client_id, client_secret)


@pytest.fixture
async def raw(sandbox: Sandbox) -> AsyncIterator[Raw]:
    """``await raw("GET", "/api/v1/app_users")`` with the sandbox's credentials."""
    async with aiohttp.ClientSession() as session:
        yield Raw(session, sandbox.url, basic(sandbox.client_id, DEFAULT_CLIENT_SECRET))


@attrs.define
class Receiver:
    """A webhook receiver on 127.0.0.1 that records each POST and answers scripted statuses."""

    url: str = ""
    received: list[tuple[dict[str, str], bytes]] = attrs.field(factory=list)
    statuses: list[int] = attrs.field(factory=list)
    arrived: asyncio.Condition = attrs.field(factory=asyncio.Condition)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        async with self.arrived:
            self.received.append((dict(request.headers), body))
            self.arrived.notify_all()
        return web.Response(status=self.statuses.pop(0) if self.statuses else 204)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:  # noqa: ASYNC109
        """The first ``count`` events, waiting at most ``timeout`` seconds for them."""
        async with asyncio.timeout(timeout), self.arrived:
            await self.arrived.wait_for(lambda: len(self.received) >= count)
        return self.events[:count]


async def start_receiver(aiohttp_server: Callable[..., Any]) -> Receiver:
    """A recording receiver served by pytest-aiohttp at ``receiver.url`` (path ``/hooks``)."""
    recorder = Receiver()
    app = web.Application()
    app.router.add_post("/hooks", recorder.handle)
    server = await aiohttp_server(app)
    recorder.url = str(server.make_url("/hooks"))
    return recorder


@pytest.fixture
async def receiver(aiohttp_server: Callable[..., Any]) -> Receiver:
    """A recording receiver on 127.0.0.1."""
    return await start_receiver(aiohttp_server)


@attrs.frozen
class World:
    """A user, a landscape video container and a project still recording."""

    user: AppUser
    container: VideoContainer
    project: Project


async def make_world(client: TakeOneClient, template: str = PROFILE_TEMPLATE) -> World:
    """Create the objects most tests start from, through the API."""
    user = await client.app_users.create(
        external_id="member-1", given_name="Ada", email_address="ada@example.com"
    )
    container = await client.video_containers.create(template=template, name="Ada's video")
    project = await client.projects.create(user=user.id, video_container=container.id)
    return World(user, container, project)


async def world_in(sandbox: Sandbox) -> World:
    """:func:`make_world` through a short-lived client of ``sandbox``."""
    async with sandbox.client(**FAST_CLIENT) as client:
        return await make_world(client)


async def make_headshot_project(client: TakeOneClient, user_id: str) -> HeadshotProject:
    """A headshot container from the seeded template, and a project in it."""
    container = await client.headshot_containers.create(
        template=HEADSHOT_TEMPLATE, user=user_id, name="Ada's headshot"
    )
    return await client.headshot_projects.create(headshot_container=container.id, user=user_id)


async def project_by_id(client: TakeOneClient, project_id: str) -> Project:
    """The project with this id (the API has no "get one project" call)."""
    matches = [p for p in await client.projects.list().to_list() if p.id == project_id]
    assert len(matches) == 1, f"{len(matches)} projects with id {project_id}"
    return matches[0]


@pytest.fixture
async def world(api: TakeOneClient) -> World:
    """A user, a container and a recording project in ``sandbox``."""
    return await make_world(api)
