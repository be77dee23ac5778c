"""The pytest plugin: its fixtures as a user gets them, and the event-posting helpers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
import standardwebhooks

from takeone_async import TakeOneClient, TakeOneValueError
from takeone_async.sandbox import Sandbox
from takeone_async.testing import FIXTURE_DEFAULTS, post_events, sample_event, stale_event
from tests.takeone_async.sandbox.conftest import Receiver, start_receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
async def hooks(aiohttp_server: Callable[..., Any]) -> Receiver:
    return await start_receiver(aiohttp_server)


async def test_the_fixtures_give_a_running_sandbox_and_its_client(
    takeone_sandbox: Sandbox, takeone_client: TakeOneClient
) -> None:
    assert takeone_client.base_url == takeone_sandbox.url
    assert takeone_sandbox.url.startswith("http://127.0.0.1:")
    assert takeone_sandbox.engine.delays.publish == FIXTURE_DEFAULTS["publish_delay"]
    templates = await takeone_client.video_container_templates.list().to_list()
    assert len(templates) == 2


@pytest.mark.takeone_sandbox(page_size=1, publish_delay=0.001)
async def test_a_marker_configures_the_sandbox(
    takeone_sandbox: Sandbox, takeone_client: TakeOneClient
) -> None:
    page = await takeone_client.video_container_templates.list().first_page()
    assert (page.count, len(page.results)) == (2, 1)
    assert takeone_sandbox.engine.delays.publish == 0.001


def test_the_marker_is_registered(pytestconfig: pytest.Config) -> None:
    assert any(line.startswith("takeone_sandbox(") for line in pytestconfig.getini("markers"))


def test_loading_the_plugin_imports_no_sandbox_module() -> None:
    code = (
        "import sys, takeone_async.testing; "
        "print(sorted(m for m in sys.modules if m.startswith('takeone_async.sandbox')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert out.stdout.strip() == "[]"


async def test_events_are_posted_in_order_and_repeated(hooks: Receiver) -> None:
    events = [sample_event("project_status_change", project_id=f"p{n}") for n in range(3)]
    statuses = await post_events(hooks.url, events, repeat=2)
    assert statuses == [204] * 6
    assert [e["project"]["id"] for e in hooks.events] == ["p0", "p0", "p1", "p1", "p2", "p2"]
    assert not any("webhook-id" in headers for headers, _ in hooks.received)


@pytest.mark.parametrize(
    ("order", "expected"),
    [("reversed", ["p2", "p1", "p0"]), ("shuffled", None)],
)
async def test_events_can_arrive_out_of_order(
    hooks: Receiver, order: str, expected: list[str] | None
) -> None:
    events = [sample_event(project_id=f"p{n}") for n in range(3)]
    await post_events(hooks.url, events, order=order, seed=3)
    received = [e["project"]["id"] for e in hooks.events]
    assert sorted(received) == ["p0", "p1", "p2"]
    if expected is not None:
        assert received == expected
    else:
        assert received != ["p0", "p1", "p2"]


async def test_signed_repeats_share_one_id_and_verify(hooks: Receiver) -> None:
    hooks.statuses = [401]
    event = stale_event(sample_event(), seconds=600)
    assert await post_events(hooks.url, [event], secret=SECRET, repeat=2) == [401, 204]
    (h1, b1), (h2, b2) = hooks.received
    assert h1["webhook-id"] == h2["webhook-id"]
    assert b1 == b2
    assert standardwebhooks.Webhook(SECRET).verify(b2, h2) == event
    assert event["timestamp"] == sample_event()["timestamp"] - 600


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order": "random"}, "post_events: order must be one of given, reversed, shuffled"),
        ({"repeat": 0}, "post_events: repeat must be >= 1, got 0"),
        (
            {"secret": "whsec_!!"},
            "post_events: secret: a Standard Webhooks secret must be 'whsec_'",
        ),
    ],
)
async def test_bad_arguments_are_refused_before_sending(
    hooks: Receiver, kwargs: dict[str, Any], message: str
) -> None:
    """Our error (still a ValueError), naming the helper and the argument."""
    with pytest.raises(TakeOneValueError) as caught:
        await post_events(hooks.url, [sample_event()], **kwargs)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)
    assert hooks.received == []
