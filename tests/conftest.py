"""Fixtures shared by the whole suite: documented samples, a mocked API, a client."""

from __future__ import annotations

import inspect
import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import aioresponses.core
import pytest
from aioresponses import aioresponses as AioResponses

from takeone_async import TakeOneClient

pytest_plugins = ["takeone_async.testing"]

SAMPLES = Path(__file__).parent / "samples"
BASE_URL = "https://api.takeone.video"
API = f"{BASE_URL}/api/v1"
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-do-not-log"


def _patch_aioresponses_for_aiohttp_314() -> None:
    """aiohttp 3.14 made ``stream_writer`` required; aioresponses 0.7.x does not pass it."""
    if "stream_writer" not in inspect.signature(aiohttp.ClientResponse.__init__).parameters:
        return

    class _Response(aiohttp.ClientResponse):
        def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
            super().__init__(method, url, **kwargs)

    aioresponses.core.ClientResponse = _Response  # type: ignore[misc]


_patch_aioresponses_for_aiohttp_314()


def load_sample(name: str) -> Any:
    """A documented body from ``tests/samples`` as JSON data."""
    return json.loads((SAMPLES / name).read_bytes())


def sample_bytes(name: str) -> bytes:
    """A documented body from ``tests/samples`` as the exact bytes."""
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port something is already listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.fixture
def mock_api() -> Iterator[AioResponses]:
    """Intercepts every aiohttp request; nothing leaves the process."""
    with AioResponses() as mocked:
        yield mocked


@pytest.fixture
async def client(mock_api: AioResponses) -> AsyncIterator[TakeOneClient]:
    """A client against the mocked API with near-zero back-off, so retry tests run fast."""
    async with TakeOneClient(
        CLIENT_ID,
        CLIENT_SECRET,
        base_url=BASE_URL,
        backoff_base=0.001,
        backoff_cap=0.01,
        retry_after_cap=0.05,
    ) as c:
        yield c
