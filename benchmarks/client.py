"""Client overhead: our calls against raw aiohttp doing the same GET plus ``orjson.loads``.

A loopback aiohttp server in its own process serves the documented app user (small body) and the
100-project page; this process measures its own CPU per request, sequentially and with 64
requests in flight. Goals: small body <= 1.15x raw; page <= 1.5x raw. The measuring process and
the server run with ``MALLOC_MMAP_THRESHOLD_=1048576`` (see ``_process.MALLOC_ENV``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson

from takeone_async import TakeOneClient
from takeone_async._http import USER_AGENT, basic_auth

from ._process import MALLOC_ENV, started
from ._profile import workload_note
from ._report import Goal, Section, Table, script_main
from ._timing import fmt_ratio, fmt_seconds, median

__all__ = ["run"]

CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
USER_ID = "5ea3bfa3-9e69-4d2a-b5a8-2b9e2f1e7c11"
GOALS = {"small body": 1.15, "page": 1.5}
Call = Callable[[], Awaitable[Any]]


async def _batch(call: Call, count: int, concurrency: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of ``count`` calls with ``concurrency`` in flight."""
    counter = itertools.count()

    async def worker() -> None:
        while next(counter) < count:
            await call()

    cpu, wall = time.process_time(), time.perf_counter()
    async with asyncio.timeout(120):
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.process_time() - cpu, time.perf_counter() - wall


async def _measure(port: int, quick: bool) -> dict[tuple[str, int, str], list[tuple[float, float]]]:
    base = f"http://127.0.0.1:{port}"
    headers = {
        "Authorization": basic_auth(CLIENT_ID, CLIENT_SECRET),
        "User-Agent": USER_AGENT,
        "Accept": "application/json",
    }
    rounds = 1 if quick else 7
    counts = {
        ("small body", 1): 100 if quick else 1500,
        ("small body", 64): 128 if quick else 3000,
        ("page", 1): 10 if quick else 150,
        ("page", 64): 64 if quick else 384,
    }
    connector = aiohttp.TCPConnector(limit=100)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        TakeOneClient(CLIENT_ID, CLIENT_SECRET, base_url=base, max_retries=0) as client,
    ):

        async def raw(url: str) -> Any:
            async with session.get(url, headers=headers) as response:
                body = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"GET {url} -> {response.status}")
                return orjson.loads(body)

        calls: dict[tuple[str, str], Call] = {
            ("small body", "raw"): lambda: raw(f"{base}/api/v1/app_users/{USER_ID}"),
            ("small body", "ours"): lambda: client.app_users.get(USER_ID),
            ("page", "raw"): lambda: raw(f"{base}/api/v1/projects"),
            ("page", "ours"): lambda: client.projects.list().first_page(),
        }
        for (body, concurrency), count in counts.items():  # warm-up: connections, converter
            for variant in ("raw", "ours"):
                await _batch(calls[body, variant], min(count, 64), concurrency)
        results: dict[tuple[str, int, str], list[tuple[float, float]]] = {}
        for _ in range(rounds):
            for (body, concurrency), count in counts.items():
                for variant in ("raw", "ours"):
                    cpu, wall = await _batch(calls[body, variant], count, concurrency)
                    results.setdefault((body, concurrency, variant), []).append(
                        (cpu / count, count / wall)
                    )
        return results


def _section(results: dict[tuple[str, int, str], list[tuple[float, float]]]) -> Section:
    section = Section(
        "Client overhead",
        "CPU of the client process per request against a loopback aiohttp server in its own "
        "process: our call against raw aiohttp (`session.get`, `read`, `orjson.loads`), medians "
        "of interleaved rounds. Goals: small body <= 1.15x raw, page <= 1.5x raw.",
    )
    table = Table(
        [
            "Body",
            "In flight",
            "Raw CPU/request",
            "Ours CPU/request",
            "Ratio",
            "Raw req/s",
            "Ours req/s",
        ]
    )
    for body in GOALS:
        for concurrency in (1, 64):
            raw, ours = results[body, concurrency, "raw"], results[body, concurrency, "ours"]
            raw_cpu, ours_cpu = median([r[0] for r in raw]), median([r[0] for r in ours])
            table.rows.append(
                [
                    body,
                    str(concurrency),
                    fmt_seconds(raw_cpu),
                    fmt_seconds(ours_cpu),
                    fmt_ratio(ours_cpu / raw_cpu),
                    f"{median([r[1] for r in raw]):,.0f}",
                    f"{median([r[1] for r in ours]):,.0f}",
                ]
            )
            section.goals.append(
                Goal(
                    f"{body}, {concurrency} in flight, ours vs raw", ours_cpu / raw_cpu, GOALS[body]
                )
            )
    section.tables.append(table)
    section.notes.append(
        "Client and server run with `MALLOC_MMAP_THRESHOLD_=1048576`: without it glibc's malloc "
        "switches strategy on repeated ~124 KB bodies at high concurrency and the page figures "
        "swing between runs."
    )
    return section


def _child(quick: bool, freeze: bool) -> None:
    if freeze:
        gc.freeze()  # what an application may do once started: the collector skips all before
    with started("-m", "benchmarks._server", env=MALLOC_ENV) as port:
        results = asyncio.run(_measure(port, quick))
    print(_section(results).to_json())


def _measure_in_child(quick: bool, freeze: bool = False) -> Section:
    args = [sys.executable, "-m", "benchmarks.client", "--child"]
    args += (["--quick"] if quick else []) + (["--gc-freeze"] if freeze else [])
    out = subprocess.run(
        args, capture_output=True, text=True, timeout=600, env={**os.environ, **MALLOC_ENV}
    )
    if out.returncode:
        raise RuntimeError(f"the client benchmark failed:\n{out.stderr[-3000:]}")
    return Section.from_json(out.stdout)


def run(quick: bool) -> Section:
    """Measure in a child process started with the malloc setting; then, once more, with
    ``gc.freeze()`` as an application may call it, to show the collector's share."""
    section = _measure_in_child(quick)
    if not quick:
        frozen = _measure_in_child(quick, freeze=True)
        ratios = {goal.item: f"{goal.measured:.2f}x" for goal in frozen.goals}
        figures = ", ".join(
            f"{body} {ratios[f'{body}, 1 in flight, ours vs raw']} / "
            f"{ratios[f'{body}, 64 in flight, ours vs raw']}"
            for body in GOALS
        )
        section.notes.append(
            "The same calls in a process that called `gc.freeze()` after its imports (the "
            "cyclic collector then skips every object created before; an application's "
            f"choice, not the SDK's): {figures} (1 / 64 in flight). The difference from the table above is the "
            "collector's share: at 64 in flight each call's new objects make it collect more "
            "often, and each full collection walks the objects of every request in flight."
        )
        _explain(section)
    return section


def _explain(section: Section) -> None:
    """For each body whose goal is not met: what would close it, and a profile."""
    missed = {goal.item.split(",")[0] for goal in section.goals if not goal.met}
    if "small body" in missed:
        section.notes.append(
            "Small body: the raw call is aiohttp plus 1 µs of orjson, so every microsecond of "
            "SDK work shows. Already done: routes, URLs, default timeouts and the retry policy "
            "prepared once per client, options checked only when given, one request-loop "
            "coroutine with the attempt inlined, headers kept as a `CIMultiDict`, log "
            "arguments built only when DEBUG is on. One in flight meets the goal; at 64 in "
            "flight the gap is wider, and part of it is the cyclic garbage collector (compare "
            "the `gc.freeze()` figures above; with the collector off, one run measured 1.17x); "
            "the profile shows no hot spot of ours, most samples being asyncio's and aiohttp's, "
            "shared with the raw call. What "
            "would close it: fewer collector-tracked objects per call (each coroutine layer "
            "between the user's `await` and aiohttp is one, and keeps the request's objects "
            "alive longer), or, in the application, `gc.freeze()` after start-up."
        )
        section.notes.append(workload_note("small-body calls, 64 in flight", "client-small"))
    if "page" in missed:
        section.notes.append(
            "Page: the raw call's CPU is aiohttp reading 124 KB plus `orjson.loads`; ours adds "
            "the converter's structuring of 100 projects (about 220 µs, see the Decode "
            "section) and the garbage collector's passes over the objects it creates (these "
            "figures keep the collector on, as an application does; timed with `gc.callbacks` "
            "in one run at 64 in flight, collections took about 170 µs of our 860 µs per call, "
            "against 30 µs of the raw call's 430 µs, mostly full collections). Already done: one "
            "generated structuring function per model, one shared read-only empty `extra` "
            "(half the objects per page), orjson. Structuring alone exceeds the 0.5x headroom. "
            "What would close it: building nested publishing and preview info on first access "
            "(declined: a shape error would then surface at attribute access, not at the call), "
            "or compiled structuring. An application can call `gc.freeze()` after start-up so "
            "the collector no longer walks its long-lived objects on every pass."
        )
        section.notes.append(workload_note("page calls, 64 in flight", "client-page"))


if __name__ == "__main__":
    if "--child" in sys.argv:
        parser = argparse.ArgumentParser()
        parser.add_argument("--child", action="store_true")
        parser.add_argument("--quick", action="store_true")
        parser.add_argument("--gc-freeze", action="store_true")
        options = parser.parse_args()
        _child(options.quick, options.gc_freeze)
    else:
        script_main(run)
