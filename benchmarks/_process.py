"""Helper processes: start one, read the port it prints, stop it however the benchmark ends."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

__all__ = ["MALLOC_ENV", "python_process", "started", "until_stdin_closes"]

MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "1048576"}
"""glibc switches malloc strategy on repeated ~124 KB bodies under concurrency, which makes
figures swing by tens of percent between runs; a fixed mmap threshold keeps them steady."""


@contextmanager
def python_process(
    *args: str, env: Mapping[str, str] | None = None, ready: str = "PORT "
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run ``python *args``; yield it and the rest of the first stdout line starting ``ready``."""
    proc = subprocess.Popen(
        [sys.executable, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith(ready):
            raise RuntimeError(f"{' '.join(args)} did not start (said {line!r})")
        yield proc, line[len(ready) :].strip()
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[str], timeout: float = 10) -> None:
    """Close its stdin (the polite stop), then terminate, then kill."""
    if proc.stdin is not None and not proc.stdin.closed:
        proc.stdin.close()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


@contextmanager
def started(*args: str, env: Mapping[str, str] | None = None) -> Iterator[int]:
    """Run a server module that prints ``PORT <n>``; yield the port."""
    with python_process(*args, env=env) as (_, port):
        yield int(port)


async def until_stdin_closes() -> None:
    """Wait, in a server process, for the parent to close our stdin (no thread: a profile of
    the server shows only its own work)."""
    loop = asyncio.get_running_loop()
    fd = sys.stdin.fileno()
    closed = asyncio.Event()

    def readable() -> None:
        if not os.read(fd, 65536):
            loop.remove_reader(fd)
            closed.set()

    loop.add_reader(fd, readable)
    await closed.wait()
