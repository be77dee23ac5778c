"""Scale: paging through many projects in constant memory; many calls within the pool limit.

The sandbox (``takeone_async.sandbox``) runs in its own process holding 100,000 projects; this
process pages through all of them with ``projects.list()`` and records how much its peak RSS
grew, then makes 10,000 ``app_users.get_or_create`` calls (distinct external ids), 64 at a time,
through a client whose pool allows 32 connections, counting the connections opened.
"""

from __future__ import annotations

import asyncio
import itertools
import resource
import time
from typing import Any

import aiohttp

from takeone_async import TakeOneClient
from takeone_async.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

from ._data import page_bytes
from ._process import MALLOC_ENV, started
from ._report import Section, Table, script_main

__all__ = ["run"]

POOL_LIMIT = 32
CONCURRENCY = 64
FEW_PAGES = 10


def _peak_rss() -> int:
    """Peak resident set size of this process so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


async def _page_through(base_url: str) -> dict[str, Any]:
    async with TakeOneClient(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, base_url=base_url) as client:
        first = await client.projects.list().first_page()  # warm-up: session, converter
        before = _peak_rss()
        started_at = time.perf_counter()
        seen = pages = 0
        async with asyncio.timeout(600):
            async for page in client.projects.list().pages():
                pages += 1
                seen += len(page.results)
        return {
            "total": first.count,
            "seen": seen,
            "pages": pages,
            "growth": _peak_rss() - before,
            "seconds": time.perf_counter() - started_at,
        }


async def _get_or_create(base_url: str, calls: int) -> dict[str, Any]:
    opened = 0

    async def on_create(*_: Any) -> None:
        nonlocal opened
        opened += 1

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_create)
    counter = itertools.count()
    async with TakeOneClient(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        base_url=base_url,
        max_connections=POOL_LIMIT,
        trace_configs=[trace],
    ) as client:

        async def worker() -> None:
            while (n := next(counter)) < calls:
                user = await client.app_users.get_or_create(
                    external_id=f"bench-{n}",
                    given_name="Ada",
                    family_name="L",
                    email_address=f"ada{n}@example.com",
                )
                assert user.external_id == f"bench-{n}"

        started_at = time.perf_counter()
        async with asyncio.timeout(600):
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return {"calls": calls, "opened": opened, "seconds": time.perf_counter() - started_at}


def run(quick: bool) -> Section:
    projects, calls = (5_000, 500) if quick else (100_000, 10_000)
    with started(
        "-m", "benchmarks._sandbox_server", "--projects", str(projects), env=MALLOC_ENV
    ) as port:
        base_url = f"http://127.0.0.1:{port}"
        paging = asyncio.run(_page_through(base_url))
        pool = asyncio.run(_get_or_create(base_url, calls))
    page_kb = len(page_bytes()) / 1024
    growth_mb = paging["growth"] / 2**20
    section = Section(
        "Scale",
        f"Paging through {projects:,} projects from the sandbox (pages of 100), and "
        f"{calls:,} `get_or_create` calls {CONCURRENCY} at a time through a pool of "
        f"{POOL_LIMIT} connections. Goals: peak RSS grows by no more than a few pages; no more "
        "connections than the pool limit.",
    )
    table = Table(["Measure", "Figure", "Goal", "Verdict"])
    table.rows.append(
        [
            "projects seen / pages",
            f"{paging['seen']:,} / {paging['pages']:,} in {paging['seconds']:.1f} s",
            f"{paging['total']:,}",
            "met" if paging["seen"] == paging["total"] else "**not met**",
        ]
    )
    pages_grown = paging["growth"] / 1024 / page_kb
    table.rows.append(
        [
            "peak RSS growth while paging",
            f"{growth_mb:.1f} MiB (= {pages_grown:.1f} page bodies of {page_kb:.0f} KiB)",
            f"<= {FEW_PAGES} page bodies",
            "met" if pages_grown <= FEW_PAGES else "**not met**",
        ]
    )
    table.rows.append(
        [
            f"connections opened by {calls:,} `get_or_create`",
            f"{pool['opened']} for {pool['calls']:,} calls in {pool['seconds']:.1f} s",
            f"<= {POOL_LIMIT}",
            "met" if pool["opened"] <= POOL_LIMIT else "**not met**",
        ]
    )
    section.tables.append(table)
    section.notes.append(
        f'"A few pages" is taken as {FEW_PAGES} page bodies: the client holds the page being '
        "read and the one being decoded (each decoded page is a few times its JSON), never the "
        "projects already seen; a leak would grow with the 1,000 pages read."
    )
    return section


if __name__ == "__main__":
    script_main(run)
