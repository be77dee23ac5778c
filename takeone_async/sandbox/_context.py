"""What the aiohttp handlers share: the state, the engine, the sender and the settings."""

from __future__ import annotations

import attrs
from aiohttp import web

from ._engine import Engine
from ._faults import Faults
from ._sender import WebhookSender
from ._store import Store

__all__ = ["CONTEXT", "Context"]


@attrs.define
class Context:
    """One sandbox's moving parts; ``faults`` may be swapped while it runs."""

    store: Store
    engine: Engine
    sender: WebhookSender
    credentials: tuple[bytes, bytes] = attrs.field(repr=False)  # client id, client secret
    page_size: int = 10
    max_page_size: int = 100
    faults: Faults | None = None


CONTEXT = web.AppKey("takeone_sandbox", Context)
