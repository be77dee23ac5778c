"""Every error the ``webhooks`` package raises, rooted in :class:`WebhookError`.

::

    WebhookError                                status 500 unless a subclass says otherwise
    ├── WebhookAuthError                        a delivery failed authentication; answer 401
    ├── WebhookPayloadError (also ValueError)   the body is not a valid event; answer 400
    ├── WebhookConfigError (also ValueError)    a route, check, filter, inbox or worker set up
    │                                           wrongly (raised where it is created)
    ├── HandlerError                            handlers raised while dispatching; answer 500
    └── InboxError (webhooks.inbox)             the inbox's storage failed; answer 503
        └── InboxSchemaError                    the storage holds a schema this version cannot use

``status`` is what a receiver answers for the error; messages name the offending field or
argument and never hold a secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from .events import WebhookEvent

__all__ = [
    "HandlerError",
    "WebhookAuthError",
    "WebhookConfigError",
    "WebhookError",
    "WebhookPayloadError",
]


class WebhookError(Exception):
    """Base class of every error raised by ``webhooks``."""

    status: ClassVar[int] = 500
    """The HTTP status a receiver answers for this error."""


class WebhookAuthError(WebhookError):
    """A delivery that no authenticator accepted (the answer carries no detail)."""

    status = 401


class WebhookPayloadError(WebhookError, ValueError):
    """A delivery body that is not a valid TakeOne event; ``field`` locates the problem."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


class WebhookConfigError(WebhookError, ValueError):
    """A route, authenticator, filter, inbox or worker configured wrongly (raised at set-up,
    never per request or per delivery)."""


class HandlerError(WebhookError):
    """One or more handlers raised for ``event``; ``errors`` holds their exceptions in order."""

    status = 500

    def __init__(self, event: WebhookEvent, errors: Sequence[Exception]) -> None:
        self.event = event
        self.errors = tuple(errors)
        names = ", ".join(type(e).__name__ for e in self.errors)
        super().__init__(f"{len(self.errors)} handler(s) failed for {event.type!r} event: {names}")
