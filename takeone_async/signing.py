"""Standard Webhooks signing (https://www.standardwebhooks.com): pure and public, shared by the
sandbox that signs deliveries, ``takeone_async.testing`` and the ``webhooks`` package that
verifies them.

::

    key = decode_secret("whsec_...")
    header = signature_header([key], msg_id, timestamp, body)  # the webhook-signature value
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

__all__ = ["SECRET_PREFIX", "decode_secret", "sign", "signature_header"]

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret


def decode_secret(secret: str | bytes) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (raw bytes are used as they are)."""
    if isinstance(secret, bytes):
        key = secret
    else:
        encoded = secret.removeprefix(SECRET_PREFIX)
        encoded += "=" * (-len(encoded) % 4)  # unpadded secrets are accepted, as upstream does
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(
                "a Standard Webhooks secret must be 'whsec_' followed by base64"
            ) from None
    if not key:
        raise ValueError("a Standard Webhooks secret must not be empty")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The base64 HMAC-SHA256 of ``id.timestamp.body`` (without the ``v1,`` prefix)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def signature_header(keys: list[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """A ``webhook-signature`` header value with one ``v1,<sig>`` per key (secret rotation)."""
    return " ".join(f"v1,{sign(key, msg_id, timestamp, body)}" for key in keys)
