"""What the whole suite shares: the documented samples and the test credentials."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["takeone_async.testing"]

SAMPLES = Path(__file__).parent / "samples"
BASE_URL = "https://api.takeone.video"
API = f"{BASE_URL}/api/v1"
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-do-not-log"


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
