"""A router for the CLI tests: counts its events and sends SIGTERM to its own process after
``STOP_AFTER`` of them, so ``takeone webhooks worker`` stops the way it would in production."""

from __future__ import annotations

import os
import signal

from webhooks import WebhookEvent, WebhookRouter

STOP_AFTER = 3
handled: list[str] = []
router = WebhookRouter()
not_a_router = object()


@router.on_any
async def count(event: WebhookEvent) -> None:
    handled.append(event.delivery_key)
    if len(handled) == STOP_AFTER:
        os.kill(os.getpid(), signal.SIGTERM)


failing = WebhookRouter()


@failing.on_any
async def fail(event: WebhookEvent) -> None:
    raise RuntimeError(f"handler bug on {event.project_id}")
