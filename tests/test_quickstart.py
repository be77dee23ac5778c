"""examples/quickstart.py, the project's main job: run as a newcomer runs it, output checked."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

from takeone_async.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Sandbox

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart.py"
TIMEOUT = 30.0


async def run_quickstart(
    *argv: str, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(QUICKSTART),
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


async def finish(process: asyncio.subprocess.Process) -> tuple[int, list[str], str]:
    out, err = await asyncio.wait_for(process.communicate(), TIMEOUT)
    assert process.returncode is not None
    return process.returncode, out.decode().splitlines(), err.decode()


async def test_with_no_arguments_it_runs_the_whole_flow_on_the_sandbox() -> None:
    status, lines, err = await finish(await run_quickstart())
    assert (status, err) == (0, "")
    assert lines[0].startswith("webhook receiver listening on http://127.0.0.1:")
    assert "?token" not in lines[0]
    assert lines[1].startswith("sandbox listening on http://127.0.0.1:")
    assert any(line.endswith(": recording / cannot_publish") for line in lines)
    assert "recording finished: completed / can_publish" in lines
    assert "publishing: publishing" in lines
    received = [line for line in lines if "project_published received" in line]
    assert len(received) == 1
    assert lines[-1].startswith("  landscape: https://")
    assert lines[-1].endswith("/landscape/manifest/video.m3u8")


async def test_live_without_configuration_says_what_to_set() -> None:
    env = {"WEBHOOK_TOKEN": "", "TAKEONE_CLIENT_ID": "", "TAKEONE_CLIENT_SECRET": ""}
    status, lines, err = await finish(await run_quickstart("--live", env=env))
    assert (status, lines) == (1, [])
    assert (
        err
        == "quickstart: --live: set WEBHOOK_TOKEN to the token in the webhook URL TakeOne uses\n"
    )
    env["WEBHOOK_TOKEN"] = "tok"
    status, _, err = await finish(await run_quickstart("--live", "--port", "0", env=env))
    assert status == 1
    assert err == (
        "quickstart: TakeOneClient.from_env: set TAKEONE_CLIENT_ID and TAKEONE_CLIENT_SECRET "
        "in the environment\n"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_live_runs_the_same_flow_against_an_api_and_waits_for_the_recording() -> None:
    """A sandbox stands in for the real API; the test plays the user recording in the app."""
    port = free_port()
    hooks = f"http://127.0.0.1:{port}/takeone/webhooks?token=tok"
    async with Sandbox(webhook_urls=[hooks], publish_delay=0.05, webhook_backoff=0.05) as sandbox:
        env = {
            "TAKEONE_CLIENT_ID": DEFAULT_CLIENT_ID,
            "TAKEONE_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
            "TAKEONE_BASE_URL": sandbox.url,
            "WEBHOOK_TOKEN": "tok",
        }
        process = await run_quickstart(
            "--live",
            "--port",
            str(port),
            "--poll-interval",
            "0.05",
            "--email",
            "ada@example.com",
            env=env,
        )
        async with asyncio.timeout(TIMEOUT):
            for _ in range(int(TIMEOUT / 0.05)):
                if sandbox.store.projects:
                    break
                await asyncio.sleep(0.05)
        (project_id,) = sandbox.store.projects
        await sandbox.complete_recording(project_id)
        status, lines, err = await finish(process)
    assert (status, err) == (0, "")
    assert "invitation sent to ada@example.com" in lines
    assert any(line.startswith("now record the video in the TakeOne app") for line in lines)
    assert any("project_published received" in line for line in lines)
    assert lines[-1].startswith("  landscape: https://")
