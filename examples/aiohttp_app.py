"""A complete service receiving TakeOne webhooks: it keeps each project's published stream URL
and serves it back on ``GET /videos/{project_id}``.

Run it with a long random token (``python -c "import secrets; print(secrets.token_urlsafe(32))"``)
and give TakeOne the URL ``https://<your host>/takeone/webhooks?token=<that token>``::

    WEBHOOK_TOKEN=... python examples/aiohttp_app.py    # listens on port 8080 (or $PORT)
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import timedelta

from aiohttp import web

from webhooks import (
    Deduplicate,
    DropStale,
    ProjectPublished,
    ProjectUnpublished,
    QueryToken,
    WebhookEvent,
    WebhookRouter,
)
from webhooks.aiohttp import add_webhook_route

log = logging.getLogger("example")

streams: dict[str, str] = {}  # project id -> HLS manifest URL of its published video

router = WebhookRouter(filters=[Deduplicate(window=timedelta(hours=1)), DropStale()])


@router.on(ProjectPublished)
async def store_stream(event: ProjectPublished) -> None:
    url = event.project.stream_url("landscape") or event.project.stream_url("portrait")
    if url is not None:
        streams[event.project.id] = url


@router.on(ProjectUnpublished)
async def forget_stream(event: ProjectUnpublished) -> None:
    streams.pop(event.project.id, None)


@router.on_any
async def audit(event: WebhookEvent) -> None:
    log.info("received %s", event.describe())


@router.on_error
async def report(event: WebhookEvent, exc: BaseException) -> None:
    log.error("could not handle %s: %r", event.describe(), exc)


async def video(request: web.Request) -> web.Response:
    project_id = request.match_info["project_id"]
    url = streams.get(project_id)
    if url is None:
        raise web.HTTPNotFound(text=f"no published video for project {project_id}")
    return web.json_response({"project_id": project_id, "src": url})


def make_app(token: str) -> web.Application:
    app = web.Application()
    add_webhook_route(app, "/takeone/webhooks", router, auth=QueryToken("token", token))
    app.router.add_get("/videos/{project_id}", video)
    return app


def main() -> None:
    token = os.environ.get("WEBHOOK_TOKEN")
    if not token:
        sys.exit("set WEBHOOK_TOKEN to the secret in the webhook URL you gave TakeOne")
    logging.basicConfig(level=logging.INFO)
    web.run_app(make_app(token), port=int(os.environ.get("PORT", "8080")))


if __name__ == "__main__":
    main()
