from __future__ import annotations

import os
from datetime import timedelta

from aiohttp import web

from webhooks import (
    BasicAuth,
    Deduplicate,
    DropStale,
    PathToken,
    QueryToken,
    StandardWebhooksSignature,
    WebhookRouter,
)
from webhooks.aiohttp import add_webhook_route


def add_routes(app: web.Application) -> WebhookRouter:
    router = WebhookRouter(filters=[Deduplicate(window=timedelta(hours=1)), DropStale()])
    env = os.environ
    # https://example.com/takeone/webhooks?token=<secret>; while rotating, both secrets work
    add_webhook_route(
        app,
        "/takeone/webhooks",
        router,
        auth=[
            QueryToken("token", env["TAKEONE_WEBHOOK_TOKEN"]),
            QueryToken("token", env["TAKEONE_WEBHOOK_TOKEN_OLD"]),
        ],
    )
    # https://example.com/takeone/hooks/<secret>: the secret is the route's last segment
    add_webhook_route(
        app, "/takeone/hooks/{token}", router, auth=PathToken(env["TAKEONE_PATH_TOKEN"])
    )
    # https://takeone:<password>@example.com/takeone/basic
    add_webhook_route(
        app, "/takeone/basic", router, auth=BasicAuth("takeone", env["TAKEONE_PASSWORD"])
    )
    # behind a relay that signs per Standard Webhooks; answer at once, handle in the background
    add_webhook_route(
        app,
        "/takeone/signed",
        router,
        auth=StandardWebhooksSignature(env["RELAY_SECRET"]),
        mode="ack_first",
    )
    return router


# ---- the README's route set-up block above, run -------------------------------------------

import base64  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from aiohttp.test_utils import TestClient  # noqa: E402

from tests.webhooks.conftest import (  # noqa: E402
    OLD_SECRET,
    SECRET,
    Recorder,
    basic_header,
    event_body,
    post,
    signed_headers,
)

RELAY_SECRET = "whsec_" + base64.b64encode(b"relay-secret-for-readme-test-32b").decode()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "TAKEONE_WEBHOOK_TOKEN": SECRET,
        "TAKEONE_WEBHOOK_TOKEN_OLD": OLD_SECRET,
        "TAKEONE_PATH_TOKEN": "path-" + SECRET,
        "TAKEONE_PASSWORD": "pw-" + SECRET,
        "RELAY_SECRET": RELAY_SECRET,
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
async def served(env: None, aiohttp_client: Any) -> tuple[TestClient[Any, Any], Recorder]:
    """A client for an app set up by ``add_routes``, and a handler seeing every event."""
    app = web.Application()
    router = add_routes(app)
    handler = Recorder()
    router.on_any(handler)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    return client, handler


async def test_each_route_accepts_its_credential_only(
    served: tuple[TestClient[Any, Any], Recorder],
) -> None:
    client, handler = served
    basic = basic_header("takeone", f"pw-{SECRET}")
    signed_body = event_body(timestamp=6)
    signed = signed_headers([RELAY_SECRET], signed_body)

    accepted = [
        await post(client, event_body(timestamp=1), token=SECRET),
        await post(client, event_body(timestamp=2), token=OLD_SECRET),
        await post(
            client, event_body(timestamp=3), path=f"/takeone/hooks/path-{SECRET}", token=None
        ),
        await post(
            client,
            event_body(timestamp=4),
            path="/takeone/basic",
            token=None,
            headers=basic,
        ),
        await post(client, signed_body, path="/takeone/signed", token=None, headers=signed),
    ]
    rejected = [
        (await post(client, event_body(timestamp=7), token=None))[0],
        (await post(client, event_body(timestamp=8), path="/takeone/hooks/x", token=None))[0],
        (await post(client, event_body(timestamp=9), path="/takeone/basic", token=None))[0],
        (await post(client, event_body(timestamp=10), path="/takeone/signed", token=None))[0],
    ]
    assert accepted == [(200, "")] * 5
    assert rejected == [401] * 4
    await client.close()
    assert sorted(e.payload["timestamp"] for e in handler.events) == [1, 2, 3, 4, 6]


async def test_the_filters_skip_a_repeated_delivery(
    served: tuple[TestClient[Any, Any], Recorder],
) -> None:
    client, handler = served
    assert await post(client, event_body(), token=SECRET) == (200, "")
    assert await post(client, event_body(), token=SECRET) == (200, "")
    assert len(handler.events) == 1
