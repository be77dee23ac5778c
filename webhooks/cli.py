"""``takeone webhooks ...``: receive and send webhooks while developing a receiver.

:func:`register` adds the ``webhooks`` command to the ``takeone`` command line. Each subcommand
is an ``add_<name>(subcommands)`` function listed in :data:`SUBCOMMANDS` that sets the parser
defaults ``run`` (arguments -> exit status) and ``command_name``; a
:class:`takeone_async.cli.CommandError` it raises is printed as one line.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from takeone_async import signing
from takeone_async.cli import (
    CommandError,
    add_command_parser,
    add_server_arguments,
    listen_error,
    os_reason,
    positive_seconds,
    wait_for_stop,
)
from takeone_async.sandbox import (
    EVENT_TYPES,
    delivery_headers,
    encode_event,
    new_message_id,
    post_event,
    sample_event,
)
from takeone_async.urls import is_http_url, redact_url

from .auth import Authenticator, QueryToken, StandardWebhooksSignature
from .errors import WebhookConfigError
from .events import WebhookEvent
from .inbox._cli import add_dead_letters, add_reconcile, add_worker
from .router import WebhookRouter

__all__ = [
    "SUBCOMMANDS",
    "add_listen",
    "add_send",
    "describe",
    "register",
    "run_listen",
    "run_send",
    "send",
    "serve_listen",
]


def register(commands: Any) -> None:
    """Add ``webhooks`` and its subcommands to the ``takeone`` subparsers."""
    parser = add_command_parser(
        commands,
        "webhooks",
        help="receive, send, store and handle TakeOne webhooks",
        description=(
            "Receive or send TakeOne webhooks while developing a receiver; run workers over a "
            "durable inbox, replay its dead letters, catch up after an outage."
        ),
        examples=[
            "takeone webhooks listen --token dev-token",
            "takeone webhooks send project_published --url 'http://127.0.0.1:8788/webhooks?token=dev-token'",
            "takeone webhooks worker --inbox sqlite:///inbox.db --router myapp.hooks:router",
        ],
    )
    subcommands = parser.add_subparsers(dest="webhooks_command", metavar="COMMAND", required=True)
    for add in SUBCOMMANDS:
        add(subcommands)


def describe(event: WebhookEvent) -> str:
    """One readable line: when, what, which project, its state, and any published stream."""
    when = event.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    project = event.project
    if project is None:
        return f"{when} {event.type} (no project)"
    parts = [
        f"{when} {event.type} project={project.id}",
        f"state={project.state}",
        f"publishing_status={project.publishing_status}",
    ]
    for video_format, published in sorted((project.publishing_info or {}).items()):
        if published.video is not None and published.video.src:
            parts.append(f"{video_format}={published.video.src}")
    return " ".join(parts)


# -- listen -----------------------------------------------------------------------------------


def add_listen(subcommands: Any) -> None:
    """``takeone webhooks listen``: print each event received, one line each."""
    parser = add_command_parser(
        subcommands,
        "listen",
        help="run a receiver that prints each event",
        description=(
            "Receive webhooks on http://HOST:PORT/PATH and print one line per event until "
            "Ctrl-C or SIGTERM (the takeone sandbox's --webhook-url can point here)."
        ),
        examples=[
            "takeone webhooks listen --port 8788 --token dev-token",
            "takeone webhooks listen --path /hooks --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ],
    )
    add_server_arguments(parser, 8788)
    parser.add_argument("--path", default="/webhooks", help="route")
    parser.add_argument(
        "--token", help="require ?token=TOKEN in the URL (default: no token needed)"
    )
    parser.add_argument(
        "--secret",
        metavar="whsec_...",
        help="require a Standard Webhooks signature (default: none)",
    )
    parser.set_defaults(run=run_listen, command_name="webhooks listen")


def _listen_auth(args: argparse.Namespace) -> list[Authenticator] | None:
    checks: list[Authenticator] = []
    if args.token:
        checks.append(QueryToken("token", args.token))
    if args.secret:
        try:
            checks.append(StandardWebhooksSignature(args.secret))
        except WebhookConfigError as exc:
            raise CommandError(f"--secret: {exc}") from None
    return checks or None


def run_listen(args: argparse.Namespace) -> int:
    if not args.path.startswith("/"):
        raise CommandError(f"--path must start with '/', got {args.path!r:.80}")
    return asyncio.run(serve_listen(args, _listen_auth(args)))


async def serve_listen(
    args: argparse.Namespace,
    auth: list[Authenticator] | None,
    until: Callable[[], Awaitable[None]] = wait_for_stop,
) -> int:
    """Receive until ``until()`` returns, printing one line per event."""
    from aiohttp import web

    from .aiohttp import add_webhook_route

    router = WebhookRouter()

    @router.on_any
    async def print_event(event: WebhookEvent) -> None:
        print(describe(event), flush=True)

    app = web.Application()
    add_webhook_route(app, args.path, router, auth=auth)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, args.host, args.port).start()
        except OSError as exc:
            raise listen_error(args.host, args.port, exc) from None
        host, port = runner.addresses[0][:2]
        print(f"listening on http://{host}:{port}{args.path}", flush=True)
        await until()
    finally:
        await runner.cleanup()
    return 0


# -- send -------------------------------------------------------------------------------------


def add_send(subcommands: Any) -> None:
    """``takeone webhooks send TYPE --url URL``: POST the documented sample event."""
    parser = add_command_parser(
        subcommands,
        "send",
        help="POST a sample event to a receiver",
        description=(
            "POST a documented-shape sample event (timestamped now) to a receiver and print its "
            "answer; exits 1 unless the receiver answers 2xx."
        ),
        examples=[
            "takeone webhooks send project_published --url 'http://127.0.0.1:8788/webhooks?token=dev-token'",
            "takeone webhooks send project_status_change --url http://127.0.0.1:8080/hooks/TOKEN"
            " --project-id p-1",
        ],
    )
    parser.add_argument("type", choices=EVENT_TYPES, metavar="TYPE", help=", ".join(EVENT_TYPES))
    parser.add_argument("--url", required=True, help="the receiver's URL, its token included")
    parser.add_argument(
        "--secret",
        metavar="whsec_...",
        help="sign it the Standard Webhooks way (default: unsigned)",
    )
    parser.add_argument(
        "--project-id", help="the project id to put in the event (default: the sample's)"
    )
    parser.add_argument(
        "--timeout", type=positive_seconds, default=10.0, help="seconds to wait for the answer"
    )
    parser.set_defaults(run=run_send, command_name="webhooks send")


def _shown(url: str) -> str:
    """``url`` as the command prints it (often into a CI log): no password or query value, and
    for a URL without either, whose secret if any is a path token, no final path segment."""
    return redact_url(url, path_token=None)


def run_send(args: argparse.Namespace) -> int:
    if not is_http_url(args.url):
        raise CommandError(f"--url must be an http(s) URL, got {_shown(args.url)!r:.80}")
    keys = []
    if args.secret:
        try:
            keys.append(signing.decode_secret(args.secret))
        except ValueError as exc:
            raise CommandError(f"--secret: {exc}") from None
    return asyncio.run(send(args, keys))


async def send(args: argparse.Namespace, keys: list[bytes]) -> int:
    """POST the sample event; raise :class:`CommandError` unless the receiver answers 2xx."""
    import aiohttp

    event = sample_event(args.type, timestamp=int(time.time()), project_id=args.project_id)
    body = encode_event(event)
    headers = delivery_headers(body, msg_id=new_message_id(), timestamp=int(time.time()), keys=keys)
    shown = _shown(args.url)
    try:
        async with aiohttp.ClientSession() as session:
            status = await post_event(session, args.url, body, headers, args.timeout)
    except TimeoutError:
        raise CommandError(f"{shown} did not answer within {args.timeout:g}s") from None
    except aiohttp.ClientError as exc:
        cause = getattr(exc, "os_error", None) or exc
        raise CommandError(f"cannot reach {shown}: {os_reason(cause)}") from None
    print(f"sent {args.type} to {shown} -> {status}", flush=True)
    if not 200 <= status < 300:
        raise CommandError(f"the receiver answered {status}")
    return 0


SUBCOMMANDS: list[Callable[[Any], None]] = [
    add_listen,
    add_send,
    add_worker,
    add_dead_letters,
    add_reconcile,
]
"""The ``takeone webhooks`` subcommands, each adding itself to the subparsers."""
