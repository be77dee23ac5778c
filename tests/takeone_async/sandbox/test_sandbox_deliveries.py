"""Webhook deliveries: the events of each life-cycle step, signing, retries, the delivery log."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
import standardwebhooks
from aiohttp import web

from takeone_async import TakeOneValueError, WaitTimeoutError
from takeone_async.sandbox import DEFAULT_CLIENT_SECRET, Sandbox, redact_url
from tests.conftest import load_sample
from tests.takeone_async.sandbox.conftest import (
    FAST_CLIENT,
    FAST_SANDBOX,
    Receiver,
    World,
    basic,
    make_world,
    world_in,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DOCUMENTED = load_sample("webhook_project_published.json")


@pytest.fixture
async def hooked(receiver: Receiver) -> AsyncIterator[Sandbox]:
    """A sandbox delivering to ``receiver``, signing with SECRET."""
    async with Sandbox(webhook_urls=[receiver.url], signing_secret=SECRET, **FAST_SANDBOX) as sb:
        yield sb


@pytest.fixture
async def hooked_world(hooked: Sandbox) -> AsyncIterator[World]:
    async with hooked.client(**FAST_CLIENT) as client:
        yield await make_world(client)


def steps(events: list[dict]) -> list[tuple[str, str, str]]:
    return [(e["type"], e["project"]["state"], e["project"]["publishing_status"]) for e in events]


async def test_each_state_change_is_one_delivery_in_order(
    hooked: Sandbox, hooked_world: World, receiver: Receiver
) -> None:
    project_id = hooked_world.project.id
    await hooked.complete_recording(project_id)
    async with hooked.client(**FAST_CLIENT) as client:
        await client.projects.publish(project_id)
        await hooked.settle()
        await client.projects.unpublish(project_id)
    await hooked.settle()
    events = receiver.events
    assert steps(events) == [
        ("project_status_change", "editing", "cannot_publish"),
        ("project_status_change", "completed", "can_publish"),
        ("project_status_change", "completed", "publishing"),
        ("project_status_change", "completed", "published"),
        ("project_published", "completed", "published"),
        ("project_status_change", "completed", "unpublishing"),
        ("project_status_change", "completed", "can_publish"),
        ("project_unpublished", "completed", "can_publish"),
    ]
    for event in events:
        assert set(event) == set(DOCUMENTED)
        assert set(event["project"]) == set(DOCUMENTED["project"])
        assert set(event["video_container"]) == set(DOCUMENTED["video_container"])
        assert isinstance(event["timestamp"], int)
        assert event["project"]["id"] == project_id
    modified = [e["project"]["modified_date_time"] for e in events]
    assert modified == sorted(modified)
    published = events[4]
    assert published["project"]["publishing_info"]["landscape"]["video"]["src"].startswith(
        "https://"
    )
    assert (
        published["video_container"]["publishing_info"] == published["project"]["publishing_info"]
    )
    assert events[-1]["video_container"]["publishing_info"] is None


async def test_deliveries_are_signed_the_standard_webhooks_way(
    hooked: Sandbox, hooked_world: World, receiver: Receiver
) -> None:
    await hooked.complete_recording(hooked_world.project.id)
    await hooked.settle()
    verifier = standardwebhooks.Webhook(SECRET)
    for headers, body in receiver.received:
        assert verifier.verify(body, headers)["type"] == "project_status_change"
        assert headers["Content-Type"] == "application/json"
    ids = [h["webhook-id"] for h, _ in receiver.received]
    assert len(set(ids)) == 2
    assert [d.id for d in hooked.deliveries] == ids


async def test_without_a_secret_nothing_is_signed(sandbox: Sandbox, receiver: Receiver) -> None:
    sandbox.add_webhook_url(receiver.url)
    world = await world_in(sandbox)
    await sandbox.complete_recording(world.project.id)
    await sandbox.settle()
    assert len(receiver.received) == 2
    assert not any(k.startswith("webhook-") for h, _ in receiver.received for k in h)


async def test_a_failed_delivery_is_retried_with_the_same_id_then_the_next_goes(
    hooked: Sandbox, hooked_world: World, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503, 204]
    await hooked.complete_recording(hooked_world.project.id)
    await hooked.settle()
    first, second = hooked.deliveries
    assert [a.status for a in first.attempts] == [500, 503, 204]
    assert (first.state, second.state) == ("delivered", "delivered")
    ids = [h["webhook-id"] for h, _ in receiver.received]
    assert ids == [first.id] * 3 + [second.id]
    assert [e["project"]["state"] for e in receiver.events] == ["editing"] * 3 + ["completed"]


async def test_a_delivery_that_never_succeeds_is_marked_failed(receiver: Receiver) -> None:
    receiver.statuses = [500] * 3
    async with Sandbox(webhook_urls=[receiver.url], webhook_attempts=3, **FAST_SANDBOX) as sb:
        world = await world_in(sb)
        await sb.complete_recording(world.project.id)
        await sb.settle()
        failed, delivered = sb.deliveries
    assert failed.state == "failed"
    assert len(failed.attempts) == 3
    assert delivered.state == "delivered"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_unreachable_receiver_is_recorded_with_the_error_and_no_secret() -> None:
    closed = closed_port()
    url = f"http://127.0.0.1:{closed}/hooks?token=s3cret-token"
    async with Sandbox(webhook_urls=[url], webhook_attempts=2, **FAST_SANDBOX) as sb:
        world = await world_in(sb)
        await sb.complete_recording(world.project.id)
        await sb.settle()
        delivery = sb.deliveries[0]
        assert delivery.state == "failed"
        assert delivery.url == f"http://127.0.0.1:{closed}/hooks?token=***"
        assert all(a.status is None and a.error for a in delivery.attempts)
        assert "s3cret-token" not in repr(sb.deliveries)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:8080/hooks", "http://127.0.0.1:8080/hooks"),
        ("http://h/hooks?token=s3&x=", "http://h/hooks?token=***&x=***"),
        ("https://user:pa55@h/hooks#frag", "https://user:***@h/hooks"),
    ],
)
def test_urls_are_shown_without_their_secrets(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:8080/hooks/s3cr3t-t0ken", "http://127.0.0.1:8080/hooks/***"),
        ("http://127.0.0.1:8080/hooks/s3cr3t-t0ken/", "http://127.0.0.1:8080/hooks/***/"),
        ("http://h/s3cr3t?token=s3&x=", "http://h/***?token=***&x=***"),
        ("https://user:pa55@h/a/b/s3cr3t#frag", "https://user:***@h/a/b/***"),
        ("http://h/", "http://h/"),
        ("http://h", "http://h"),
    ],
)
def test_urls_with_a_path_token_are_shown_without_their_final_segment(url: str, shown: str) -> None:
    assert redact_url(url, path_token=True) == shown


async def test_a_path_token_never_reaches_the_delivery_log_nor_a_log_line(
    caplog: pytest.LogCaptureFixture, aiohttp_server: Callable[..., Any]
) -> None:
    """A URL with no query and no password may end in a path token (webhooks.PathToken), so
    the sandbox's records, its log lines and its control endpoint hide its final path segment."""
    token = "tok-s3cr3t-4f9a2c"
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/{token}", receiver.handle)
    server = await aiohttp_server(app)
    receiver.url = str(server.make_url("/hooks"))
    closed = closed_port()
    unreachable = f"http://127.0.0.1:{closed}/hooks/{token}"
    caplog.set_level(logging.INFO, logger="takeone_async.sandbox")
    async with Sandbox(webhook_urls=[unreachable], webhook_attempts=2, **FAST_SANDBOX) as sb:
        sb.add_webhook_url(f"{receiver.url}/{token}")
        world = await world_in(sb)
        await sb.complete_recording(world.project.id)
        await sb.settle()
        states = {d.url: d.state for d in sb.deliveries}
        assert states == {
            f"http://127.0.0.1:{closed}/hooks/***": "failed",
            f"{receiver.url}/***": "delivered",
        }
        async with aiohttp.ClientSession() as session:
            answer = await session.get(
                f"{sb.url}/_sandbox/webhook_urls",
                headers={"Authorization": basic(sb.client_id, DEFAULT_CLIENT_SECRET)},
            )
            listed = await answer.text()
        assert "/hooks/***" in listed
        assert token not in listed
        assert token not in repr(sb.deliveries)
    assert f"127.0.0.1:{closed}/hooks/***: ClientConnectorError" in caplog.text
    assert token not in caplog.text


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("ftp://h/hooks/tok-s3cr3t", "ftp://h/hooks/***"),
        ("ftp://h/hooks?token=tok-s3cr3t", "ftp://h/hooks?token=***"),
        ("ftp://user:tok-s3cr3t@h/hooks", "ftp://user:***@h/hooks"),
    ],
)
def test_a_rejected_webhook_url_is_not_echoed_with_its_token(url: str, shown: str) -> None:
    with pytest.raises(TakeOneValueError) as caught:
        Sandbox(webhook_urls=[url])
    assert str(caught.value) == f"Sandbox: webhook URL must be an http(s) URL, got {shown!r}"


def test_a_broken_webhook_url_shows_only_its_host_part() -> None:
    with pytest.raises(TakeOneValueError) as caught:
        Sandbox().add_webhook_url("http://[::1/hooks/tok-s3cr3t")
    assert str(caught.value).endswith("got 'http://[::1'")


async def test_each_attempt_and_its_outcome_is_one_log_line(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """Delivered (INFO); failed and retried, given up (WARNING). The URL's path shows, the
    query value does not."""
    closed = closed_port()
    unreachable = f"http://127.0.0.1:{closed}/down?token=s3cret-token"
    receiver.statuses = [503]
    caplog.set_level(logging.INFO, logger="takeone_async.sandbox")
    async with Sandbox(
        webhook_urls=[f"{receiver.url}?token=s3cret-token", unreachable],
        webhook_attempts=2,
        **FAST_SANDBOX,
    ) as sb:
        world = await world_in(sb)
        await sb.complete_recording(world.project.id)
        await sb.settle()

    def lines(url: str) -> list[tuple[str, str]]:
        return [(r.levelname, r.getMessage()) for r in caplog.records if f"-> {url}:" in r.message]

    sent = f"sandbox: project_status_change -> {receiver.url}?token=***"
    assert lines(f"{receiver.url}?token=***") == [
        ("WARNING", f"{sent}: HTTP 503 (attempt 1/2, retrying)"),
        ("INFO", f"{sent}: HTTP 204 (attempt 2/2)"),
        ("INFO", f"{sent}: HTTP 204 (attempt 1/2)"),
    ]
    down = f"http://127.0.0.1:{closed}/down?token=***"
    refused = f"ClientConnectorError: Cannot connect to host 127.0.0.1:{closed}"
    failed = lines(down)
    assert [level for level, _ in failed] == ["WARNING"] * 4
    assert failed[0][1].startswith(f"sandbox: project_status_change -> {down}: {refused}")
    assert failed[0][1].endswith("(attempt 1/2, retrying)")
    assert failed[1][1].startswith(
        f"sandbox: project_status_change -> {down}: given up after 2 attempts: {refused}"
    )
    assert "s3cret-token" not in caplog.text


async def test_settle_says_which_deliveries_were_given_up_and_which_are_still_pending(
    aiohttp_server: Callable[..., Any],
) -> None:
    """One receiver is down (its deliveries are given up at once); the other answers 500 and
    then hangs, so its deliveries are still pending when settle's timeout ends."""
    release = asyncio.Event()
    answered: list[int] = []

    async def failing_then_hanging(request: web.Request) -> web.Response:
        answered.append(1)
        if len(answered) > 1:
            await release.wait()
        return web.Response(status=500)

    app = web.Application()
    app.router.add_post("/slow", failing_then_hanging)
    slow = str((await aiohttp_server(app)).make_url("/slow"))
    down = f"http://127.0.0.1:{closed_port()}/down?token=s3cret-token"
    fast = {**FAST_SANDBOX, "webhook_backoff": 0}
    try:
        async with Sandbox(webhook_urls=[slow, down], webhook_attempts=3, **fast) as sb:
            world = await world_in(sb)
            await sb.complete_recording(world.project.id)
            with pytest.raises(WaitTimeoutError) as caught:
                await sb.settle(timeout=1)
    finally:
        release.set()
    message = str(caught.value)
    assert message.startswith(
        "sandbox: 2 webhook delivery(ies) still pending after 1s, latest attempt 1/3: HTTP 500 "
        f"({slow[:-4]}***); 2 given up after 3 attempts: ClientConnectorError: "
    )
    assert message.endswith(f"({down.removesuffix('s3cret-token')}***)")
    assert "s3cret-token" not in message
