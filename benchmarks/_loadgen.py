"""A small HTTP/1.1 load generator for when wrk is not installed, run as its own process.

``python -m benchmarks._loadgen --port P --path /webhooks?token=... --connections N
--duration S --template FILE --prefix X`` keeps N keep-alive connections to 127.0.0.1 busy
for S seconds, each POST carrying the template body with ``PROJECTIDPLACEHOLDER`` replaced by
a unique id, then prints one JSON line: requests, seconds, errors, p50_us, p99_us.
It is a bare asyncio protocol (no HTTP client library) so that it costs less CPU than the
server it loads.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import json
import time

PLACEHOLDER = b"PROJECTIDPLACEHOLDER"


class _Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0


class _Connection(asyncio.Protocol):
    def __init__(
        self,
        head: bytes,
        bodies: itertools.count[int],
        template: bytes,
        prefix: bytes,
        stats: _Stats,
        deadline: float,
        done: asyncio.Future[None],
    ) -> None:
        self.head, self.ids, self.template, self.prefix = head, bodies, template, prefix
        self.stats, self.deadline, self.done = stats, deadline, done
        self.buffer = b""
        self.sent_at = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        if time.perf_counter() >= self.deadline:
            self.transport.close()
            return
        unique = self.prefix + b"-%012d" % next(self.ids)
        body = self.template.replace(PLACEHOLDER, unique, 1)
        self.sent_at = time.perf_counter()
        self.transport.write(self.head % len(body) + body)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].lower()
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if len(self.buffer) < end + 4 + length:
            return
        self.buffer = self.buffer[end + 4 + length :]
        status = int(head[9:12])
        self.stats.latencies.append(time.perf_counter() - self.sent_at)
        if not 200 <= status < 300:
            self.stats.errors += 1
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _main(args: argparse.Namespace, template: bytes) -> None:
    loop = asyncio.get_running_loop()
    head = (
        f"POST {args.path} HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\n"
        "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    ).encode()
    stats, ids = _Stats(), itertools.count()
    started = time.perf_counter()
    deadline = started + args.duration
    waits = []
    for _ in range(args.connections):
        done: asyncio.Future[None] = loop.create_future()
        connection = functools.partial(
            _Connection, head, ids, template, args.prefix.encode(), stats, deadline, done
        )
        await loop.create_connection(connection, "127.0.0.1", args.port)
        waits.append(done)
    async with asyncio.timeout(args.duration + 30):
        await asyncio.gather(*waits)
    seconds = time.perf_counter() - started
    latencies = sorted(stats.latencies)

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1e6 if latencies else 0

    print(
        json.dumps(
            {
                "requests": len(latencies),
                "seconds": seconds,
                "errors": stats.errors,
                "p50_us": percentile(0.50),
                "p99_us": percentile(0.99),
            }
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--template", required=True)
    parser.add_argument("--prefix", required=True)
    arguments = parser.parse_args()
    with open(arguments.template, "rb") as source:
        asyncio.run(_main(arguments, source.read()))
