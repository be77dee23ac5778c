"""A webhook receiver for the receiver benchmark, run as its own single-core process.

``python -m benchmarks._receiver_server VARIANT [--sqlite PATH] [--redis URL]`` serves
``POST /webhooks`` on 127.0.0.1, prints ``PORT <n>`` and runs until its standard input closes.
VARIANT: ``bare`` (read, ``json.loads``, 204), ``route`` (``add_webhook_route``: token check,
``parse_event``, dispatch to a no-op handler), ``sqlite`` / ``sqlite-normal`` / ``redis`` (the
route storing each event in that inbox before answering; ``sqlite-normal`` with
``synchronous="NORMAL"``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from contextlib import AsyncExitStack
from typing import Any

from aiohttp import web

from webhooks import ProjectPublished, QueryToken, WebhookRouter
from webhooks.aiohttp import add_webhook_route

from ._process import until_stdin_closes

TOKEN_NAME, TOKEN = "token", "bench-token-0123456789abcdef"
PATH = "/webhooks"


async def _bare(request: web.Request) -> web.Response:
    json.loads(await request.read())
    return web.Response(status=204)


async def _app(variant: str, stack: AsyncExitStack, args: argparse.Namespace) -> web.Application:
    app = web.Application()
    if variant == "bare":
        app.router.add_post(PATH, _bare)
        return app
    auth = QueryToken(TOKEN_NAME, TOKEN)
    inbox: Any = None
    if variant.startswith("sqlite"):
        from webhooks.inbox import SQLiteInbox

        normal = variant == "sqlite-normal"
        sqlite = SQLiteInbox(args.sqlite, synchronous="NORMAL" if normal else "FULL")
        inbox = await stack.enter_async_context(sqlite)
    elif variant == "redis":
        from webhooks.inbox import RedisStreamInbox

        inbox = await stack.enter_async_context(RedisStreamInbox(args.redis))
    router = WebhookRouter()

    @router.on(ProjectPublished)
    async def noop(event: ProjectPublished) -> None:
        return None

    add_webhook_route(app, PATH, None if inbox else router, auth=auth, inbox=inbox)
    return app


async def _serve(args: argparse.Namespace) -> None:
    async with AsyncExitStack() as stack:
        runner = web.AppRunner(await _app(args.variant, stack, args), access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        print(f"PORT {runner.addresses[0][1]}", flush=True)
        await until_stdin_closes()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("variant", choices=["bare", "route", "sqlite", "sqlite-normal", "redis"])
    parser.add_argument("--sqlite")
    parser.add_argument("--redis")
    asyncio.run(_serve(parser.parse_args()))
