"""Helpers shared by the inbox, worker and reconcile tests: events of one project at a given
time, a redis-server on a free loopback port, subprocesses that always get cleaned up."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.webhooks.conftest import event_body
from webhooks import WebhookEvent, parse_event

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """``T0`` plus ``seconds``: the modified time of a test event."""
    return T0 + timedelta(seconds=seconds)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def project_body(
    project: str | None,
    modified: float | None = 0,
    *,
    n: int = 0,
    event_type: str = "project_status_change",
    state: str = "editing",
    publishing_status: str = "can_publish",
) -> bytes:
    """A delivery body about ``project`` as of ``at(modified)``; ``n`` makes otherwise equal
    ones distinct. ``project=None`` gives an unknown-type event without a project."""
    if project is None:
        return event_body("something_new", project=None, timestamp=1714493662 + n)
    fields: dict[str, Any] = {
        "id": project,
        "state": state,
        "publishing_status": publishing_status,
        "modified_date_time": None if modified is None else iso(at(modified)),
    }
    return event_body(event_type, project_fields=fields, timestamp=1714493662 + n)


def project_event(project: str | None, modified: float | None = 0, **options: Any) -> WebhookEvent:
    """``project_body`` parsed."""
    return parse_event(project_body(project, modified, **options))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def redis_binary() -> str:
    """The redis-server path; skips (or fails under CI=true) when it is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        reason = "redis-server is not installed (Debian package redis-server)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI must run the Redis inbox tests")
        pytest.skip(reason)
    return binary


class RedisServer:
    """A throw-away redis-server on 127.0.0.1 (no persistence), stopped by ``stop()``."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        stop_process(self.process)


def stop_process(process: subprocess.Popen[Any], sig: int = signal.SIGTERM) -> int:
    """Signal ``process`` and wait for it (SIGKILL after 10 s); its exit code."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    return int(process.returncode)


def spawn(
    args: Sequence[str], *, env: dict[str, str] | None = None, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """A Python subprocess of this venv, run from the repository root (output to ``log``)."""
    output = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    finally:
        if log is not None:
            output.close()  # type: ignore[union-attr]


async def wait_until(
    check: Any, *, within: float, interval: float = 0.05, what: str = "condition"
) -> None:
    """Await ``check()`` (sync or async) until truthy; fail after ``within`` seconds."""
    try:
        async with asyncio.timeout(within):
            while True:
                result = check()
                if asyncio.iscoroutine(result):
                    result = await result
                if result:
                    return
                await asyncio.sleep(interval)
    except TimeoutError:
        raise AssertionError(f"timed out after {within}s waiting for {what}") from None


def poll(check: Any, *, within: float, interval: float = 0.05, what: str = "condition") -> None:
    """``wait_until`` for synchronous code: call ``check()`` until truthy, at most ``within`` s."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        time.sleep(interval)
