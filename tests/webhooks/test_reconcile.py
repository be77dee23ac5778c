"""Reconcile: after an outage, the API's view of each project comes back through the inbox."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from takeone_async import Project, TakeOneClient
from takeone_async.converter import structure
from takeone_async.sandbox import Sandbox
from tests.conftest import load_sample
from tests.webhooks.conftest import SECRET, Recorder
from tests.webhooks.inbox.support import wait_until
from webhooks import QueryToken, WebhookConfigError, WebhookEvent, WebhookRouter, parse_event
from webhooks.aiohttp import add_webhook_route
from webhooks.inbox import Inbox, InboxError, MemoryInbox, ProjectMark, SQLiteInbox
from webhooks.reconcile import (
    is_reconciled,
    project_mark,
    reconcile,
    reconcile_every,
    synthetic_event,
)
from webhooks.worker import Worker

pytestmark = pytest.mark.timeout(60)

PROJECTS = 100


@asynccontextmanager
async def receiver(inbox: Inbox) -> AsyncIterator[str]:
    """A webhook endpoint on loopback storing into ``inbox``; its URL (token included)."""
    app = web.Application()
    add_webhook_route(app, "/hooks", None, auth=QueryToken("token", SECRET), inbox=inbox)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield f"{server.make_url('/hooks')}?token={SECRET}"
    finally:
        await server.close()


class View:
    """What a worker's handler knows of each project: its latest state and publishing status."""

    def __init__(self) -> None:
        self.projects: dict[str, tuple[str | None, str | None]] = {}
        self.reconciled = 0
        self.router = WebhookRouter()
        self.router.on_any(self.record)

    async def record(self, event: WebhookEvent) -> None:
        if event.project is not None:
            p = event.project
            self.projects[p.id] = (
                p.state and str(p.state),
                p.publishing_status and str(p.publishing_status),
            )
        self.reconciled += is_reconciled(event)

    async def catch_up(self, inbox: Inbox) -> None:
        await Worker(inbox, self.router, concurrency=16, poll_interval=0.02).run_until_idle(
            timeout=30
        )


async def api_view(
    client: TakeOneClient, container: str
) -> dict[str, tuple[str | None, str | None]]:
    return {
        p.id: (str(p.state), str(p.publishing_status))
        async for p in client.projects.list(video_container=container)
    }


async def make_projects(
    client: TakeOneClient, sandbox: Sandbox, count: int
) -> tuple[str, list[Project]]:
    """A video container with ``count`` recorded projects (one user each); the container id."""
    [template] = await client.video_container_templates.list().to_list(limit=1)
    container = await client.video_containers.create(template=template.id, name="reconcile")
    projects = []
    for i in range(count):
        user = await client.app_users.create(external_id=f"u{i}", given_name="Test")
        project = await client.projects.create(user=user.id, video_container=container.id)
        await sandbox.complete_recording(project.id)
        projects.append(project)
    return container.id, projects


def is_pending(inbox: Inbox, count: int) -> Any:
    async def check() -> bool:
        return (await inbox.counts()).pending >= count

    return check


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    options: dict[str, Any] = {
        "publish_delay": 0.01,
        "webhook_attempts": 1,
        "webhook_backoff": 0.01,
    }
    async with Sandbox(page_size=50, max_page_size=100, **options) as running:
        yield running


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[TakeOneClient]:
    async with sandbox.client(backoff_base=0.01, backoff_cap=0.05) as c:
        yield c


async def test_one_run_restores_every_project_moved_during_an_outage_and_a_second_adds_nothing(
    tmp_path: Path, sandbox: Sandbox, client: TakeOneClient
) -> None:
    view = View()
    async with SQLiteInbox(tmp_path / "inbox.db") as inbox:
        async with receiver(inbox) as url:
            sandbox.add_webhook_url(url)
            container, projects = await make_projects(client, sandbox, PROJECTS)
            await sandbox.settle()
        await view.catch_up(inbox)
        assert set(view.projects.values()) == {("completed", "can_publish")}
        for project in projects:  # the receiver is down: these deliveries are lost
            await client.projects.publish(project.id)
        await sandbox.settle()
        api = await api_view(client, container)
        assert set(api.values()) == {("completed", "published")}
        assert sum(view.projects[p] == api[p] for p in api) == 0

        report = await reconcile(client, inbox, video_containers=[container])
        assert (report.checked, report.appended) == (PROJECTS, PROJECTS)
        assert sorted(report.project_ids) == sorted(p.id for p in projects)
        await view.catch_up(inbox)
        assert sum(view.projects[p] == api[p] for p in api) == PROJECTS
        assert view.reconciled == PROJECTS

        again = await reconcile(client, inbox, video_containers=[container])
        assert (again.checked, again.appended) == (PROJECTS, 0)


async def test_scope_by_user_and_unseen_projects(sandbox: Sandbox, client: TakeOneClient) -> None:
    inbox = MemoryInbox()
    container, projects = await make_projects(client, sandbox, 3)
    await sandbox.settle()
    assert (
        await reconcile(client, inbox, users=[projects[0].user or ""], include_unseen=False)
    ).appended == 0
    report = await reconcile(client, inbox, users=[projects[0].user or "", projects[1].user or ""])
    assert sorted(report.project_ids) == sorted(p.id for p in projects[:2])
    both = await reconcile(
        client, inbox, video_containers=[container], users=[projects[2].user or ""]
    )
    assert (both.checked, both.project_ids) == (3, (projects[2].id,))  # each project once


async def test_reconcile_every_repeats_until_stopped_and_survives_a_failed_run(
    sandbox: Sandbox, client: TakeOneClient, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(MemoryInbox):
        failures = 1

        async def seen(self, project_ids: Any, family: str | None = None) -> dict[str, ProjectMark]:
            if self.failures:
                self.failures -= 1
                raise InboxError("storage down")
            return await super().seen(project_ids, family)

    inbox = Broken()
    container, _ = await make_projects(client, sandbox, 2)
    stop = asyncio.Event()
    task = asyncio.create_task(
        reconcile_every(client, inbox, 0.05, stop=stop, video_containers=[container])
    )
    await wait_until(is_pending(inbox, 2), within=10, what="2 synthetic events")
    stop.set()
    assert await asyncio.wait_for(task, 5) == 2
    assert "storage down" in caplog.text
    for interval in (0, -1, float("nan")):
        with pytest.raises(WebhookConfigError, match="interval"):  # also a ValueError
            await reconcile_every(client, inbox, interval)


async def test_a_project_moved_only_in_a_publish_is_caught_up_for_the_status_changes(
    sandbox: Sandbox, client: TakeOneClient
) -> None:
    """Whether a project moved is judged among the status changes, the family its synthetic
    event joins: a stored publish of the newest state does not stand in for a status change,
    and the synthetic status change, once handled, does not make that publish stale."""
    inbox = MemoryInbox()
    container, [project] = await make_projects(client, sandbox, 1)
    await sandbox.settle()
    [listed] = await client.projects.list(video_container=container).to_list()
    body = {**synthetic_event(listed).payload, "type": "project_published"}
    del body["reconciled"]
    publish = parse_event(json.dumps(body).encode())
    assert await inbox.append(publish)
    assert (await reconcile(client, inbox, include_unseen=False)).project_ids == (project.id,)
    assert (await reconcile(client, inbox)).appended == 0
    handled = Recorder()
    router = WebhookRouter()
    router.on_any(handled)
    await Worker(inbox, router, poll_interval=0.01).run_until_idle(timeout=10)
    assert sorted(e.type for e in handled.events) == ["project_published", "project_status_change"]
    assert (await inbox.counts()).stale == 0


def test_synthetic_event_is_a_marked_status_change_with_the_listed_project() -> None:
    project = structure(load_sample("fetch_projects.response.json")["results"][0], Project)
    event = synthetic_event(project)
    assert event.type == "project_status_change"
    assert is_reconciled(event)
    assert event.project is not None
    assert event.project.id == project.id
    assert (str(event.project.state), event.project.modified_date_time) == (
        str(project.state),
        project.modified_date_time,
    )
    assert event.video_container is not None
    assert event.video_container.id == project.video_container
    assert synthetic_event(project).delivery_key == event.delivery_key  # same project, same key
    assert project_mark(project) == ProjectMark(
        project.modified_date_time, str(project.state), str(project.publishing_status)
    )
