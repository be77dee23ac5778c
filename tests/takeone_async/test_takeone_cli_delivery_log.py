"""``takeone sandbox`` as a real process says on stderr how each webhook delivery went: the status,
or the connection error, with the URL's path shown and its secret masked."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from takeone_async import TakeOneClient, _http
from takeone_async.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from tests.takeone_async.sandbox.conftest import make_world, start_receiver
from tests.takeone_async.test_takeone_cli import (
    SCRIPT,
    TIMEOUT,
    complete_recording,
    free_port,
    next_line,
    spawn,
)

pytestmark = pytest.mark.slow
TOKEN = "s3cret-token"


async def error_lines_until(
    process: asyncio.subprocess.Process, *wanted: Callable[[str], bool]
) -> list[str]:
    """stderr lines until each of ``wanted`` matched one (at most 12 lines)."""
    assert process.stderr is not None
    lines: list[str] = []
    while len(lines) < 12 and not all(any(w(line) for line in lines) for w in wanted):
        line = await asyncio.wait_for(process.stderr.readline(), TIMEOUT)
        lines.append(line.decode().rstrip("\n"))
    return lines


async def test_each_delivery_attempt_is_one_stderr_line_and_the_log_shows_the_path(
    aiohttp_server: Callable[..., Any],
) -> None:
    up = f"{(await start_receiver(aiohttp_server)).url}?token={TOKEN}"
    down_port = free_port()
    down = f"http://127.0.0.1:{down_port}/hooks?token={TOKEN}"
    up_shown = up.replace(TOKEN, "***")
    down_shown = f"http://127.0.0.1:{down_port}/hooks?token=***"

    def delivered(line: str) -> bool:
        return line.endswith(
            f" sandbox: project_status_change -> {up_shown}: HTTP 204 (attempt 1/5)"
        )

    def refused(line: str) -> bool:
        return (
            f" sandbox: project_status_change -> {down_shown}: ClientConnectorError: "
            f"Cannot connect to host 127.0.0.1:{down_port}" in line
        ) and line.endswith("(attempt 1/5, retrying)")

    argv = [str(SCRIPT), "sandbox", "--port", "0", "--webhook-url", up, "--webhook-url", down]
    process = await spawn(argv)
    try:
        url = (await next_line(process)).removeprefix("listening on ")
        async with TakeOneClient(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, base_url=url) as client:
            project_id = (await make_world(client)).project.id
        await complete_recording(url, project_id)
        lines = await error_lines_until(process, delivered, refused)
        authorization = _http.basic_auth(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{url}/_sandbox/deliveries", headers={"Authorization": authorization}
            ) as answer,
        ):
            log = await answer.json()
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), TIMEOUT) == 0
        assert process.stderr is not None
        rest = (await asyncio.wait_for(process.stderr.read(), TIMEOUT)).decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert {result["url"] for result in log["results"]} == {up_shown, down_shown}
    assert sum(map(delivered, lines)) >= 1, lines
    assert sum(map(refused, lines)) >= 1, lines
    assert all(line[:9].count(":") == 2 for line in lines), lines  # HH:MM:SS first
    assert TOKEN not in "".join(lines) + rest
    assert "Traceback" not in rest
