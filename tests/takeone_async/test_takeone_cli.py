"""The ``takeone`` command: the sandbox in-process and as a real process, the webhooks commands
wired end to end, and one clear stderr line (no traceback) for each command-line error."""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from takeone_async import TakeOneClient, __version__, _http, cli
from takeone_async.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 20.0


def error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run ``takeone argv``, expecting status 1 and exactly one stderr line."""
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err.strip()


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["sandbox", "--webhook-url", "ftp://example.com/hooks/tok-s3cr3t"],
            "takeone sandbox: --webhook-url must be an http(s) URL, got 'ftp://example.com/hooks/***'",
        ),
        (
            ["sandbox", "--webhook-url", "not a url"],
            "takeone sandbox: --webhook-url must be an http(s) URL, got 'not a url'",
        ),
        (
            ["sandbox", "--webhook-url", "127.0.0.1:8799/hooks?token=s3cr3t"],
            "takeone sandbox: --webhook-url must be an http(s) URL, got "
            "'127.0.0.1:8799/hooks?token=***'",
        ),
        (
            ["sandbox", "--signing-secret", "whsec_!!"],
            "takeone sandbox: --signing-secret: a Standard Webhooks secret must be 'whsec_' "
            "followed by base64",
        ),
        (
            ["sandbox", "--client-id", "a:b"],
            "takeone sandbox: client_id must not contain ':' (HTTP Basic)",
        ),
    ],
)
def test_bad_sandbox_options_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], line: str
) -> None:
    assert error_line(capsys, argv) == line


def test_a_taken_port_is_one_line(capsys: pytest.CaptureFixture[str], taken_port: int) -> None:
    line = error_line(capsys, ["sandbox", "--port", str(taken_port)])
    assert (
        line == f"takeone sandbox: cannot listen on 127.0.0.1:{taken_port}: address already in use"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["sandbox", "--page-size", "0"],
        ["sandbox", "--publish-delay", "-1"],
        ["sandbox", "--fault-rate", "2"],
        [],
    ],
)
def test_malformed_arguments_are_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["sandbox", "--port", "99999"],
            "argument --port: must be a port number 0-65535, got 99999",
        ),
        (
            ["sandbox", "--port", "65536"],
            "argument --port: must be a port number 0-65535, got 65536",
        ),
        (["sandbox", "--port", "-5"], "argument --port: must be a port number 0-65535, got -5"),
        (["sandbox", "--port", "http"], "argument --port: must be a port number 0-65535, got http"),
        (
            ["sandbox", "--page-size", "ten"],
            "argument --page-size: must be an integer >= 1, got 'ten'",
        ),
        (["sandbox", "--page-size", "0"], "argument --page-size: must be an integer >= 1, got '0'"),
    ],
)
def test_out_of_range_numbers_are_usage_errors_that_say_why(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """A port outside 0..65535 used to reach the server and die with an OverflowError."""
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == f"takeone sandbox: error: {message}"


@pytest.mark.parametrize(("value", "number"), [("0", 0), ("8787", 8787), ("65535", 65535)])
def test_port_number_accepts_every_port(value: str, number: int) -> None:
    assert cli.port_number(value) == number


@pytest.mark.parametrize("value", ["0", "-2", "abc", "1.5", ""])
def test_positive_int_refuses_what_is_not_an_integer_of_at_least_one(value: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"^must be an integer >= 1, got "):
        cli.positive_int(value)
    assert cli.positive_int("3") == 3


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"takeone {__version__}"


def test_an_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(_: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_sandbox", interrupted)
    assert cli.main(["sandbox"]) == 130


def test_without_the_webhooks_package_its_commands_say_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "webhooks.cli", None)
    line = error_line(capsys, ["webhooks", "listen"])
    assert line.startswith("takeone webhooks: the webhooks package cannot be imported (")
    assert "webhooks.cli" in line


def an_unrelated_webhooks_distribution(where: Path) -> dict[str, str]:
    """An environment in which PyPI's unrelated ``webhooks`` 0.4.2 appears installed."""
    info = where / "webhooks-0.4.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: webhooks\nVersion: 0.4.2\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(where), str(ROOT)])}


def test_an_unrelated_webhooks_package_is_named_with_the_fix_in_one_line(tmp_path: Path) -> None:
    """PyPI's ``webhooks`` shares our import name: the command says so instead of failing on
    what that package imports."""
    done = subprocess.run(
        [sys.executable, "-m", "takeone_async", "webhooks", "listen"],
        env=an_unrelated_webhooks_distribution(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(
        "takeone webhooks: the unrelated package 'webhooks 0.4.2' is installed over the "
        "'webhooks' package of takeone-async"
    )
    assert "pip uninstall -y webhooks && pip install --force-reinstall" in done.stderr


def test_importing_webhooks_beside_the_unrelated_package_warns_with_the_fix(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import webhooks; print(webhooks.parse_event.__name__)"],
        env=an_unrelated_webhooks_distribution(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "parse_event\n")
    [warning] = [line for line in done.stderr.splitlines() if "RuntimeWarning" in line]
    assert "the unrelated package 'webhooks 0.4.2'" in warning
    assert "pip uninstall -y webhooks" in warning


def test_the_webhooks_commands_come_from_the_entry_point_group() -> None:
    """The webhooks package registers its commands; takeone_async names none of its modules."""
    (entry_point,) = importlib.metadata.entry_points(group=cli.COMMANDS_GROUP, name="webhooks")
    assert entry_point.value == "webhooks.cli:register"


async def test_the_sandbox_command_serves_until_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "sandbox",
        "--port",
        "0",
        "--page-size",
        "1",
        "--fault-rate",
        "0.5",
        "--fault-seed",
        "3",
    ]
    argv += ["--signing-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
    args = cli.build_parser().parse_args(argv)
    started, stop = asyncio.Event(), asyncio.Event()

    async def until() -> None:
        started.set()
        await stop.wait()

    task = asyncio.create_task(cli.serve_sandbox(args, until=until))
    try:
        await asyncio.wait_for(started.wait(), 5)
        out = capsys.readouterr().out
        url = out.strip().removeprefix("listening on ")
        async with TakeOneClient(
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
            base_url=url,
            max_retries=8,
            backoff_base=0.001,
            backoff_cap=0.01,
            retry_after_cap=0.01,
        ) as client:
            page = await client.video_container_templates.list().first_page()
        assert (page.count, len(page.results)) == (2, 1)
    finally:
        stop.set()
    assert await asyncio.wait_for(task, 5) == 0


async def test_wait_for_stop_returns_on_sigterm_and_restores_the_handlers() -> None:
    loop = asyncio.get_running_loop()
    waiter = asyncio.create_task(cli.wait_for_stop())
    await asyncio.sleep(0)  # the handlers are installed before the first await inside
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(waiter, 5)
    assert not loop.remove_signal_handler(signal.SIGTERM)  # already removed


def test_os_reason_prefers_the_errno_text() -> None:
    assert cli.os_reason(OSError(111, "noise")) == "connection refused"
    assert cli.os_reason(OSError("plain")) == "plain"
    assert cli.os_reason(OSError()) == "OSError"
    assert cli.os_reason(socket.gaierror(-2, "Name or service not known")) == (
        "name or service not known"
    )


def test_python_dash_m_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["takeone", "--version"])
    monkeypatch.delitem(sys.modules, "takeone_async.__main__", raising=False)
    with pytest.raises(SystemExit) as caught:
        importlib.import_module("takeone_async.__main__")
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"takeone {__version__}"


# -- real processes: the README's commands --------------------------------------------------

README_COMMANDS = """\
.venv/bin/takeone webhooks listen --port 8788 --token dev-token
.venv/bin/takeone sandbox --port 8787 --publish-delay 0.5 --webhook-url "http://127.0.0.1:8788/webhooks?token=dev-token"
.venv/bin/takeone webhooks send project_published --url "http://127.0.0.1:8788/webhooks?token=dev-token"
"""
SCRIPT = Path(sys.executable).parent / "takeone"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def readme_commands() -> list[list[str]]:
    """The README block's commands, with free ports for 8787 and 8788 so runs never collide."""
    assert README_COMMANDS in (ROOT / "README.md").read_text(encoding="utf-8")
    ports = {"8787": str(free_port()), "8788": str(free_port())}
    commands = []
    for line in README_COMMANDS.splitlines():
        argv = shlex.split(line)
        assert argv[0] == ".venv/bin/takeone"
        for default, port in ports.items():
            argv = [arg.replace(default, port) for arg in argv]
        commands.append([str(SCRIPT), *argv[1:]])
    return commands


async def spawn(argv: list[str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT
    )


@asynccontextmanager
async def running(argv: list[str]) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """A server command until its first stdout line; then SIGINT, which must exit 0."""
    process = await spawn(argv)
    try:
        first = await next_line(process)
        yield process, first
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), TIMEOUT) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def run_command(argv: list[str]) -> tuple[int, str, str]:
    """A command to completion: (status, stdout, stderr)."""
    process = await spawn(argv)
    out, err = await asyncio.wait_for(process.communicate(), TIMEOUT)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def next_line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    return (await asyncio.wait_for(process.stdout.readline(), TIMEOUT)).decode().strip()


async def complete_recording(url: str, project_id: str) -> None:
    """What ``curl -X POST .../_sandbox/projects/ID/complete_recording`` would do."""
    authorization = _http.basic_auth(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{url}/_sandbox/projects/{project_id}/complete_recording",
            headers={"Authorization": authorization},
        ) as answer,
    ):
        assert answer.status == 200


async def test_the_readme_commands_work_together_as_processes() -> None:
    """listen receives what the sandbox delivers and what send posts; a wrong token fails."""
    listen_argv, sandbox_argv, send_argv = readme_commands()
    async with running(listen_argv) as (listen, first):
        assert first.startswith("listening on http://127.0.0.1:")
        hooks = first.removeprefix("listening on ")
        async with running(sandbox_argv) as (_, line):
            assert line.startswith("listening on http://127.0.0.1:")
            url = line.removeprefix("listening on ")
            async with TakeOneClient(
                DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, base_url=url
            ) as client:
                user = await client.app_users.create(external_id="cli")
                container = await client.video_containers.create(
                    template="3c0a6647-d7a8-4859-88aa-85d36f21da23", name="v"
                )
                project = await client.projects.create(user=user.id, video_container=container.id)
                await complete_recording(url, project.id)
                await client.projects.publish(project.id)
            lines = [await next_line(listen) for _ in range(5)]
        assert [line.split()[1] for line in lines] == [
            "project_status_change",
            "project_status_change",
            "project_status_change",
            "project_status_change",
            "project_published",
        ]
        assert all(f"project={project.id}" in line for line in lines)
        assert "landscape=https://" in lines[-1]

        status, out, err = await run_command(send_argv)
        assert (status, err) == (0, "")
        assert out.strip() == f"sent project_published to {hooks}?token=*** -> 200"
        assert " project_published project=" in await next_line(listen)

        wrong = [arg.replace("dev-token", "wrong") for arg in send_argv]
        status, out, err = await run_command(wrong)
        assert status == 1
        assert err.strip() == "takeone webhooks send: the receiver answered 401"
        assert "wrong" not in out + err


async def test_python_dash_m_runs_the_same_command() -> None:
    status, out, err = await run_command([sys.executable, "-m", "takeone_async", "--version"])
    assert (status, out.strip(), err) == (0, f"takeone {__version__}", "")


def test_the_console_script_is_installed() -> None:
    assert SCRIPT.exists()
    assert os.access(SCRIPT, os.X_OK)


def test_every_public_name_defined_in_the_module_is_exported() -> None:
    defined = {
        name
        for name, value in vars(cli).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == cli.__name__
    }
    assert defined | {"COMMANDS_GROUP"} == set(cli.__all__)


HELP_PAGES = [
    [],
    ["sandbox"],
    ["webhooks"],
    ["webhooks", "listen"],
    ["webhooks", "send"],
    ["webhooks", "worker"],
    ["webhooks", "dead-letters"],
    ["webhooks", "dead-letters", "list"],
    ["webhooks", "dead-letters", "replay"],
    ["webhooks", "reconcile"],
]


@pytest.mark.parametrize("command", HELP_PAGES, ids=lambda c: " ".join(c) or "takeone")
def test_every_help_page_describes_gives_examples_and_words_defaults_one_way(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main([*command, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    rest = text.partition("\n\n")[2]  # after the usage lines
    assert rest.split("\n\n")[0].strip(), "no description"
    assert "examples:\n  takeone " + " ".join(command) in text
    assert re.findall(r"\(default[^:]", text) == []
    assert "default %" not in text


def test_the_sandbox_help_shows_the_defaults_a_client_needs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["sandbox", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for default in (
        f"(default: {DEFAULT_CLIENT_ID})",
        f"(default: {DEFAULT_CLIENT_SECRET})",
        "(default: 1.0)",  # --publish-delay
        "(default: 10)",  # --page-size
        "(default: 8787)",
    ):
        assert default in text
