"""The worker process of the worker example: handles what the receiver stored.

Events of one project run one after another in order of ``modified_date_time``; projects run
in parallel; failures are retried with back-off and dead-lettered after ``max_attempts``;
SIGTERM or Ctrl-C finishes the events in flight first::

    python examples/worker/worker.py --inbox sqlite:///inbox.db
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from handlers import router

from webhooks.inbox import open_inbox
from webhooks.worker import Worker


async def work(inbox_url: str) -> None:
    async with open_inbox(inbox_url) as inbox:
        worker = Worker(inbox, router, concurrency=8, max_attempts=5, backoff=1.0)
        stats = await worker.run()  # until SIGTERM or Ctrl-C
        done = f"{stats.handled} handled, {stats.skipped_stale} stale"
        print(f"stopped: {done}, {stats.dead_lettered} dead")


def main() -> None:
    from webhooks import WebhookError  # here, so the code above reads as the README shows it

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inbox", required=True, help="sqlite:///path.db or redis://host:port/db")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print("worker started", flush=True)
    try:
        asyncio.run(work(args.inbox))
    except WebhookError as exc:  # the inbox cannot be opened: Redis down, a folder missing...
        sys.exit(f"worker: {exc}")


if __name__ == "__main__":
    main()
