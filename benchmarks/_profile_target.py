"""Workloads to profile, each run for a given number of seconds in a process of its own.

``python -m benchmarks._profile_target NAME SECONDS`` with NAME one of ``decode-page``
(``json.loads`` + converter), ``parse-event`` (``webhooks.parse_event``), ``client-small`` and
``client-page`` (our client against the loopback server, 64 requests in flight).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from takeone_async import TakeOneClient
from takeone_async.converter import structure
from takeone_async.models import Page, Project

from ._data import event_bytes, page_bytes
from ._process import MALLOC_ENV, started


def _loop(fn: Callable[[], object], seconds: float) -> None:
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        for _ in range(20):
            fn()


async def _client(what: str, port: int, seconds: float) -> None:
    async with TakeOneClient("bench", "secret", base_url=f"http://127.0.0.1:{port}") as client:
        call: Callable[[], Awaitable[Any]] = (
            (lambda: client.app_users.get("5ea3bfa3"))
            if what == "client-small"
            else (lambda: client.projects.list().first_page())
        )
        stop = time.perf_counter() + seconds
        counter = itertools.count()

        async def worker() -> None:
            while time.perf_counter() < stop and next(counter) < 10**7:
                await call()

        async with asyncio.timeout(seconds + 30):
            await asyncio.gather(*(worker() for _ in range(64)))


def main(name: str, seconds: float) -> None:
    if name == "decode-page":
        body = page_bytes()
        _loop(lambda: structure(json.loads(body), Page[Project]), seconds)
    elif name == "parse-event":
        from webhooks import parse_event

        event = event_bytes()
        _loop(lambda: parse_event(event), seconds)
    elif name in ("client-small", "client-page"):
        with started("-m", "benchmarks._server", env=MALLOC_ENV) as port:
            asyncio.run(_client(name, port, seconds))
    else:
        raise SystemExit(f"unknown workload {name!r}")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
