"""A whole run captured at DEBUG (root logger and aiohttp.access): every request the adapter
sees, good and bad, and no secret in any log line, argument, extra field or traceback."""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

import aiohttp
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
from webhooks.aiohttp import add_webhook_route, protect_access_log

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
JSON_HEADERS = {"Content-Type": "application/json"}
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


# ---- malformed requests: aiohttp's parser quotes the raw request line or header -----------

BASIC = base64.b64encode(f"takeone:{PASSWORD}".encode())
MALFORMED = {
    "bad method": f"P@ST /takeone/webhooks?token={SECRET} HTTP/1.1\r\nHost: x\r\n\r\n",
    "bad version": f"POST /takeone/webhooks?token={SECRET} HTTP/9.9\r\nHost: x\r\n\r\n",
    "bad query byte": f"POST /takeone/webhooks?token={SECRET}\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
    "space in path": f"POST /takeone/hooks/{PATH_SECRET} x HTTP/1.1\r\nHost: x\r\n\r\n",
    "bad header byte": (
        f"POST /takeone/hooks/{PATH_SECRET} HTTP/1.1\r\nHost: x\r\nBad\x01Header: 1\r\n\r\n"
    ),
    "bad Authorization byte": (
        f"POST /takeone/basic HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {BASIC.decode()}\x00\r\n\r\n"
    ),
    "second request on a connection": (
        "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        f"P@ST /takeone/webhooks?token={OLD_SECRET} HTTP/1.1\r\nHost: x\r\n\r\n"
    ),
}


async def _send_raw(host: str, port: int, raw: bytes) -> bytes:
    """Write ``raw`` on a fresh loopback connection; the server's whole answer."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(raw)
        await writer.drain()
        return await reader.read(65536)
    finally:
        writer.close()


async def test_a_malformed_request_leaves_no_secret_in_any_log(
    aiohttp_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = await aiohttp_client(make_app(WebhookRouter()))
    answers = []
    async with asyncio.timeout(10):
        for raw in MALFORMED.values():
            answers.append(await _send_raw(client.host, client.port, raw.encode("latin-1")))
        await client.close()
    assert all(answer.startswith(b"HTTP/1.") and b" 400 " in answer for answer in answers)
    parser_errors = [r for r in caplog.records if r.name == "aiohttp.server" and r.exc_text]
    assert len(parser_errors) >= len(MALFORMED)
    assert all("details withheld" in r.exc_text for r in parser_errors)  # type: ignore[operator]
    logged = everything_logged(caplog.records)
    assert [secret for secret in SECRETS if secret in logged] == []


# ---- each app keeps its own rules, for as long as it runs --------------------------------


async def _ok(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def app_with(path: str, auth: Any) -> web.Application:
    """An app with one webhook route and a plain ``GET /search`` route."""
    app = web.Application()
    add_webhook_route(app, path, WebhookRouter(), auth=auth)
    app.router.add_get("/search", _ok)
    return app


def access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]


async def test_two_apps_in_one_process_each_keep_their_own_rules(
    aiohttp_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """While both run, neither app's secret is logged; once one stops, its rules go with it."""
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    filters_before = list(logging.getLogger("aiohttp.access").filters)
    a = await aiohttp_client(app_with("/a", QueryToken("token", SECRET)))
    b = await aiohttp_client(app_with("/b/{key}", PathToken(PATH_SECRET)))
    async with asyncio.timeout(10):
        await post(a, event_body(), path="/a", token=SECRET)
        async with a.get("/search", params={"token": "a-public"}):
            pass
        await post(b, event_body(), path=f"/b/{PATH_SECRET}", token=None)
        await a.close()
        await post(b, event_body(), path=f"/b/{PATH_SECRET}", token=None)
        async with b.get("/search", params={"token": "b-public"}):
            pass
        await b.close()
    lines = access_lines(caplog)
    assert any("/a?token=*** " in line for line in lines)
    assert not any("a-public" in line for line in lines)  # a's token parameter, anywhere in a
    assert any("/search?token=b-public " in line for line in lines)  # a's rules left with a
    assert sum("/b/*** " in line for line in lines) == 2  # before and after a stopped
    assert [secret for secret in SECRETS if secret in "\n".join(lines)] == []
    assert logging.getLogger("aiohttp.access").filters == filters_before


async def test_two_apps_set_up_then_started_together_log_no_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The usual order for two apps in one process: set both up, then start both."""
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    runners = [
        web.AppRunner(app_with("/a", QueryToken("token", SECRET))),
        web.AppRunner(app_with("/b/{key}", PathToken(PATH_SECRET))),
    ]
    async with asyncio.timeout(10):
        for runner in runners:
            await runner.setup()
        sites = [web.TCPSite(runner, "127.0.0.1", 0) for runner in runners]
        for site in sites:
            await site.start()
        try:
            ports = [runner.addresses[0][1] for runner in runners]
            async with aiohttp.ClientSession() as session:
                for url in (
                    f"http://127.0.0.1:{ports[0]}/a?token={SECRET}",
                    f"http://127.0.0.1:{ports[1]}/b/{PATH_SECRET}",
                ):
                    async with session.post(url, data=event_body(), headers=JSON_HEADERS):
                        pass
        finally:
            for runner in runners:
                await runner.cleanup()
    lines = access_lines(caplog)
    assert len(lines) == 2
    assert [secret for secret in SECRETS if secret in "\n".join(lines)] == []


async def test_an_app_and_its_sub_app_share_a_server_and_both_sets_of_rules(
    aiohttp_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    parent = app_with("/p", QueryToken("token", SECRET))
    parent.add_subapp("/sub", app_with("/hooks/{key}", PathToken(PATH_SECRET)))
    client = await aiohttp_client(parent)
    async with asyncio.timeout(10):
        await post(client, event_body(), path="/p", token=SECRET)
        await post(client, event_body(), path=f"/sub/hooks/{PATH_SECRET}", token=None)
        await client.close()
    lines = access_lines(caplog)
    assert any("/p?token=*** " in line for line in lines)
    assert any("/sub/hooks/*** " in line for line in lines)
    assert [secret for secret in SECRETS if secret in "\n".join(lines)] == []


async def test_a_runner_with_its_own_access_log_is_protected_too(
    aiohttp_server: Any, aiohttp_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    own = logging.getLogger("tests.webhooks.own_access_log")
    protect_access_log(own)
    protect_access_log(own)  # once is enough; twice does no harm
    caplog.set_level(logging.INFO, logger=own.name)
    app = web.Application()
    for path in ("/hooks", "/hooks-too"):
        add_webhook_route(
            app, path, WebhookRouter(), auth=QueryToken("token", SECRET), mode="ack_first"
        )
    client = await aiohttp_client(await aiohttp_server(app, access_log=own))
    async with asyncio.timeout(10):
        assert (await post(client, event_body(), path="/hooks", token=SECRET))[0] == 200
        assert (await post(client, event_body(), path="/hooks-too", token=SECRET))[0] == 200
        await client.close()
    lines = [r.getMessage() for r in caplog.records if r.name == own.name]
    assert len(lines) == 2
    assert all("?token=*** " in line for line in lines)
