"""Fixtures for the inbox tests: each backend, fresh per test, and one redis-server per run."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.webhooks.inbox.support import RedisServer
from webhooks.inbox import Inbox, MemoryInbox, RedisStreamInbox, SQLiteInbox

BACKENDS = ("memory", "sqlite", "redis")
MakeInbox = Callable[..., Awaitable[Any]]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server on a free loopback port for the whole run (skipped if not installed,
    except under CI=true)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
async def make_inbox(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MakeInbox]:
    """``await make_inbox(kind, **options)``: an opened inbox of that backend, closed after the
    test; calls in one test share the same file or stream (a reopen sees earlier data)."""
    stream = f"test:{uuid.uuid4().hex[:12]}"
    opened: list[Any] = []

    async def make(kind: str, **options: Any) -> Any:
        inbox: Any
        if kind == "memory":
            inbox = MemoryInbox(**options)
        elif kind == "sqlite":
            inbox = SQLiteInbox(tmp_path / "inbox.db", **options)
        else:
            server: RedisServer = request.getfixturevalue("redis_server")
            inbox = RedisStreamInbox(server.url, stream=stream, **options)
        opened.append(inbox)
        await inbox.__aenter__()
        return inbox

    yield make
    for inbox in reversed(opened):
        await inbox.close()


@pytest.fixture(params=BACKENDS)
async def inbox(request: pytest.FixtureRequest, make_inbox: MakeInbox) -> Inbox:
    """Each backend in turn, fresh."""
    result: Inbox = await make_inbox(request.param)
    return result
