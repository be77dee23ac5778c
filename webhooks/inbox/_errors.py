"""Inbox errors: part of the ``webhooks`` error tree (``WebhookError``)."""

from __future__ import annotations

from ..errors import WebhookError

__all__ = ["InboxError", "InboxMissingError", "InboxSchemaError"]


class InboxError(WebhookError):
    """The inbox's storage failed or is unusable; a receiver answers 503 so the sender retries."""

    status = 503


class InboxSchemaError(InboxError):
    """The storage holds something this version cannot use (a newer schema, not an inbox)."""


class InboxMissingError(InboxError):
    """``open_inbox(url, create=False)`` found no inbox there (a SQLite file that does not exist)."""
