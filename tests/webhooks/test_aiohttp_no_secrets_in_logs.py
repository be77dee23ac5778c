"""A whole run captured at DEBUG (root logger and aiohttp.access): every request the adapter
sees, good and bad, and no secret in any log line, argument, extra field or traceback."""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

import pytest
from aiohttp import web

from tests.webhooks.conftest import (
    OLD_SECRET,
    SECRET,
    Recorder,
    basic_header,
    event_body,
    post,
    signed_headers,
)
from webhooks import (
    BasicAuth,
    PathToken,
    QueryToken,
    StandardWebhooksSignature,
    WebhookRouter,
)
from webhooks.aiohttp import add_webhook_route

PATH_SECRET = "path-s3cret-do-not-log-55d0"
PASSWORD = "basic-pa55word-do-not-log"
SIGNING = "whsec_" + base64.b64encode(b"signing-key-do-not-log-32bytes!!").decode()
SECRETS = [
    SECRET,
    OLD_SECRET,
    PATH_SECRET,
    PASSWORD,
    SIGNING.removeprefix("whsec_"),
    base64.b64encode(f"takeone:{PASSWORD}".encode()).decode(),
]
_FORMAT = logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s")


def everything_logged(records: list[logging.LogRecord]) -> str:
    """Each record as a formatter would print it (traceback included) plus all its fields."""
    return "\n".join(_FORMAT.format(record) + " " + repr(vars(record)) for record in records)


def make_app(router: WebhookRouter) -> web.Application:
    app = web.Application()
    add_webhook_route(
        app,
        "/takeone/webhooks",
        router,
        auth=[QueryToken("token", SECRET), QueryToken("token", OLD_SECRET)],
    )
    add_webhook_route(
        app, "/takeone/hooks/{token}", router, auth=PathToken(PATH_SECRET), mode="ack_first"
    )
    add_webhook_route(app, "/takeone/basic", router, auth=BasicAuth("takeone", PASSWORD))
    add_webhook_route(app, "/takeone/signed", router, auth=StandardWebhooksSignature(SIGNING))
    return app


async def test_no_secret_reaches_any_log_line(
    aiohttp_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="aiohttp.access")
    router = WebhookRouter()
    router.on("project_status_change")(Recorder("failing", fail=RuntimeError("handler broke")))
    client = await aiohttp_client(make_app(router))
    body = event_body()
    basic = basic_header("takeone", PASSWORD)
    wrong_basic = basic_header("takeone", OLD_SECRET)
    signed = signed_headers([SIGNING], body)

    statuses = [
        (await post(client, body, token=SECRET))[0],
        (await post(client, body, token=OLD_SECRET))[0],
        (await post(client, event_body("project_status_change"), token=SECRET))[0],
        (await post(client, b"{nope", token=SECRET))[0],
        (await post(client, body, token=SECRET, content_type="text/plain"))[0],
        (await post(client, body, path="/takeone/webhook", token=SECRET))[0],
        (await post(client, body, path=f"/takeone/hooks/{PATH_SECRET}", token=None))[0],
        (await post(client, body, path=f"/takeone/hooks/{OLD_SECRET}", token=None))[0],
        (await post(client, body, path=f"/takeone/hooks/{PATH_SECRET}/x", token=None))[0],
        (await post(client, body, path="/takeone/basic", token=None, headers=basic))[0],
        (await post(client, body, path="/takeone/basic", token=None, headers=wrong_basic))[0],
        (await post(client, body, path="/takeone/signed", token=None, headers=signed))[0],
    ]
    async with client.get("/takeone/webhooks", params={"token": SECRET}) as resp:
        statuses.append(resp.status)
    async with asyncio.timeout(10):
        await client.close()

    assert statuses == [200, 200, 500, 400, 415, 404, 200, 401, 404, 200, 401, 200, 405]
    access = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(access) == len(statuses)
    assert any("/takeone/webhooks?token=*** " in line for line in access)
    assert any("/takeone/hooks/*** " in line for line in access)
    assert any(r.name == "webhooks.router" and r.exc_info for r in caplog.records)
    logged = everything_logged(caplog.records)
    leaked = [secret for secret in SECRETS if secret in logged]
    assert leaked == []
