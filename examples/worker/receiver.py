"""The receiver process of the worker example: authenticate, parse, store in the inbox, answer.

It never runs a handler: a delivery is answered 2xx only once it is durably stored, and the
worker process (``worker.py``) handles it later, retried and in order. Secret in the
environment, not on the command line::

    WEBHOOK_TOKEN=... python examples/worker/receiver.py --inbox sqlite:///inbox.db --port 8080
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import AsyncIterator

from aiohttp import web

from webhooks import QueryToken
from webhooks.aiohttp import add_webhook_route
from webhooks.inbox import open_inbox


def build_app(inbox_url: str, token: str) -> web.Application:
    app = web.Application()
    inbox = open_inbox(inbox_url)  # sqlite:///inbox.db or redis://127.0.0.1:6379/0

    async def lifespan(app: web.Application) -> AsyncIterator[None]:
        async with inbox:  # opens (creates or migrates) the store before the first request
            yield

    app.cleanup_ctx.append(lifespan)
    add_webhook_route(app, "/takeone/webhooks", None, auth=QueryToken("token", token), inbox=inbox)
    return app


def main() -> None:
    from webhooks import WebhookError  # here, so the code above reads as the README shows it

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inbox", required=True, help="sqlite:///path.db or redis://host:port/db")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    token = os.environ.get("WEBHOOK_TOKEN")
    if not token:
        sys.exit("receiver: set WEBHOOK_TOKEN (a long random string) in the environment")
    where = f"http://{args.host}:{args.port}/takeone/webhooks"
    try:
        web.run_app(
            build_app(args.inbox, token),
            host=args.host,
            port=args.port,
            print=lambda _: print(f"receiving on {where}", flush=True),  # once it listens
        )
    except OSError as exc:  # the port is taken, or the host is not an address of this machine
        reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
        sys.exit(f"receiver: cannot listen on {args.host}:{args.port}: {reason}")
    except WebhookError as exc:  # the inbox cannot be opened: Redis down, a folder missing...
        sys.exit(f"receiver: {exc}")


if __name__ == "__main__":
    main()
