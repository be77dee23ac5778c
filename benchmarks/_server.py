"""A loopback API server for the client benchmark, run as its own process.

``python -m benchmarks._server`` serves ``GET /api/v1/app_users/{id}`` (the documented app user)
and ``GET /api/v1/projects`` (the 100-project page) on 127.0.0.1, prints ``PORT <n>`` and runs
until its standard input closes.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from ._data import app_user_bytes, page_bytes
from ._process import until_stdin_closes


def make_app() -> web.Application:
    """The app serving the documented app user and the 100-project page."""
    user, page = app_user_bytes(), page_bytes()

    async def get_user(request: web.Request) -> web.Response:
        return web.Response(body=user, content_type="application/json")

    async def list_projects(request: web.Request) -> web.Response:
        return web.Response(body=page, content_type="application/json")

    app = web.Application()
    app.router.add_get("/api/v1/app_users/{id}", get_user)
    app.router.add_get("/api/v1/projects", list_projects)
    return app


async def _serve() -> None:
    app = make_app()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = runner.addresses[0][1]
    print(f"PORT {port}", flush=True)
    await until_stdin_closes()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(_serve())
