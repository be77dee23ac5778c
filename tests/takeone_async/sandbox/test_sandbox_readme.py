"""The README's sandbox section, run: each Python block below is copied verbatim from it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from takeone_async.sandbox import FaultKind, FaultRule, Faults, Sandbox
from takeone_async.testing import post_events, sample_event, stale_event
from tests.takeone_async.sandbox.conftest import Receiver
from webhooks import Deduplicate, DropStale, StandardWebhooksSignature, WebhookEvent, WebhookRouter
from webhooks.aiohttp import add_webhook_route

# -- README block: a script against the sandbox -----------------------------------------------


async def publish_one_video(webhook_url: str) -> None:
    async with Sandbox(webhook_urls=[webhook_url], publish_delay=0.1) as sandbox:
        async with sandbox.client() as client:
            user = await client.app_users.get_or_create(external_id="member-1")
            container = await client.video_containers.create(
                template="3c0a6647-d7a8-4859-88aa-85d36f21da23", name="Profile video"
            )
            project = await client.projects.create(user=user.id, video_container=container.id)
            await sandbox.complete_recording(project.id)  # plays the app user's part
            await client.projects.publish(project.id)
        await sandbox.settle()  # publishing done, every webhook delivered or given up
        for delivery in sandbox.deliveries:
            print(delivery.type, delivery.event["project"]["publishing_status"], delivery.state)


async def test_the_script_block_publishes_and_delivers(
    receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    await publish_one_video(receiver.url)
    assert capsys.readouterr().out.splitlines() == [
        "project_status_change cannot_publish delivered",
        "project_status_change can_publish delivered",
        "project_status_change publishing delivered",
        "project_status_change published delivered",
        "project_published published delivered",
    ]
    assert len(receiver.received) == 5


# -- README block: deliveries the way they really arrive --------------------------------------

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # your receiver's signing secret


@pytest.mark.asyncio
async def test_my_receiver_ignores_repeats_and_stale_events(my_receiver_url: str) -> None:
    published = sample_event("project_published", project_id="p-1")
    older = stale_event(sample_event("project_published", project_id="p-1"), seconds=600)
    statuses = await post_events(my_receiver_url, [published, older], secret=SECRET, repeat=2)
    assert statuses == [200, 200, 200, 200]  # and your receiver handled the publish once


@pytest.fixture
async def my_receiver_url(aiohttp_server: Callable[..., Any]) -> AsyncIterator[str]:
    """A receiver built with ``webhooks``: signed, deduplicated, stale events dropped. After
    the test, it must have handled the publish once: its repeat is a duplicate, and the older
    publish is stale."""
    handled: list[WebhookEvent] = []
    router = WebhookRouter(filters=[Deduplicate(), DropStale()])

    @router.on_any
    async def record(event: WebhookEvent) -> None:
        handled.append(event)

    app = web.Application()
    add_webhook_route(app, "/hooks", router, auth=StandardWebhooksSignature(SECRET))
    server = await aiohttp_server(app)
    yield str(server.make_url("/hooks"))
    assert [(e.type, e.project_id) for e in handled] == [("project_published", "p-1")]


# -- README block: fault injection ------------------------------------------------------------

faults = Faults(
    [
        FaultRule(route="POST /api/v1/app_users", schedule=["drop_after", None, "429"]),
        FaultRule(probability=0.2, kinds=["500", "503", "drop_before"]),
    ],
    seed=42,
)
sandbox = Sandbox(faults=faults, publish_delay=0.1)


async def test_the_fault_block_behaves_as_described() -> None:
    async with (
        sandbox,
        sandbox.client(max_retries=10, backoff_base=0.001, backoff_cap=0.01) as client,
    ):
        async with asyncio.timeout(10):
            user = await client.app_users.get_or_create(external_id="member-1", attempts=10)
            await client.video_container_templates.list().to_list()
    assert [u.id for u in sandbox.store.app_users.values()] == [user.id]
    assert faults.injected[0].kind is FaultKind.DROP_AFTER
    assert faults.injected[0].route == "/api/v1/app_users"
