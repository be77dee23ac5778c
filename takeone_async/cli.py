"""The ``takeone`` command: ``takeone sandbox`` runs the emulator; other packages add commands
through the ``takeone.commands`` entry-point group (``takeone webhooks ...`` comes from the
``webhooks`` package that way), so this package never imports them by name.

An entry point names a function taking the subparsers (``commands.add_parser(...)``). Each
command sets ``run`` (a function taking the parsed arguments and returning the exit status) and
``command_name`` as parser defaults; a :class:`CommandError` it raises becomes one
``takeone <command_name>: <message>`` line on stderr and status 1. The helpers here
(:class:`CommandError`, :func:`add_server_arguments`, the argparse types ...) are public for
those commands.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import math
import os
import signal
import sys
import textwrap
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ._version import __version__
from .errors import TakeOneError

__all__ = [
    "COMMANDS_GROUP",
    "CommandError",
    "HelpFormatter",
    "add_command",
    "add_command_parser",
    "add_sandbox",
    "add_server_arguments",
    "build_parser",
    "listen_error",
    "main",
    "name_clash",
    "os_reason",
    "port_number",
    "positive_int",
    "positive_seconds",
    "run_sandbox",
    "serve_sandbox",
    "wait_for_stop",
]


COMMANDS_GROUP = "takeone.commands"
"""The entry-point group whose functions add commands to ``takeone``."""


class CommandError(TakeOneError):
    """A failure the command line reports as one line, without a traceback."""


async def wait_for_stop() -> None:
    """Return on SIGINT or SIGTERM (a server command's main loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


def listen_error(host: str, port: int, exc: OSError) -> CommandError:
    """The one-line reason a server could not listen (port taken, address not here, ...)."""
    return CommandError(f"cannot listen on {host}:{port}: {os_reason(exc)}")


def os_reason(exc: BaseException) -> str:
    """``connection refused``, ``address already in use``...: the reason without the noise."""
    number = getattr(exc, "errno", None)
    if isinstance(number, int) and number > 0:
        return os.strerror(number).lower()
    reason = getattr(exc, "strerror", None)  # a DNS failure's errno is negative
    if isinstance(reason, str) and reason:
        return reason.lower()
    return str(exc) or type(exc).__name__


def positive_int(value: str) -> int:
    """An argparse ``type``: an integer >= 1, else a one-line usage error naming the value."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {value!r:.40}")
    return number


def positive_seconds(value: str) -> float:
    """An argparse ``type``: a finite number of seconds > 0, else a one-line usage error."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (number > 0 and math.isfinite(number)):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {value!r:.40}")
    return number


def port_number(value: str) -> int:
    """An argparse ``type``: a TCP port 0..65535 (0: any free port), else a one-line usage
    error rather than the OverflowError the server would raise when it binds."""
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 0-65535, got {value:.40}")
    return number


def _seconds(value: str) -> float:
    """An argparse ``type``: a finite number of seconds >= 0, else a one-line usage error."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (number >= 0 and math.isfinite(number)):
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {value!r:.40}")
    return number


def _probability(value: str) -> float:
    """An argparse ``type``: a share between 0 and 1, else a one-line usage error."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1, got {value!r:.40}")
    return number


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """``--help`` for every ``takeone`` command: the description and examples as written, and
    each option's default said one way, ``(default: X)``, where it has one worth saying."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            not action.option_strings
            or "%(default)" in text
            or default is None
            or default is False
            or default == []
            or default is argparse.SUPPRESS
        ):
            return text
        return f"{text} (default: %(default)s)"


def add_command_parser(
    commands: Any, name: str, *, help: str, description: str, examples: Sequence[str] = ()
) -> argparse.ArgumentParser:
    """A subcommand parser with the ``takeone`` help style: a description, then examples."""
    epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples) if examples else None
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help,
        description=textwrap.fill(description, 88),
        epilog=epilog,
        formatter_class=HelpFormatter,
    )
    return parser


def add_server_arguments(parser: argparse.ArgumentParser, port: int) -> None:
    """``--host`` (loopback by default) and ``--port`` for a command that listens."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--port", type=port_number, default=port, help="port; 0: any free port")


def add_sandbox(commands: Any) -> None:
    """``takeone sandbox``: the emulator on loopback until interrupted."""
    from .sandbox._server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

    parser = add_command_parser(
        commands,
        "sandbox",
        help="run a local TakeOne API that sends real webhooks",
        description=(
            "Run a local TakeOne API (all 25 endpoints, the project life cycle) that POSTs real "
            "webhooks to --webhook-url, until Ctrl-C or SIGTERM. Point a client at the printed "
            "URL with the --client-id and --client-secret below. Each delivery attempt is one "
            "line on stderr."
        ),
        examples=[
            "takeone sandbox --webhook-url 'http://127.0.0.1:8788/webhooks?token=dev-token'",
            "takeone sandbox --port 0 --publish-delay 0.1 --fault-rate 0.2 --fault-seed 7",
        ],
    )
    add_server_arguments(parser, 8787)
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="Basic auth user")
    parser.add_argument(
        "--client-secret", default=DEFAULT_CLIENT_SECRET, help="Basic auth password"
    )
    parser.add_argument(
        "--webhook-url",
        action="append",
        default=[],
        metavar="URL",
        help="POST every event here; repeatable (default: none)",
    )
    parser.add_argument(
        "--signing-secret",
        metavar="whsec_...",
        help="sign deliveries the Standard Webhooks way (default: unsigned)",
    )
    parser.add_argument(
        "--publish-delay", type=_seconds, default=1.0, help="seconds publishing takes"
    )
    parser.add_argument("--page-size", type=positive_int, default=10, help="items per list page")
    parser.add_argument(
        "--fault-rate",
        type=_probability,
        default=0.0,
        metavar="P",
        help="fail this share of API requests (429, 500, 503, dropped connections)",
    )
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of the fault choices")
    parser.set_defaults(run=run_sandbox, command_name="sandbox")


def run_sandbox(args: argparse.Namespace) -> int:
    return asyncio.run(serve_sandbox(args))


async def serve_sandbox(
    args: argparse.Namespace, until: Callable[[], Awaitable[None]] = wait_for_stop
) -> int:
    """Run the sandbox the arguments describe until ``until()`` returns."""
    from . import signing
    from .sandbox import Faults, Sandbox
    from .sandbox._sender import log_deliveries
    from .urls import is_http_url, redact_url

    for url in args.webhook_url:
        if not is_http_url(url):
            shown = redact_url(url, path_token=None)
            raise CommandError(f"--webhook-url must be an http(s) URL, got {shown!r:.80}")
    if args.signing_secret is not None:
        try:
            signing.decode_secret(args.signing_secret)
        except ValueError as exc:
            raise CommandError(f"--signing-secret: {exc}") from None
    faults = Faults.random(args.fault_rate, seed=args.fault_seed) if args.fault_rate else None
    try:
        sandbox = Sandbox(
            client_id=args.client_id,
            client_secret=args.client_secret,
            webhook_urls=args.webhook_url,
            signing_secret=args.signing_secret,
            publish_delay=args.publish_delay,
            page_size=args.page_size,
            max_page_size=max(100, args.page_size),
            faults=faults,
        )
    except TakeOneError as exc:
        raise CommandError(str(exc).removeprefix("Sandbox: ")) from None
    try:
        await sandbox.start(args.host, args.port)
    except OSError as exc:
        await sandbox.close()
        raise listen_error(args.host, args.port, exc) from None
    try:
        print(f"listening on {sandbox.url}", flush=True)
        with log_deliveries(sys.stderr):
            await until()
    finally:
        await sandbox.close()
    return 0


def add_command(commands: Any, entry_point: importlib.metadata.EntryPoint) -> None:
    """Add the command an entry point of :data:`COMMANDS_GROUP` registers; if its package
    cannot be imported, a command of that name that says so when run."""
    package = entry_point.module.partition(".")[0]
    reason = name_clash(package, entry_point.dist.name if entry_point.dist else None)
    if reason is None:
        try:
            register = entry_point.load()
        except ImportError as exc:
            reason = f"the {package} package cannot be imported ({exc})"
        else:
            register(commands)
            return
    parser = commands.add_parser(entry_point.name, help=f"(unavailable: the {package} package)")
    parser.add_argument("rest", nargs=argparse.REMAINDER)

    def unavailable(_: argparse.Namespace) -> int:
        raise CommandError(str(reason))

    parser.set_defaults(run=unavailable, command_name=entry_point.name)


def name_clash(package: str, owner: str | None) -> str | None:
    """Why ``package`` cannot be trusted, or None: an unrelated distribution of the same name
    (on PyPI, ``webhooks`` is another project) installs over the same folder."""
    try:
        other = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return None
    if owner is not None and other.name.replace("_", "-").lower() == owner.lower():
        return None
    return (
        f"the unrelated package '{other.name} {other.version}' is installed over the "
        f"'{package}' package of {owner or 'takeone-async'} (both use the import name "
        f"'{package}'); fix: pip uninstall -y {other.name} && pip install --force-reinstall "
        "--no-deps <your takeone-async clone>"
    )


def build_parser() -> argparse.ArgumentParser:
    """The full command line: ``sandbox`` and the commands of :data:`COMMANDS_GROUP`."""
    parser = argparse.ArgumentParser(
        prog="takeone",
        description=(
            "Tools for the TakeOne video API: a local sandbox of the API that sends real "
            "webhooks, and the webhook commands (COMMAND --help for each)."
        ),
        epilog=(
            "examples:\n"
            "  takeone sandbox --webhook-url 'http://127.0.0.1:8788/webhooks?token=dev-token'\n"
            "  takeone webhooks listen --port 8788 --token dev-token"
        ),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_sandbox(commands)
    for entry_point in sorted(
        importlib.metadata.entry_points(group=COMMANDS_GROUP), key=lambda e: e.name
    ):
        add_command(commands, entry_point)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``takeone``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    name = getattr(args, "command_name", args.command)
    try:
        status: int = args.run(args)
    except CommandError as exc:
        print(f"takeone {name}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return status
