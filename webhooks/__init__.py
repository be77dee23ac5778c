"""Receive TakeOne webhooks: typed events, endpoint authentication, a router, filters.

The aiohttp route lives in :mod:`webhooks.aiohttp`, on top of :func:`receive` (authenticate,
then parse), which any other web framework can call as well. The modules exported here
(events, parsing, receiving, auth, router, filters) do not use aiohttp, and importing
``webhooks`` loads none; :mod:`webhooks.aiohttp`, :mod:`webhooks.cli` and
:mod:`webhooks.reconcile` (through ``TakeOneClient``) do.

The import name ``webhooks`` is also that of an unrelated project on PyPI; installed in the same
environment, the two overwrite each other's files, so importing this package then warns in one
line with the fix.
"""

import warnings

from takeone_async import __version__
from takeone_async.cli import name_clash

from ._delivery_key import delivery_key
from .auth import (
    AnyOf,
    Authenticator,
    BasicAuth,
    PathToken,
    QueryToken,
    RequestView,
    StandardWebhooksSignature,
)
from .errors import (
    HandlerError,
    WebhookAuthError,
    WebhookConfigError,
    WebhookError,
    WebhookPayloadError,
)
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
from .receiving import receive
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
    "WebhookAuthError",
    "WebhookConfigError",
    "WebhookError",
    "WebhookEvent",
    "WebhookPayloadError",
    "WebhookRouter",
    "__version__",
    "delivery_key",
    "parse_event",
    "receive",
]

_clash = name_clash(__name__, "takeone-async")
if _clash is not None:
    warnings.warn(_clash, RuntimeWarning, stacklevel=2)
