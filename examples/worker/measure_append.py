"""How fast each inbox stores deliveries on this machine: appends/s and CPU per append, with
1 and 64 appends in flight (no HTTP; the events are parsed beforehand). Measures, asserts
nothing::

    python examples/worker/measure_append.py --count 5000 [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from webhooks import WebhookEvent, parse_event
from webhooks.inbox import Inbox, MemoryInbox, RedisStreamInbox, SQLiteInbox


def events(count: int) -> list[WebhookEvent]:
    """``count`` distinct ``project_status_change`` events over ``count / 10`` projects."""
    run = uuid.uuid4().hex[:8]
    out = []
    for i in range(count):
        body = {
            "type": "project_status_change",
            "timestamp": 1714493662 + i,
            "project": {
                "id": f"{run}-p{i // 10}",
                "state": "completed",
                "publishing_status": "published",
                "modified_date_time": f"2024-05-01T00:00:{i % 60:02d}.{i:06d}Z",
            },
        }
        out.append(parse_event(json.dumps(body).encode()))
    return out


async def measure(inbox: Inbox, batch: list[WebhookEvent], in_flight: int) -> tuple[float, float]:
    """Appends/s (wall clock) and CPU µs per append of this process (its threads included)."""
    gate = asyncio.Semaphore(in_flight)

    async def one(event: WebhookEvent) -> None:
        async with gate:
            await inbox.append(event)

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(e) for e in batch))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(batch) / wall, cpu / len(batch) * 1e6


async def main(count: int, redis_url: str | None) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="inbox-append-"))
    backends: list[tuple[str, Callable[[], Any]]] = [
        ("MemoryInbox", MemoryInbox),
        ("SQLiteInbox synchronous=FULL", lambda: SQLiteInbox(workdir / f"{uuid.uuid4()}.db")),
        (
            "SQLiteInbox synchronous=NORMAL",
            lambda: SQLiteInbox(workdir / f"{uuid.uuid4()}.db", synchronous="NORMAL"),
        ),
    ]
    if redis_url:
        backends.append(
            (
                "RedisStreamInbox",
                lambda: RedisStreamInbox(redis_url, stream=f"bench:{uuid.uuid4()}"),
            )
        )
    print("| Inbox | In flight | Appends/s | CPU per append |")
    print("|---|---|---|---|")
    for name, make in backends:
        for in_flight in (1, 64):
            async with make() as inbox:
                await measure(inbox, events(200), in_flight)  # warm up: files, scripts
                rate, cpu = await measure(inbox, events(count), in_flight)
            print(f"| {name} | {in_flight} | {rate:,.0f} | {cpu:,.0f} µs |", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--redis", help="also measure RedisStreamInbox on this server")
    args = parser.parse_args()
    asyncio.run(main(args.count, args.redis))
