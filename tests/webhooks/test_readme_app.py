"""The README's aiohttp route example, verbatim, then served: a published event stores the
stream URL; a wrong token stores nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from webhooks import ProjectPublished, QueryToken, WebhookRouter
from webhooks.aiohttp import add_webhook_route

streams: dict[str, str] = {}  # project id -> HLS URL of its published video
router = WebhookRouter()


@router.on(ProjectPublished)
async def store_stream(event: ProjectPublished) -> None:
    url = event.project.stream_url("landscape")
    if url is not None:
        streams[event.project.id] = url


def make_app(token: str) -> web.Application:
    app = web.Application()
    add_webhook_route(app, "/takeone/webhooks", router, auth=QueryToken("token", token))
    return app


# ---- the block above, served ------------------------------------------------------------

from tests.webhooks.conftest import PROJECT_ID, event_body  # noqa: E402

Client = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


async def test_the_example_app_keeps_the_published_stream(aiohttp_client: Client) -> None:
    streams.clear()
    client = await aiohttp_client(make_app("s3cret"))
    headers = {"Content-Type": "application/json"}
    refused = await client.post("/takeone/webhooks?token=nope", data=event_body(), headers=headers)
    assert (refused.status, streams) == (401, {})
    stored = await client.post("/takeone/webhooks?token=s3cret", data=event_body(), headers=headers)
    assert stored.status == 200
    assert list(streams) == [PROJECT_ID]
    assert streams[PROJECT_ID].endswith(".m3u8")
