"""``delivery_key``: the idempotency key of a delivery, from its payload's canonical JSON."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ._json import UNPAIRED
from .errors import WebhookPayloadError

__all__ = ["delivery_key"]

_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def delivery_key(payload: Any) -> str:
    """Hex SHA-256 of the payload's canonical JSON (keys sorted, no whitespace, UTF-8): the same
    event re-serialised gives the same key, so it serves as an idempotency key (TakeOne sends
    no delivery id)."""
    try:
        canonical = _CANONICAL.encode(payload).encode("utf-8")
    except UnicodeEncodeError:
        raise WebhookPayloadError(UNPAIRED) from None
    except RecursionError:  # orjson reads 1024 levels; the encoder stops near 1000
        raise WebhookPayloadError("invalid JSON: nested too deeply for a delivery key") from None
    return hashlib.sha256(canonical).hexdigest()
