"""The full life cycle, received by a real ``webhooks`` receiver: the exact typed sequence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest
from aiohttp import web

from takeone_async import ProjectState, PublishingStatus
from takeone_async.sandbox import Sandbox
from tests.takeone_async.sandbox.conftest import (
    FAST_CLIENT,
    FAST_SANDBOX,
    make_world,
    project_by_id,
    world_in,
)
from webhooks import (
    ProjectPublished,
    ProjectStatusChange,
    ProjectUnpublished,
    StandardWebhooksSignature,
    WebhookEvent,
    WebhookRouter,
)
from webhooks.aiohttp import add_webhook_route

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@attrs.define
class TypedReceiver:
    """Every event a ``webhooks`` route accepted, in arrival order."""

    url: str = ""
    events: list[WebhookEvent] = attrs.field(factory=list)
    changed: asyncio.Event = attrs.field(factory=asyncio.Event)

    async def wait_for(self, count: int) -> list[WebhookEvent]:
        async with asyncio.timeout(5):
            while len(self.events) < count:
                self.changed.clear()
                await self.changed.wait()
        return self.events


@pytest.fixture
async def typed(aiohttp_server: Callable[..., Any]) -> TypedReceiver:
    received = TypedReceiver()
    router = WebhookRouter()

    @router.on_any
    async def record(event: WebhookEvent) -> None:
        received.events.append(event)
        received.changed.set()

    app = web.Application()
    add_webhook_route(app, "/takeone/webhooks", router, auth=StandardWebhooksSignature(SECRET))
    server = await aiohttp_server(app)
    received.url = str(server.make_url("/takeone/webhooks"))
    return received


@pytest.fixture
async def signing_sandbox(typed: TypedReceiver) -> AsyncIterator[Sandbox]:
    async with Sandbox(webhook_urls=[typed.url], signing_secret=SECRET, **FAST_SANDBOX) as sb:
        yield sb


def sequence(events: list[WebhookEvent]) -> list[tuple[type, str, str]]:
    return [
        (type(e), str(e.project.state), str(e.project.publishing_status))
        for e in events
        if e.project is not None
    ]


async def test_record_publish_unpublish_arrive_as_typed_events_in_order(
    signing_sandbox: Sandbox, typed: TypedReceiver
) -> None:
    async with signing_sandbox.client(**FAST_CLIENT) as client:
        world = await make_world(client)
        await signing_sandbox.complete_recording(world.project.id)
        await client.projects.publish(world.project.id)
        events = await typed.wait_for(5)
        published_project = await project_by_id(client, world.project.id)
        await client.projects.unpublish(world.project.id)
        events = await typed.wait_for(8)
    assert sequence(events) == [
        (ProjectStatusChange, "editing", "cannot_publish"),
        (ProjectStatusChange, "completed", "can_publish"),
        (ProjectStatusChange, "completed", "publishing"),
        (ProjectStatusChange, "completed", "published"),
        (ProjectPublished, "completed", "published"),
        (ProjectStatusChange, "completed", "unpublishing"),
        (ProjectStatusChange, "completed", "can_publish"),
        (ProjectUnpublished, "completed", "can_publish"),
    ]
    assert {e.project_id for e in events} == {world.project.id}
    assert len({e.delivery_key for e in events}) == 8
    stamps = [e.project.modified_date_time for e in events if e.project is not None]
    assert stamps == sorted(stamps)
    published = events[4]
    assert isinstance(published, ProjectPublished)
    assert published.project.publishing_info == published_project.publishing_info
    assert published.project.stream_url("landscape") is not None
    assert published.video_container is not None
    assert published.video_container.id == world.container.id
    assert published.video_container.publishing_info == published_project.publishing_info
    assert events[-1].project is not None
    assert events[-1].project.stream_url() is None
    assert all(d.state == "delivered" for d in signing_sandbox.deliveries)


async def test_publishing_from_the_app_sends_project_published_too(
    signing_sandbox: Sandbox, typed: TypedReceiver
) -> None:
    world = await world_in(signing_sandbox)
    await signing_sandbox.complete_recording(world.project.id)
    project = await signing_sandbox.publish_from_app(world.project.id)
    assert project.publishing_status == PublishingStatus.PUBLISHING
    events = await typed.wait_for(5)
    assert isinstance(events[-1], ProjectPublished)
    assert events[-1].project.state == ProjectState.COMPLETED


async def test_a_receiver_with_another_secret_rejects_every_delivery(
    typed: TypedReceiver,
) -> None:
    other = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    async with Sandbox(
        webhook_urls=[typed.url], signing_secret=other, webhook_attempts=2, **FAST_SANDBOX
    ) as sandbox:
        world = await world_in(sandbox)
        await sandbox.complete_recording(world.project.id)
        await sandbox.settle()
        assert [d.state for d in sandbox.deliveries] == ["failed", "failed"]
        assert {a.status for d in sandbox.deliveries for a in d.attempts} == {401}
    assert typed.events == []
