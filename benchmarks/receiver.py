"""Receiver: ``add_webhook_route`` against a FastAPI endpoint (the peer) and a bare aiohttp
handler (the floor), load from a separate process.

Each server is its own single-process event loop (pinned to one core where the OS allows); the
load comes from wrk (with a Lua script making every body unique) when installed, else from
``_loadgen``, on the other core, over loopback, for a few seconds per measurement. Budgets at 64
connections: the route >= 1.5x FastAPI's requests/s and >= 0.65x the bare handler's; with the
SQLite inbox >= 0.4x the bare handler's; with the Redis Streams inbox >= 0.5x.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from webhooks import parse_event

from ._data import event_bytes
from ._equal import check_equal_event
from ._peers import PydanticEvent
from ._process import python_process
from ._profile import available, record_pid
from ._report import Budget, Section, Table, script_main
from ._timing import fmt_ratio, median

__all__ = ["budgets_of", "requests_per_second", "run"]

LABELS = {
    "bare": "bare aiohttp handler (read, `json.loads`, 204)",
    "fastapi": "FastAPI + pydantic event model, uvicorn (httptools, 1 worker)",
    "route": "`add_webhook_route` (token, `parse_event`, no-op handler)",
    "sqlite": "`add_webhook_route` + `SQLiteInbox` (synchronous=FULL)",
    "sqlite-normal": "`add_webhook_route` + `SQLiteInbox` (synchronous=NORMAL; information)",
    "redis": "`add_webhook_route` + `RedisStreamInbox`",
}
PEERS = {
    "bare": "bare aiohttp handler (floor)",
    "fastapi": "FastAPI + pydantic under uvicorn",
}
BUDGETS = [
    ("route", "fastapi", 1.5),
    ("route", "bare", 0.65),
    ("sqlite", "bare", 0.4),
    ("redis", "bare", 0.5),
]
"""(ours, peer, least ratio of requests/s) at ``CONNECTIONS``."""
CONNECTIONS = 64
BEFORE = (
    "Before this release's plain receive path and inbox redesign, 0.1 (byte scans over each "
    "body, hand-packed Redis commands; its RESULTS.md, same machine): the route 0.71x a bare "
    "handler, with the SQLite inbox 0.41x, with Redis 0.53x; the benchmarks issue measured it "
    "independently at about 2x FastAPI and 0.68-0.74x bare."
)
"""The figures of the version this release replaces, for comparison with the tables above."""
PLACEHOLDER = "PROJECTIDPLACEHOLDER"

WRK_SCRIPT = r"""
local template, prefix, counter = nil, "p", 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
init = function(args)
  prefix = args[1]
  local source = assert(io.open(args[2], "rb"))
  template = source:read("*a")
  source:close()
end
request = function()
  counter = counter + 1
  local id = prefix .. string.format("-%012d", counter)
  local body = string.gsub(template, "PROJECTIDPLACEHOLDER", id, 1)
  return wrk.format(nil, nil, nil, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\n{"requests": %d, "seconds": %f, "errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def _template() -> bytes:
    """The documented event with its project id replaced by a placeholder each request fills."""
    data = json.loads(event_bytes())
    data["project"]["id"] = PLACEHOLDER
    return json.dumps(data, separators=(",", ":")).encode()


def _pin(pid: int, core: int) -> None:
    """Keep ``pid`` on the ``core``-th CPU this process may use (servers 0, load 1), if >= 2."""
    if not hasattr(os, "sched_setaffinity"):
        return
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2:
        os.sched_setaffinity(pid, {cpus[core]})


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux /proc), or NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _redis_server(workdir: str) -> Iterator[str | None]:
    """A private redis-server on loopback (append-only file, fsync every second), if installed."""
    binary = shutil.which("redis-server")
    try:
        import redis  # noqa: F401
    except ImportError:
        binary = None
    if binary is None:
        yield None
        return
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


class _Loader:
    """Runs one load against a server: wrk when installed, else the Python load generator."""

    def __init__(self, workdir: str) -> None:
        self.wrk = shutil.which("wrk")
        self.template = Path(workdir, "body.json")
        self.template.write_bytes(_template())
        self.script = Path(workdir, "body.lua")
        self.script.write_text(WRK_SCRIPT)

    @property
    def name(self) -> str:
        return "wrk (1 thread, Lua body script)" if self.wrk else "benchmarks._loadgen (asyncio)"

    def run(self, port: int, path: str, connections: int, seconds: int) -> dict[str, Any]:
        prefix = uuid.uuid4().hex[:12]
        if self.wrk:
            args = [
                self.wrk,
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(self.script),
                f"http://127.0.0.1:{port}{path}",
                "--",
                prefix,
                str(self.template),
            ]
        else:
            args = [
                sys.executable,
                "-m",
                "benchmarks._loadgen",
                "--port",
                str(port),
                "--path",
                path,
                "--connections",
                str(connections),
                "--duration",
                str(seconds),
                "--template",
                str(self.template),
                "--prefix",
                prefix,
            ]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        _pin(proc.pid, 1)
        out, _ = proc.communicate(timeout=seconds + 60)
        if proc.returncode:
            raise RuntimeError(f"load generator failed: {' '.join(args[:4])}")
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return result


def _server_args(variant: str, workdir: str, redis_url: str | None) -> list[str]:
    if variant == "fastapi":
        return ["-m", "benchmarks._fastapi_server"]
    args = ["-m", "benchmarks._receiver_server", variant]
    args += ["--sqlite", str(Path(workdir, f"{variant}.sqlite3"))]
    return args + (["--redis", redis_url] if redis_url else [])


def _equal_work() -> str:
    """Check the peer's model parses an event body into the values ``parse_event`` gives."""
    body = _template().replace(PLACEHOLDER.encode(), b"p-000000000001")
    compared = check_equal_event(
        "the FastAPI peer's model",
        parse_event(body),
        PydanticEvent.model_validate(json.loads(body)),
    )
    return (
        "Equal work, checked in this run: the FastAPI endpoint's pydantic model reads an event "
        f"body into the values `parse_event` gives, field by field ({compared} values compared); "
        "both check the query token in constant time and answer 204."
    )


Results = dict[tuple[str, int], list[dict[str, Any]]]


def run(quick: bool) -> Section:
    section = Section(
        "Receiver",
        "Requests/s of one server process (one core) under load from a separate process over "
        "loopback; every body is a distinct `project_published` event. The peer is what a "
        "FastAPI user would write: a `Query` token checked by a dependency, the body parsed into "
        "a pydantic model of the event equivalent to ours, under uvicorn with one worker, "
        "httptools, the asyncio loop and no access log. The floor is a bare aiohttp handler.",
    )
    section.notes.append(_equal_work())
    with (
        tempfile.TemporaryDirectory(prefix="takeone-bench-receiver-") as workdir,
        ExitStack() as stack,
    ):
        redis_url = stack.enter_context(_redis_server(workdir))
        variants = ["bare", "fastapi", "route", "sqlite", "sqlite-normal"]
        variants += ["redis"] if redis_url else []
        if not redis_url:
            section.notes.append(
                "Redis inbox not measured: redis-server or the redis package is missing."
            )
        servers: dict[str, tuple[int, int]] = {}
        for variant in variants:
            args = _server_args(variant, workdir, redis_url)
            proc, port_text = stack.enter_context(python_process(*args))
            _pin(proc.pid, 0)
            servers[variant] = (proc.pid, int(port_text))
        loader = _Loader(workdir)
        path = "/webhooks?token=bench-token-0123456789abcdef"
        seconds, rounds = (1, 1) if quick else (3, 3)
        plan = [(v, 1) for v in ("bare", "fastapi", "route")]
        plan += [(v, CONNECTIONS) for v in variants]
        for variant in variants:  # warm-up
            loader.run(servers[variant][1], path, 16, 1)
        results: Results = {}
        for _ in range(rounds):
            for variant, connections in plan:
                pid, port = servers[variant]
                cpu = _cpu_seconds(pid)
                load = loader.run(port, path, connections, seconds)
                load["cpu"] = _cpu_seconds(pid) - cpu
                if load["errors"]:
                    raise RuntimeError(f"{variant}: {load['errors']} failed requests")
                results.setdefault((variant, connections), []).append(load)
        _report(section, results, loader.name)
        if not quick:
            _explain(section, servers, loader, path)
    return section


def requests_per_second(results: Results, key: tuple[str, int]) -> float:
    """The median requests/s of one server at one number of connections."""
    return median([r["requests"] / r["seconds"] for r in results[key]])


def budgets_of(results: Results) -> list[Budget]:
    """The receiver's budgets (those whose servers were measured)."""
    budgets = []
    for ours, peer, least in BUDGETS:
        if (ours, CONNECTIONS) in results and (peer, CONNECTIONS) in results:
            ratio = requests_per_second(results, (ours, CONNECTIONS)) / requests_per_second(
                results, (peer, CONNECTIONS)
            )
            item = f"receiver requests/s, {ours}, {CONNECTIONS} connections"
            budgets.append(Budget(item, PEERS[peer], ratio, least, at_least=True))
    return budgets


def _report(section: Section, results: Results, loader: str) -> None:
    def rps(key: tuple[str, int]) -> float:
        return requests_per_second(results, key)

    def cpu(key: tuple[str, int]) -> float:
        return median([r["cpu"] / r["requests"] for r in results[key] if r["requests"]])

    def ratio(key: tuple[str, int], peer: str) -> str:
        other = (peer, key[1])
        return fmt_ratio(rps(key) / rps(other)) if other in results else "-"

    table = Table(
        [
            "Server",
            "Connections",
            "Requests/s",
            "vs FastAPI",
            "vs bare",
            "p50",
            "p99",
            "Server CPU/request",
        ]
    )
    for key in sorted(results, key=lambda k: (k[1], list(LABELS).index(k[0]))):
        table.rows.append(
            [
                LABELS[key[0]],
                str(key[1]),
                f"{rps(key):,.0f}",
                ratio(key, "fastapi"),
                ratio(key, "bare"),
                f"{median([r['p50_us'] for r in results[key]]) / 1000:.2f} ms",
                f"{median([r['p99_us'] for r in results[key]]) / 1000:.2f} ms",
                f"{cpu(key) * 1e6:.0f} µs",
            ]
        )
    section.tables.append(table)
    section.budgets += budgets_of(results)
    section.notes.append(f"Load generator: {loader}; server and load pinned to different cores.")
    section.notes.append(BEFORE)


def _explain(
    section: Section, servers: dict[str, tuple[int, int]], loader: _Loader, path: str
) -> None:
    """For each of our servers with a budget missed: a profile of it under load."""
    missed: dict[str, list[Budget]] = {}
    for budget in section.budgets:
        if not budget.met:
            missed.setdefault(budget.item.split(", ")[1], []).append(budget)
    for variant, budgets in missed.items():
        names = "; ".join(f"vs {b.peer} {b.today} ({b.wanted})" for b in budgets)
        section.notes.append(f"Missed, {variant}: {names}.")
        if available() is None:
            section.notes.append(
                "No server profile: py-spy is not installed (`pip install py-spy`)."
            )
            continue
        pid, port = servers[variant]
        with record_pid(pid, 4) as profiles:
            loader.run(port, path, CONNECTIONS, 4)
        section.notes.append(
            f"Profile of the {variant} server at {CONNECTIONS} connections (py-spy, 250 Hz): "
            f"{profiles[0].summary()}"
        )


if __name__ == "__main__":
    script_main(run)
