"""examples/worker/ on bad ground: a port taken, Redis down, no receiver. Each program says why
in one stderr line and exits 1, never with a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.webhooks.inbox.support import free_port

pytestmark = pytest.mark.slow
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "worker"


def run(script: str, *argv: str) -> tuple[int, str, str]:
    """Run ``examples/worker/<script>`` to its end: (status, stdout, stderr)."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *argv],
        env={**os.environ, "WEBHOOK_TOKEN": "t0ken-for-the-test"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def test_the_receiver_on_a_taken_port_says_so(taken_port: int, tmp_path: Path) -> None:
    status, out, err = run(
        "receiver.py", "--inbox", f"sqlite:///{tmp_path}/inbox.db", "--port", str(taken_port)
    )
    assert (status, out) == (1, "")
    assert err == f"receiver: cannot listen on 127.0.0.1:{taken_port}: address already in use\n"


def test_the_receiver_with_redis_down_says_so() -> None:
    redis_port = free_port()
    status, out, err = run(
        "receiver.py", "--inbox", f"redis://127.0.0.1:{redis_port}/0", "--port", str(free_port())
    )
    assert (status, out) == (1, "")
    assert err.startswith("receiver: Redis inbox 'takeone:webhooks' (open): ConnectionError: ")
    assert f"127.0.0.1:{redis_port}" in err
    assert err.count("\n") == 1


def test_the_worker_with_redis_down_says_so() -> None:
    redis_port = free_port()
    status, out, err = run("worker.py", "--inbox", f"redis://127.0.0.1:{redis_port}/0")
    assert (status, out) == (1, "worker started\n")
    assert err.startswith("worker: Redis inbox 'takeone:webhooks' (open): ConnectionError: ")
    assert err.count("\n") == 1


def test_drive_without_a_receiver_says_so_after_its_wait() -> None:
    receiver = f"http://127.0.0.1:{free_port()}/takeone/webhooks"
    status, out, err = run("drive.py", "--receiver", receiver, "--wait", "0.5")
    assert (status, out) == (1, "")
    assert err == (
        f"drive: no receiver at {receiver} after 0.5s; start it first"
        " (examples/worker/receiver.py), or check --receiver\n"
    )
