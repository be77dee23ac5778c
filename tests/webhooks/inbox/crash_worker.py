"""The worker of the crash tests: the library's ``Worker`` with the crash handlers, on an inbox
that writes down, for each delivery it hands out, when the ``claim`` that handed it out began
(a moment no later than the claim itself) into the effects file.

Usage: ``crash_worker.py INBOX_URL CONSUMER``; the handlers' settings come from the
environment (see ``crash_handlers``). SIGTERM stops it gracefully (exit code 0).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from tests.webhooks.inbox.crash_handlers import connect, router
from webhooks.inbox import Delivery, Inbox, open_inbox
from webhooks.worker import Worker

CONCURRENCY = 8
MAX_ATTEMPTS = 3


class ClaimLog:
    """An inbox passing every call through, and logging what each ``claim`` handed out."""

    def __init__(self, inbox: Inbox, path: str) -> None:
        self._inbox = inbox
        self._db = connect(path)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inbox, name)

    async def claim(self, consumer: str, limit: int, *, wait: float = 0.0) -> Sequence[Delivery]:
        began = time.time()
        found = await self._inbox.claim(consumer, limit, wait=wait)
        if found:
            self._db.executemany(
                "INSERT INTO claims VALUES (?, ?, ?)", [(d.key, consumer, began) for d in found]
            )
        return found


async def main(url: str, consumer: str) -> None:
    async with open_inbox(url) as inbox:
        logged: Any = ClaimLog(inbox, os.environ["EFFECTS_DB"])
        worker = Worker(
            logged,
            router,
            concurrency=CONCURRENCY,
            max_attempts=MAX_ATTEMPTS,
            backoff=0.02,
            poll_interval=0.05,
            consumer=consumer,
        )
        stats = await worker.run()
        print(f"{consumer}: {stats}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
