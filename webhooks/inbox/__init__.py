"""Durable inboxes: store each webhook delivery before answering 2xx, handle it later.

``MemoryInbox`` (tests), ``SQLiteInbox(path)`` (one machine) and ``RedisStreamInbox(url)``
(many machines; needs ``takeone-async[redis]``, imported only when first used) all implement
the :class:`Inbox` protocol and one ordering contract (each project's oldest unfinished delivery
first, one consumer per project, atomic claims; staleness judged within a family of related
facts): see ``webhooks.inbox._types``. :func:`open_inbox` picks one from a URL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import InboxError, InboxMissingError, InboxSchemaError
from ._memory import MemoryInbox
from ._sqlite import SQLiteInbox
from ._types import DeadLetter, Delivery, Inbox, InboxCounts, ProjectMark, StaleRecord
from ._url import open_inbox

if TYPE_CHECKING:
    from ._redis import RedisStreamInbox

__all__ = [
    "DeadLetter",
    "Delivery",
    "Inbox",
    "InboxCounts",
    "InboxError",
    "InboxMissingError",
    "InboxSchemaError",
    "MemoryInbox",
    "ProjectMark",
    "RedisStreamInbox",
    "SQLiteInbox",
    "StaleRecord",
    "open_inbox",
]


def __getattr__(name: str) -> Any:
    if name == "RedisStreamInbox":
        from ._redis import RedisStreamInbox

        return RedisStreamInbox
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
