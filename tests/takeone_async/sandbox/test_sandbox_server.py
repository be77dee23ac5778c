"""The Sandbox object: configuration checks, serving, credentials, waiting and shutting down."""

from __future__ import annotations

import errno
import logging
import socket
from typing import Any

import pytest

from takeone_async import (
    AuthenticationError,
    TakeOneClient,
    TakeOneError,
    TakeOneValueError,
    WaitTimeoutError,
)
from takeone_async.sandbox import Sandbox, SandboxStateError
from tests.takeone_async.sandbox.conftest import (
    FAST_CLIENT,
    FAST_SANDBOX,
    Receiver,
    make_world,
    world_in,
)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"client_id": ""}, "client_id must be a non-empty string"),
        ({"client_secret": ""}, "client_secret must be a non-empty string"),
        ({"client_id": "a:b"}, "must not contain ':'"),
        ({"webhook_urls": ["ftp://x"]}, "webhook URL must be an http"),
        ({"signing_secret": "whsec_!!"}, "signing_secret: a Standard Webhooks secret"),
        ({"publish_delay": -1}, "publish_delay must be >= 0"),
        ({"unpublish_delay": -1}, "unpublish_delay must be >= 0"),
        ({"webhook_backoff": -0.5}, "webhook_backoff must be >= 0"),
        ({"webhook_timeout": 0}, "webhook_timeout must be > 0"),
        ({"page_size": 0}, "page_size must be >= 1"),
        ({"page_size": 50, "max_page_size": 10}, "max_page_size must be >= page_size"),
        ({"webhook_attempts": 0}, "webhook_attempts must be >= 1"),
        ({"media_base_url": "nope"}, "media_base_url must be an http"),
    ],
)
def test_bad_settings_are_refused_naming_the_argument(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(TakeOneValueError, match=message) as caught:
        Sandbox(**options)
    assert str(caught.value).startswith("Sandbox: ")


async def test_the_url_exists_once_started_and_the_secret_never_shows() -> None:
    sandbox = Sandbox(client_secret="very-secret-value")
    with pytest.raises(SandboxStateError, match="not started") as caught:
        _ = sandbox.url
    assert isinstance(caught.value, TakeOneError)
    assert isinstance(caught.value, RuntimeError)  # as before it had its own class
    assert "not started" in repr(sandbox)
    async with sandbox:
        assert sandbox.url.startswith("http://127.0.0.1:")
        assert sandbox.url in repr(sandbox)
        assert "very-secret-value" not in repr(sandbox)
        with pytest.raises(SandboxStateError, match="already started"):
            await sandbox.start()
    await sandbox.close()


async def test_custom_credentials_are_the_only_ones_accepted() -> None:
    async with Sandbox(client_id="me", client_secret="s3") as sandbox:
        async with sandbox.client(**FAST_CLIENT) as client:
            assert await client.app_users.list().to_list() == []
        async with TakeOneClient("me", "wrong", base_url=sandbox.url) as client:
            with pytest.raises(AuthenticationError, match="Invalid username/password"):
                await client.app_users.list().to_list()


async def test_a_taken_port_is_an_oserror_and_leaks_nothing() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        sandbox = Sandbox()
        with pytest.raises(OSError, match="address already in use") as caught:
            await sandbox.start(port=port)
        assert caught.value.errno == errno.EADDRINUSE
        with pytest.raises(SandboxStateError):
            _ = sandbox.url
        await sandbox.start()
        await sandbox.close()


async def test_settle_gives_up_after_its_timeout() -> None:
    async with Sandbox(publish_delay=30) as sandbox:
        async with sandbox.client(**FAST_CLIENT) as client:
            world = await make_world(client)
            await sandbox.complete_recording(world.project.id)
            await client.projects.publish(world.project.id)
        assert sandbox.engine.busy
        with pytest.raises(
            WaitTimeoutError, match=r"1 life-cycle step\(s\) still pending after 0.05s"
        ):
            await sandbox.settle(timeout=0.05)


async def test_settle_gives_up_on_deliveries_still_pending_after_its_timeout(
    receiver: Receiver,
) -> None:
    """The sender's own wait times out with a bare TimeoutError: settle makes it ours."""
    receiver.statuses = [500] * 10
    async with Sandbox(
        webhook_urls=[receiver.url], webhook_attempts=10, **{**FAST_SANDBOX, "webhook_backoff": 5}
    ) as sandbox:
        world = await world_in(sandbox)
        await sandbox.complete_recording(world.project.id)
        await receiver.wait_for(1)
        with pytest.raises(WaitTimeoutError) as caught:
            await sandbox.settle(timeout=0.05)
        assert isinstance(caught.value, TimeoutError)
        assert str(caught.value).startswith("sandbox: ")
        assert "webhook delivery(ies) still pending after 0.05s" in str(caught.value)


async def test_the_editing_delay_separates_the_two_recording_steps() -> None:
    async with Sandbox(editing_delay=0.05, **FAST_SANDBOX) as sandbox:
        world = await world_in(sandbox)
        project = await sandbox.complete_recording(world.project.id)
        assert project.state == "completed"


async def test_a_failing_background_step_is_logged_not_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with Sandbox(**FAST_SANDBOX) as sandbox:
        world = await world_in(sandbox)
        await sandbox.complete_recording(world.project.id)
        await sandbox.publish_from_app(world.project.id)
        sandbox.store.projects.clear()
        with caplog.at_level(logging.ERROR, logger="takeone_async.sandbox"):
            await sandbox.settle()
    assert "a background step failed" in caplog.text


async def test_the_app_can_be_served_by_aiohttp_test_tools(aiohttp_client: Any) -> None:
    sandbox = Sandbox(**FAST_SANDBOX)
    client = await aiohttp_client(sandbox.app)
    answer = await client.get(
        "/api/v1/video_container_templates",
        headers={"Authorization": "Basic c2FuZGJveDpzYW5kYm94LXNlY3JldA=="},
    )
    assert answer.status == 200
    assert (await answer.json())["count"] == 2
    await sandbox.close()
