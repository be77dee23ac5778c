"""``open_inbox(url)``: the inbox a URL names, for the CLI and for configuration by string."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from takeone_async.urls import redact_url

from ._errors import InboxError, InboxMissingError
from ._memory import MemoryInbox
from ._sqlite import SQLiteInbox

if TYPE_CHECKING:
    from ._types import Inbox

__all__ = ["open_inbox", "redact"]

_FLOATS = {"visibility_timeout", "retention", "busy_timeout", "dedup_ttl"}
_INTS = {"stale_maxlen", "max_connections"}


OPTIONS = frozenset(
    {"stream", "group", "visibility_timeout", "dedup_ttl", "stale_maxlen", "max_connections"}
    | {"synchronous", "retention", "busy_timeout"}
)
"""The query parameters ``open_inbox`` passes to an inbox: their values are shown in messages."""


def redact(url: str) -> str:
    """``url`` without its password (or a lone user name) or any query value but the inbox's
    options, fit for a log line or an error message (redis-py reads ``?password=`` too; a URL
    too broken to parse, such as ``redis://:pw@[::1/0``, loses everything before its ``@``)."""
    return redact_url(url, keep_query=OPTIONS)


def _options(query: str, where: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        try:
            options[name] = (
                float(value) if name in _FLOATS else int(value) if name in _INTS else value
            )
        except ValueError:
            raise InboxError(f"{where}: option {name!r} must be a number, not {value!r}") from None
    return options


def open_inbox(url: str, *, create: bool = True) -> Inbox:
    """``sqlite:///relative.db``, ``sqlite:////absolute.db``, ``redis://host:6379/0`` (also
    ``rediss://``) or ``memory://``; options go in the query (``?stream=...&group=...``,
    ``?visibility_timeout=30``, ``?synchronous=NORMAL``).

    ``create=False`` refuses a SQLite file that does not exist yet (:class:`InboxMissingError`),
    for tools that read an inbox a receiver made: a mistyped path would otherwise be a new,
    empty inbox."""
    scheme, _, rest = url.partition("://")
    where = f"open_inbox({redact(url)!r})"
    if not rest and scheme != "memory":
        raise InboxError(f"{where}: expected sqlite:///path, redis://host/db or memory://")
    path, _, query = rest.partition("?")
    try:
        if scheme == "sqlite":
            if not path.startswith("/") or path == "/":
                raise InboxError(f"{where}: expected sqlite:///path/to/inbox.db")
            if not create and not os.path.exists(path[1:]):
                raise InboxMissingError(
                    f"{where}: no inbox at {path[1:]!r}: the file does not exist (a receiver "
                    "with this inbox creates it when it starts)"
                )
            return SQLiteInbox(path[1:], **_options(query, where))
        if scheme in ("redis", "rediss", "unix"):
            from ._redis import RedisStreamInbox

            options = _options(query, where)
            base = urlunsplit(urlsplit(url)._replace(query=""))
            return RedisStreamInbox(base, **options)
        if scheme == "memory":
            return MemoryInbox(**_options(query, where))
    except (TypeError, ValueError) as exc:
        raise InboxError(f"{where}: {exc}") from None
    raise InboxError(f"{where}: unknown inbox scheme {scheme!r} (sqlite, redis, rediss, memory)")
