"""A local TakeOne: the documented API on loopback, the project life cycle, real webhooks.

::

    async with Sandbox(webhook_urls=["http://127.0.0.1:8080/hooks"], publish_delay=0.1) as sandbox:
        async with sandbox.client() as client:
            ...
        await sandbox.complete_recording(project.id)   # the app user's part
"""

from ..urls import redact_url
from ._engine import Delays
from ._errors import (
    SandboxError,
    SandboxNotFoundError,
    SandboxStateError,
    SandboxValidationError,
)
from ._events import (
    EVENT_TYPES,
    build_event,
    delivery_headers,
    encode_event,
    new_message_id,
    sample_event,
    stale_event,
)
from ._faults import FAILURES, FaultKind, FaultRule, Faults, Injected
from ._sender import Delivery, DeliveryAttempt, post_event
from ._server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Sandbox
from ._store import Store

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "EVENT_TYPES",
    "FAILURES",
    "Delays",
    "Delivery",
    "DeliveryAttempt",
    "FaultKind",
    "FaultRule",
    "Faults",
    "Injected",
    "Sandbox",
    "SandboxError",
    "SandboxNotFoundError",
    "SandboxStateError",
    "SandboxValidationError",
    "Store",
    "build_event",
    "delivery_headers",
    "encode_event",
    "new_message_id",
    "post_event",
    "redact_url",
    "sample_event",
    "stale_event",
]
