"""Receive TakeOne webhooks: typed events, endpoint authentication, a router, filters.

The aiohttp route lives in :mod:`webhooks.aiohttp`. The modules exported here (events, parsing,
auth, router, filters) do not use aiohttp, and importing ``webhooks`` loads none;
:mod:`webhooks.aiohttp`, :mod:`webhooks.cli` and :mod:`webhooks.reconcile` (through
``TakeOneClient``) do.
"""

from ._json import delivery_key
from .auth import (
    AnyOf,
    Authenticator,
    BasicAuth,
    PathToken,
    QueryToken,
    RequestView,
    StandardWebhooksSignature,
)
from .errors import HandlerError, WebhookConfigError, WebhookError, WebhookPayloadError
from .events import (
    EVENT_TYPES,
    ProjectEvent,
    ProjectPublished,
    ProjectStatusChange,
    ProjectSummary,
    ProjectUnpublished,
    UnknownEvent,
    VideoContainerSummary,
    WebhookEvent,
)
from .filters import Deduplicate, DropStale, EventFilter
from .parsing import parse_event
from .router import WebhookRouter

__all__ = [
    "EVENT_TYPES",
    "AnyOf",
    "Authenticator",
    "BasicAuth",
    "Deduplicate",
    "DropStale",
    "EventFilter",
    "HandlerError",
    "PathToken",
    "ProjectEvent",
    "ProjectPublished",
    "ProjectStatusChange",
    "ProjectSummary",
    "ProjectUnpublished",
    "QueryToken",
    "RequestView",
    "StandardWebhooksSignature",
    "UnknownEvent",
    "VideoContainerSummary",
    "WebhookConfigError",
    "WebhookError",
    "WebhookEvent",
    "WebhookPayloadError",
    "WebhookRouter",
    "delivery_key",
    "parse_event",
]
