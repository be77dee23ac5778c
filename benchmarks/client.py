"""Client: CPU per call of ours against what a user would write instead, in the same rounds.

A loopback aiohttp server in its own process serves the documented app user (small body) and the
100-project page. This process makes the same GETs four ways, taking turns in every round, each
with a pool of ``LIMIT`` connections: our client; hand-written aiohttp calls with pydantic v2
models equivalent to ours (``_peers``); an ``httpx.AsyncClient`` with the same models, as
generated SDKs are; raw aiohttp + ``orjson.loads`` (the floor, information). Before timing, each
peer's parsed values are checked equal to ours field by field (``_equal``). Budgets: small body
<= 1.15x aiohttp + pydantic, page <= 1.3x, every row <= 0.5x httpx + pydantic. The measuring
process and the server run with ``MALLOC_MMAP_THRESHOLD_=1048576`` (see ``_process.MALLOC_ENV``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import itertools
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
import orjson
import pydantic

import takeone_async
from takeone_async import TakeOneClient

from ._equal import check_equal
from ._peers import PydanticAppUser, PydanticPage
from ._process import MALLOC_ENV, started
from ._profile import workload_note
from ._report import Budget, Section, Table, script_main
from ._timing import fmt_ratio, fmt_seconds, median

__all__ = ["budgets_of", "equal_work", "open_calls", "run"]

CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
USER_ID = "5ea3bfa3-9e69-4d2a-b5a8-2b9e2f1e7c11"
LIMIT = 100
"""Connections each client may hold (our client's default ``max_connections``)."""
USER_AGENT = f"takeone-async-bench/{takeone_async.__version__}"

OURS, AIOHTTP, HTTPX, FLOOR = "ours", "aiohttp + pydantic", "httpx + pydantic", "floor"
VARIANTS = (OURS, AIOHTTP, HTTPX, FLOOR)
PEERS = {
    AIOHTTP: "hand-written aiohttp + pydantic v2",
    HTTPX: "`httpx.AsyncClient` + pydantic v2",
}
BODIES = ("small body", "page")
IN_FLIGHT = (1, 64)
BUDGETS = {"small body": 1.15, "page": 1.3}
"""Ours against hand-written aiohttp + pydantic, at most, per body."""
HTTPX_BUDGET = 0.5
"""Ours against httpx + pydantic, at most, for every body."""
BEFORE = (
    "Before this release's plain cattrs converter and sans-I/O core, 0.1 (measured by the "
    "benchmarks issue, independently): 1.06-1.16x hand-written aiohttp + pydantic for the small "
    "body and 0.42-0.66x for the page, 1 and 64 in flight, and 0.01-0.5x httpx + pydantic."
)
"""The figures of the version this release replaces, for comparison with the tables above."""
Call = Callable[[], Awaitable[Any]]
Results = dict[tuple[str, int, str], list[tuple[float, float]]]
"""(body, in flight, variant) -> (CPU seconds per call, calls per second) of each round."""


async def _batch(call: Call, count: int, concurrency: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of ``count`` calls with ``concurrency`` in flight."""
    counter = itertools.count()

    async def worker() -> None:
        while next(counter) < count:
            await call()

    cpu, wall = time.process_time(), time.perf_counter()
    async with asyncio.timeout(300):
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.process_time() - cpu, time.perf_counter() - wall


async def _calibrate(call: Call, concurrency: int, seconds: float) -> int:
    """Warm up (connections, model code), then how many calls take about ``seconds``: a
    multiple of ``concurrency``, at least two per worker."""
    least = max(2 * concurrency, 16)
    await _batch(call, least, concurrency)
    _, wall = await _batch(call, least, concurrency)
    count = max(least, int(seconds * least / max(wall, 1e-6)))
    return -(-count // concurrency) * concurrency


@dataclass
class _Clients:
    """The four ways to make each call, built on open sessions."""

    base: str
    floor: aiohttp.ClientSession
    session: aiohttp.ClientSession
    httpx: httpx.AsyncClient
    ours: TakeOneClient

    def calls(self) -> dict[tuple[str, str], Call]:
        user = f"/api/v1/app_users/{USER_ID}"
        page = "/api/v1/projects"
        return {
            ("small body", OURS): lambda: self.ours.app_users.get(USER_ID),
            ("page", OURS): lambda: self.ours.projects.list().first_page(),
            ("small body", AIOHTTP): lambda: self._aiohttp(user, PydanticAppUser),
            ("page", AIOHTTP): lambda: self._aiohttp(page, PydanticPage),
            ("small body", HTTPX): lambda: self._httpx(user, PydanticAppUser),
            ("page", HTTPX): lambda: self._httpx(page, PydanticPage),
            ("small body", FLOOR): lambda: self._floor(user),
            ("page", FLOOR): lambda: self._floor(page),
        }

    async def _aiohttp(self, path: str, model: type[pydantic.BaseModel]) -> Any:
        async with self.session.get(path) as response:
            response.raise_for_status()
            return model.model_validate_json(await response.read())

    async def _httpx(self, path: str, model: type[pydantic.BaseModel]) -> Any:
        response = await self.httpx.get(path)
        response.raise_for_status()
        return model.model_validate_json(response.content)

    async def _floor(self, path: str) -> Any:
        async with self.floor.get(self.base + path) as response:
            body = await response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path} -> {response.status}")
            return orjson.loads(body)


async def equal_work(calls: dict[tuple[str, str], Call]) -> int:
    """Check each peer parses the served bodies into our values; how many values compared."""
    compared = 0
    for body in BODIES:
        ours = await calls[body, OURS]()
        for peer in PEERS:
            compared += check_equal(f"{peer} ({body})", ours, await calls[body, peer]())
    return compared


@asynccontextmanager
async def open_calls(base: str) -> AsyncIterator[dict[tuple[str, str], Call]]:
    """Every (body, variant) call against the server at ``base``, on open sessions."""
    headers = {
        "Authorization": "Basic "
        + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode(),
        "User-Agent": USER_AGENT,
        "Accept": "application/json",
    }
    limits = httpx.Limits(max_connections=LIMIT, max_keepalive_connections=LIMIT)
    async with (
        aiohttp.ClientSession(
            headers=headers, connector=aiohttp.TCPConnector(limit=LIMIT)
        ) as floor,
        aiohttp.ClientSession(
            base,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=30, connect=10),
            connector=aiohttp.TCPConnector(limit=LIMIT),
        ) as session,
        httpx.AsyncClient(
            base_url=base, headers=headers, timeout=httpx.Timeout(30, connect=10), limits=limits
        ) as hx,
        TakeOneClient(CLIENT_ID, CLIENT_SECRET, base_url=base, max_connections=LIMIT) as ours,
    ):
        yield _Clients(base, floor, session, hx, ours).calls()


async def _measure(port: int, quick: bool) -> tuple[Results, int]:
    async with open_calls(f"http://127.0.0.1:{port}") as calls:
        compared = await equal_work(calls)
        rounds, seconds = (1, 0.02) if quick else (7, 0.25)
        cells = [(body, n, variant) for body in BODIES for n in IN_FLIGHT for variant in VARIANTS]
        counts = {
            (body, n, v): await _calibrate(calls[body, v], n, seconds) for body, n, v in cells
        }
        results: Results = {}
        for round_number in range(rounds):
            shift = round_number % len(VARIANTS)  # each variant takes each place in turn
            turn = VARIANTS[shift:] + VARIANTS[:shift]
            for body, n, variant in [(b, n, v) for b in BODIES for n in IN_FLIGHT for v in turn]:
                count = counts[body, n, variant]
                cpu, wall = await _batch(calls[body, variant], count, n)
                results.setdefault((body, n, variant), []).append((cpu / count, count / wall))
        return results, compared


def _cpu(results: Results, body: str, n: int, variant: str) -> float:
    return median([r[0] for r in results[body, n, variant]])


def _rps(results: Results, body: str, n: int, variant: str) -> float:
    return median([r[1] for r in results[body, n, variant]])


def budgets_of(results: Results) -> list[Budget]:
    """The client's budgets: ours against each peer, per body and number in flight."""
    budgets = []
    for body in BODIES:
        for n in IN_FLIGHT:
            ours = _cpu(results, body, n, OURS)
            item = f"client CPU per call, {body}, {n} in flight"
            for peer, label in PEERS.items():
                limit = HTTPX_BUDGET if peer == HTTPX else BUDGETS[body]
                budgets.append(Budget(item, label, ours / _cpu(results, body, n, peer), limit))
    return budgets


def _section(results: Results, compared: int) -> Section:
    section = Section(
        "Client",
        "CPU of the client process per call against a loopback aiohttp server in its own "
        "process, medians of interleaved rounds, the same GET made four ways with a pool of "
        f"{LIMIT} connections each: our client; hand-written aiohttp "
        "(`session.get`, `raise_for_status`, `Model.model_validate_json(await response.read())`) "
        "with pydantic v2 models equivalent to ours; `httpx.AsyncClient` (`get`, "
        "`raise_for_status`, `model_validate_json(response.content)`) with the same models, as "
        "generated SDKs are; and raw aiohttp + `orjson.loads`, the floor (information).",
    )
    cpu = Table(
        [
            "Body",
            "In flight",
            "Ours",
            AIOHTTP,
            HTTPX,
            "Floor",
            f"Ours / {AIOHTTP}",
            f"Ours / {HTTPX}",
            "Ours / floor",
        ],
        caption="**CPU per call** (client process)",
    )
    rps = Table(["Body", "In flight", "Ours", AIOHTTP, HTTPX, "Floor"], caption="**Calls/s**")
    for body in BODIES:
        for n in IN_FLIGHT:
            times = {v: _cpu(results, body, n, v) for v in VARIANTS}
            cpu.rows.append(
                [body, str(n), *(fmt_seconds(times[v]) for v in VARIANTS)]
                + [fmt_ratio(times[OURS] / times[v]) for v in (AIOHTTP, HTTPX, FLOOR)]
            )
            rps.rows.append(
                [body, str(n), *(f"{_rps(results, body, n, v):,.0f}" for v in VARIANTS)]
            )
    section.tables += [cpu, rps]
    section.budgets += budgets_of(results)
    section.notes.append(
        f"Equal work, checked in this run: on the bodies served, each peer's parsed values equal "
        f"ours field by field ({compared:,} values compared), known enum values as enum members."
    )
    section.notes.append(
        "Our client runs with its defaults (retries on, per-attempt timeouts); the peers with a "
        "30 s total and 10 s connect timeout. Client and server run with "
        "`MALLOC_MMAP_THRESHOLD_=1048576`: without it glibc's malloc switches strategy on "
        "repeated ~124 KB bodies at high concurrency and the page figures swing between runs."
    )
    section.notes.append(BEFORE)
    return section


def _child(quick: bool, freeze: bool) -> None:
    if freeze:
        gc.freeze()  # what an application may do once started: the collector skips all before
    with started("-m", "benchmarks._server", env=MALLOC_ENV) as port:
        results, compared = asyncio.run(_measure(port, quick))
    print(_section(results, compared).to_json())


def _measure_in_child(quick: bool, freeze: bool = False) -> Section:
    args = [sys.executable, "-m", "benchmarks.client", "--child"]
    args += (["--quick"] if quick else []) + (["--gc-freeze"] if freeze else [])
    out = subprocess.run(
        args, capture_output=True, text=True, timeout=900, env={**os.environ, **MALLOC_ENV}
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
        figures = "; ".join(
            f"{b.item.removeprefix('client CPU per call, ')} {b.measured:.2f}x"
            for b in frozen.budgets
            if b.peer == PEERS[AIOHTTP]
        )
        section.notes.append(
            "The same calls in processes that called `gc.freeze()` after their imports (the "
            "cyclic collector then skips every object created before; an application's "
            f"choice), ours against aiohttp + pydantic: {figures}."
        )
        _explain(section)
    return section


WORKLOADS = {"small body": "client-small", "page": "client-page"}


def _explain(section: Section) -> None:
    """For each body with a budget missed: a profile of our calls at 64 in flight."""
    missed = [b for b in section.budgets if not b.met]
    for body in BODIES:
        which = [b for b in missed if f", {body}," in b.item]
        if which:
            names = "; ".join(f"{b.item} vs {b.peer} ({b.today})" for b in which)
            section.notes.append(f"Missed: {names}.")
            section.notes.append(workload_note(f"our {body} calls, 64 in flight", WORKLOADS[body]))


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
