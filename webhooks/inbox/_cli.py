"""``takeone webhooks worker``, ``dead-letters list|replay`` and ``reconcile``: the inbox's
subcommands, listed in ``webhooks.cli.SUBCOMMANDS`` in that module's style (an ``add_<name>``
per subcommand setting ``run`` and ``command_name``; a ``CommandError`` becomes one line)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from takeone_async import TakeOneClient, TakeOneError
from takeone_async.cli import CommandError, add_command_parser, positive_int, positive_seconds

from ..errors import WebhookError
from ..router import WebhookRouter
from ._errors import InboxMissingError
from ._types import Inbox
from ._url import open_inbox, redact

__all__ = [
    "add_dead_letters",
    "add_reconcile",
    "add_worker",
    "load_router",
    "positive_int",
    "positive_seconds",
    "run_dead_letters_list",
    "run_dead_letters_replay",
    "run_reconcile",
    "run_worker",
]

MIN_PREFIX = 8
"""The fewest characters of a delivery key the dead-letter commands take (the log shows 12)."""
_EVERY = 10**9

INBOX_HELP = (
    "sqlite:///path.db (relative; sqlite:////abs/path.db), redis://host:port/db or rediss://"
)


def _inbox_argument(parser: argparse.ArgumentParser, *, creates: bool = False) -> None:
    """``--inbox`` (and ``--create`` for a command that may start before any receiver)."""
    parser.add_argument("--inbox", required=True, metavar="URL", help=INBOX_HELP)
    if creates:
        parser.add_argument(
            "--create",
            action="store_true",
            help="create the SQLite inbox if it does not exist (default: refuse a missing file)",
        )
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="log level",
    )


def _open(args: argparse.Namespace) -> Inbox:
    """The inbox ``--inbox`` names; a missing SQLite file (a mistyped path would be a new, empty
    inbox) or ``memory://`` (empty in every process) is a :class:`CommandError`."""
    if args.inbox.partition("://")[0] == "memory":
        raise CommandError(
            "--inbox memory:// is empty in every new process: give the receiver's inbox "
            "(sqlite:///path.db or redis://host:port/db)"
        )
    try:
        return open_inbox(args.inbox, create=getattr(args, "create", False))
    except InboxMissingError as exc:
        hint = "check the path, or pass --create" if "create" in args else "check the path"
        raise CommandError(f"{exc}; {hint}") from None
    except WebhookError as exc:
        raise CommandError(str(exc)) from None


def _run(args: argparse.Namespace, body: Callable[[Inbox], Awaitable[int]]) -> int:
    """Open ``--inbox``, run ``body`` with it, close it; storage errors become one line."""
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    inbox = _open(args)

    async def main() -> int:
        async with inbox:
            return await body(inbox)

    try:
        return asyncio.run(main())
    except WebhookError as exc:
        raise CommandError(str(exc)) from None
    except TakeOneError as exc:
        raise CommandError(str(exc)) from None


def load_router(spec: str) -> WebhookRouter:
    """The ``WebhookRouter`` named ``package.module:attribute`` (the current directory is
    importable, as with ``python -m``)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise CommandError(f"--router must look like package.module:router, got {spec!r:.80}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise CommandError(
            f"--router: cannot import {module_name!r}: {type(exc).__name__}: {exc}"
        ) from None
    router = getattr(module, attribute, None)
    if not isinstance(router, WebhookRouter):
        found = "nothing" if router is None else type(router).__name__
        raise CommandError(f"--router: {spec} is {found}, not a WebhookRouter")
    return router


# -- worker -----------------------------------------------------------------------------------


def add_worker(subcommands: Any) -> None:
    """``takeone webhooks worker``: handle the inbox's deliveries until SIGTERM."""
    parser = add_command_parser(
        subcommands,
        "worker",
        help="handle the deliveries stored in an inbox",
        description=(
            "Claim deliveries from the inbox and run them through a router: in order per "
            "project, retried with back-off, dead-lettered after --max-attempts. SIGTERM or "
            "Ctrl-C finishes the deliveries in flight and exits."
        ),
        examples=[
            "takeone webhooks worker --inbox sqlite:///inbox.db --router myapp.hooks:router",
            "takeone webhooks worker --inbox redis://127.0.0.1:6379/0 --router myapp.hooks:router"
            " --concurrency 16",
        ],
    )
    _inbox_argument(parser, creates=True)
    parser.add_argument(
        "--router", required=True, metavar="MODULE:NAME", help="the WebhookRouter to run"
    )
    parser.add_argument(
        "--concurrency", type=positive_int, default=8, help="projects handled at once"
    )
    parser.add_argument(
        "--max-attempts", type=positive_int, default=5, help="attempts before a dead letter"
    )
    parser.add_argument(
        "--backoff", type=positive_seconds, default=1.0, help="first retry delay, in seconds"
    )
    parser.add_argument(
        "--poll-interval",
        type=positive_seconds,
        default=0.5,
        help="seconds between looks at an empty inbox",
    )
    parser.add_argument("--consumer", help="this worker's name (default: host-pid)")
    parser.set_defaults(run=run_worker, command_name="webhooks worker")


def run_worker(args: argparse.Namespace) -> int:
    from ..worker import Worker

    router = load_router(args.router)

    async def work(inbox: Inbox) -> int:
        worker = Worker(
            inbox,
            router,
            concurrency=args.concurrency,
            max_attempts=args.max_attempts,
            backoff=args.backoff,
            poll_interval=args.poll_interval,
            consumer=args.consumer,
        )
        print(f"worker {worker.consumer} on {redact(args.inbox)}", flush=True)
        stats = await worker.run()
        print(
            f"worker {worker.consumer} stopped: {stats.handled} handled, {stats.retried} "
            f"retried, {stats.dead_lettered} dead-lettered, {stats.skipped_stale} stale",
            flush=True,
        )
        return 0

    return _run(args, work)


# -- dead-letters -----------------------------------------------------------------------------


def add_dead_letters(subcommands: Any) -> None:
    """``takeone webhooks dead-letters list|replay``."""
    parser = add_command_parser(
        subcommands,
        "dead-letters",
        help="list or replay deliveries that failed every attempt",
        description=(
            "A delivery whose handlers failed --max-attempts times is a dead letter: kept with "
            "its last error, handled no more. List them, fix the cause, then replay them."
        ),
        examples=[
            "takeone webhooks dead-letters list --inbox sqlite:///inbox.db",
            "takeone webhooks dead-letters replay --inbox sqlite:///inbox.db b0cb6cc6fe72",
            "takeone webhooks dead-letters replay --inbox sqlite:///inbox.db --all",
        ],
    )
    actions = parser.add_subparsers(dest="dead_letters_action", metavar="ACTION", required=True)
    listing = add_command_parser(
        actions,
        "list",
        help="one line per dead letter, oldest first",
        description=(
            "Print one line per dead letter, oldest first: when it failed, its delivery key, "
            "the event type, the project, the attempts and the last error."
        ),
        examples=["takeone webhooks dead-letters list --inbox sqlite:///inbox.db --limit 20"],
    )
    _inbox_argument(listing)
    listing.add_argument(
        "--limit", type=positive_int, default=100, help="most dead letters to print"
    )
    listing.set_defaults(run=run_dead_letters_list, command_name="webhooks dead-letters list")
    replay = add_command_parser(
        actions,
        "replay",
        help="hand dead letters to the workers again",
        description=(
            "Put dead letters back in the inbox as pending, with their attempts reset, for the "
            f"workers to handle again. A KEY is a delivery key or any prefix of {MIN_PREFIX} or "
            "more characters that names one dead letter (the worker logs 12)."
        ),
        examples=[
            "takeone webhooks dead-letters replay --inbox sqlite:///inbox.db b0cb6cc6fe72",
            "takeone webhooks dead-letters replay --inbox redis://127.0.0.1:6379/0 --all",
        ],
    )
    _inbox_argument(replay)
    replay.add_argument("keys", nargs="*", metavar="KEY", help="delivery keys or key prefixes")
    replay.add_argument("--all", action="store_true", help="replay every dead letter")
    replay.set_defaults(run=run_dead_letters_replay, command_name="webhooks dead-letters replay")


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def run_dead_letters_list(args: argparse.Namespace) -> int:
    async def show(inbox: Inbox) -> int:
        letters = await inbox.dead_letters(limit=args.limit)
        for d in letters:
            when = d.failed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
            print(
                f"{when} {d.key} {d.type} project={d.project_id or '-'} attempts={d.attempts} "
                f"error={_one_line(d.error)}"
            )
        print(f"{len(letters)} dead letter(s)", flush=True)
        return 0

    return _run(args, show)


def run_dead_letters_replay(args: argparse.Namespace) -> int:
    if bool(args.keys) == bool(args.all):
        raise CommandError("give the delivery keys to replay, or --all (not both)")
    short = [key for key in args.keys if len(key) < MIN_PREFIX]
    if short:
        raise CommandError(
            f"a delivery key prefix needs {MIN_PREFIX} or more characters, got {short[0]!r:.80}"
        )

    async def replay(inbox: Inbox) -> int:
        keys = None if args.all else await _dead_letter_keys(inbox, args.keys)
        count = await inbox.replay(keys)
        print(f"replayed {count} dead letter(s)", flush=True)
        return 0

    return _run(args, replay)


async def _dead_letter_keys(inbox: Inbox, given: list[str]) -> list[str]:
    """The full key of the one dead letter each given key or prefix names."""
    keys = [letter.key for letter in await inbox.dead_letters(limit=_EVERY)]
    found = []
    for prefix in dict.fromkeys(given):
        matches = [key for key in keys if key.startswith(prefix)]
        if not matches:
            raise CommandError(f"{prefix} is not a dead letter (see dead-letters list)")
        if len(matches) > 1:
            raise CommandError(f"{prefix} names {len(matches)} dead letters: give more of the key")
        found.append(matches[0])
    return list(dict.fromkeys(found))


# -- reconcile --------------------------------------------------------------------------------


def add_reconcile(subcommands: Any) -> None:
    """``takeone webhooks reconcile``: catch up with the API after an outage."""
    parser = add_command_parser(
        subcommands,
        "reconcile",
        help="append events for projects that changed while no receiver listened",
        description=(
            "List projects through the API (TAKEONE_CLIENT_ID, TAKEONE_CLIENT_SECRET, "
            "TAKEONE_BASE_URL) and append a synthetic project_status_change to the inbox for "
            "each one whose state moved past what the inbox has seen."
        ),
        examples=[
            "takeone webhooks reconcile --inbox sqlite:///inbox.db",
            "takeone webhooks reconcile --inbox sqlite:///inbox.db --user USER_ID --interval 600",
        ],
    )
    _inbox_argument(parser, creates=True)
    parser.add_argument(
        "--video-container",
        action="append",
        default=[],
        metavar="ID",
        help="only this container's projects; repeatable (default: every project)",
    )
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="ID",
        help="only this app user's projects; repeatable (default: every project)",
    )
    parser.add_argument(
        "--skip-unseen", action="store_true", help="ignore projects the inbox never saw"
    )
    parser.add_argument(
        "--interval",
        type=positive_seconds,
        metavar="SECONDS",
        help="run again every SECONDS until SIGTERM (default: once)",
    )
    parser.set_defaults(run=run_reconcile, command_name="webhooks reconcile")


def run_reconcile(args: argparse.Namespace) -> int:
    from ..reconcile import reconcile, reconcile_every

    client = _client_from_env()
    scope: dict[str, Any] = {
        "video_containers": args.video_container,
        "users": args.user,
        "include_unseen": not args.skip_unseen,
    }

    async def run(inbox: Inbox) -> int:
        async with client:
            if args.interval is None:
                report = await reconcile(client, inbox, **scope)
                print(
                    f"checked {report.checked} project(s), appended {report.appended} "
                    "reconciled event(s)",
                    flush=True,
                )
                return 0
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            total = await reconcile_every(client, inbox, args.interval, stop=stop, **scope)
            print(f"stopped: appended {total} reconciled event(s)", flush=True)
            return 0

    return _run(args, run)


def _client_from_env() -> TakeOneClient:
    """``TakeOneClient.from_env()``; a missing or unusable setting is a :class:`CommandError`
    naming the variable (the URL shown without its password)."""
    if not all(os.environ.get(k) for k in ("TAKEONE_CLIENT_ID", "TAKEONE_CLIENT_SECRET")):
        raise CommandError("set TAKEONE_CLIENT_ID and TAKEONE_CLIENT_SECRET in the environment")
    try:
        return TakeOneClient.from_env()
    except (TakeOneError, ValueError) as exc:
        # the credentials are non-empty strings, so the base URL is what the client refused;
        # its message already shows the URL without password, user name or query values
        reason = str(exc).removeprefix("TakeOneClient: base_url ")
        raise CommandError(f"TAKEONE_BASE_URL {reason}") from None
