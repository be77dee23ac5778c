"""``takeone webhooks listen`` and ``send``: in-process, end to end on loopback, and their
one-line errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from takeone_async import cli, signing
from takeone_async.cli import CommandError
from takeone_async.sandbox import sample_event
from webhooks import cli as webhooks_cli
from webhooks import parse_event
from webhooks.cli import describe

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def args_of(*argv: str) -> Any:
    return cli.build_parser().parse_args(["webhooks", *argv])


@asynccontextmanager
async def listening(capsys: pytest.CaptureFixture[str], *argv: str) -> AsyncIterator[str]:
    """``takeone webhooks listen argv`` in this process; yields its URL."""
    args = args_of("listen", "--port", "0", *argv)
    started, stop = asyncio.Event(), asyncio.Event()

    async def until() -> None:
        started.set()
        await stop.wait()

    auth = webhooks_cli._listen_auth(args)
    task = asyncio.create_task(webhooks_cli.serve_listen(args, auth, until=until))
    try:
        await asyncio.wait_for(started.wait(), 5)
        yield capsys.readouterr().out.strip().removeprefix("listening on ")
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 5) == 0


async def send(*argv: str) -> int:
    args = args_of("send", *argv)
    return await webhooks_cli.send(
        args, [signing.decode_secret(args.secret)] if args.secret else []
    )


def test_each_event_is_one_readable_line() -> None:
    published = parse_event(webhooks_cli.encode_event(sample_event(timestamp=0)))
    assert describe(published) == (
        "1970-01-01T00:00:00Z project_published project=694be4b1-ef0b-4a73-8b39-bba8915fa13f "
        "state=completed publishing_status=published "
        "landscape=https://customer-xxxxxx.cloudflarestream.com/xxxxxx/manifest/video.m3u8 "
        "portrait=https://customer-xxxxxx.cloudflarestream.com/xxxxxx/manifest/video.m3u8"
    )
    unpublished = parse_event(webhooks_cli.encode_event(sample_event("project_unpublished")))
    assert describe(unpublished).endswith("state=completed publishing_status=can_publish")
    unknown = parse_event(b'{"type": "project_archived", "timestamp": 60}')
    assert describe(unknown) == "1970-01-01T00:01:00Z project_archived (no project)"


async def test_send_reaches_listen_with_a_token(capsys: pytest.CaptureFixture[str]) -> None:
    async with listening(capsys, "--token", "t0k") as url:
        assert (
            await send("project_status_change", "--url", f"{url}?token=t0k", "--project-id", "p-9")
            == 0
        )
        received, sent = capsys.readouterr().out.splitlines()  # the receiver prints first
        assert sent == f"sent project_status_change to {url}?token=*** -> 200"
        assert " project_status_change project=p-9 state=completed" in received
        with pytest.raises(CommandError, match="the receiver answered 401"):
            await send("project_published", "--url", f"{url}?token=nope")


async def test_send_signs_for_a_listen_that_checks_signatures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with listening(capsys, "--secret", SECRET) as url:
        assert await send("project_published", "--url", url, "--secret", SECRET) == 0
        assert " project_published project=" in capsys.readouterr().out
        with pytest.raises(CommandError, match="401"):
            await send("project_published", "--url", url)


async def test_listen_without_auth_warns_and_accepts(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    async with listening(capsys) as url:
        assert await send("project_published", "--url", url) == 0
    assert "accepts unauthenticated deliveries" in caplog.text


async def test_a_silent_receiver_times_out(aiohttp_server: Callable[..., Any]) -> None:
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await asyncio.wait_for(release.wait(), 5)
        return web.Response()

    app = web.Application()
    app.router.add_post("/hooks", hang)
    server = await aiohttp_server(app)
    try:
        with pytest.raises(CommandError, match=r"did not answer within 0\.1s"):
            await send(
                "project_published", "--url", str(server.make_url("/hooks")), "--timeout", "0.1"
            )
    finally:
        release.set()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def taken_port() -> Any:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_command_line_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], taken_port: int
) -> None:
    port = closed_port()
    cases = [
        (
            ["listen", "--path", "hooks"],
            "takeone webhooks listen: --path must start with '/', got 'hooks'",
        ),
        (
            ["listen", "--secret", "whsec_!!"],
            "takeone webhooks listen: --secret: StandardWebhooksSignature: a Standard Webhooks secret must be 'whsec_' followed by base64",
        ),
        (
            ["listen", "--port", str(taken_port)],
            f"takeone webhooks listen: cannot listen on 127.0.0.1:{taken_port}: address already in use",
        ),
        (
            ["send", "project_published", "--url", "nope?token=x"],
            "takeone webhooks send: --url must be an http(s) URL, got 'nope?token=***'",
        ),
        (
            ["send", "project_published", "--url", "http://127.0.0.1:1/", "--secret", "whsec_!!"],
            "takeone webhooks send: --secret: a Standard Webhooks secret must be 'whsec_' followed by base64",
        ),
        (
            ["send", "project_published", "--url", f"http://127.0.0.1:{port}/h?token=s3"],
            f"takeone webhooks send: cannot reach http://127.0.0.1:{port}/h?token=***: connection refused",
        ),
        (
            ["send", "project_published", "--url", "http://[::1/h?token=s3"],
            "takeone webhooks send: --url must be an http(s) URL, got 'http://[::1/h'",
        ),
        (
            ["send", "project_published", "--url", "http://u:s3@[::1/h"],
            "takeone webhooks send: --url must be an http(s) URL, got 'http://***@[::1/h'",
        ),
    ]
    for argv, line in cases:
        assert cli.main(["webhooks", *argv]) == 1, argv
        err = capsys.readouterr().err
        assert err == line + "\n"


@pytest.mark.parametrize("timeout", ["0", "-1", "nan", "soon"])
def test_a_send_timeout_must_be_positive_seconds(
    timeout: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["webhooks", "send", "project_published", "--url", "http://127.0.0.1:1/",
                  "--timeout", timeout])  # fmt: skip
    assert caught.value.code == 2
    assert f"argument --timeout: must be a number of seconds > 0, got '{timeout}'" in (
        capsys.readouterr().err
    )


def test_an_unknown_event_type_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["webhooks", "send", "project_exploded", "--url", "http://127.0.0.1:1/"])
    assert caught.value.code == 2
    assert "invalid choice: 'project_exploded'" in capsys.readouterr().err


def test_subcommands_register_one_function_each() -> None:
    assert webhooks_cli.SUBCOMMANDS[:2] == [webhooks_cli.add_listen, webhooks_cli.add_send]
