"""Endpoint authentication for deliveries TakeOne does not sign: pure checks over a small view
of the request (method, path, query, headers, body). No aiohttp here.

Every check compares in constant time (SHA-256 digests through ``hmac.compare_digest``, so not
even a secret's length leaks), keeps only what it needs of a secret, and shows none in its repr.
:class:`AnyOf` (or a list passed as ``auth=``) accepts a delivery that passes any one check,
which is how a secret is rotated without downtime. Failed checks log the reason at DEBUG on the
``webhooks.auth`` logger, never a secret or the value received.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Protocol, runtime_checkable

import attrs

from takeone_async.signing import decode_secret, sign

from ._redact import MASK
from .errors import WebhookConfigError

__all__ = [
    "AnyOf",
    "Authenticator",
    "BasicAuth",
    "PathToken",
    "QueryToken",
    "RequestView",
    "StandardWebhooksSignature",
    "as_authenticator",
    "iter_authenticators",
    "reads_body",
]

logger = logging.getLogger(__name__)


def _lower_keys(headers: Mapping[str, str]) -> Mapping[str, str]:
    if not headers:
        return headers
    return {key.lower(): value for key, value in headers.items()}


@attrs.frozen(repr=False)
class RequestView:
    """What the checks see of a request: ``path`` is percent-decoded, ``headers`` are looked up
    by lower-case name, ``query`` maps each name to its first value, ``body`` is the body with
    any ``Content-Encoding`` undone (empty if it could not be read).

    Its repr shows the method and the query and header names only: the path (a
    :class:`PathToken`), query values (a :class:`QueryToken`), headers (``Authorization``) and
    body may all carry a secret."""

    method: str
    path: str
    query: Mapping[str, str] = attrs.field(factory=dict)
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_lower_keys)
    body: bytes = b""

    def __repr__(self) -> str:
        query = {name: MASK for name in self.query}
        headers = {name: MASK for name in self.headers}
        return (
            f"RequestView(method={self.method!r}, path={MASK}, query={query!r}, "
            f"headers={headers!r})"
        )


@runtime_checkable
class Authenticator(Protocol):
    """What an authentication check implements: ``verify`` gets a view of the request (method,
    path, query, headers and body) and returns True to accept the delivery; anything else
    (False, None) refuses it, and the route answers 401. It runs before the body is parsed.

    A check that never looks at the body may say so with a class attribute
    ``reads_body = False``: the route then runs it before reading the body, and never reads a
    refused sender's body (see :func:`reads_body`). A subclass of a token or Basic check that
    also looks at the body sets ``reads_body = True``.
    """

    def verify(self, request: RequestView) -> bool: ...


def reads_body(auth: Authenticator) -> bool:
    """Whether ``auth`` needs the body (True unless it says ``reads_body = False``)."""
    return getattr(auth, "reads_body", True) is not False


def _digest(value: str | bytes) -> bytes:
    data = value if isinstance(value, bytes) else value.encode("utf-8", "backslashreplace")
    return hashlib.sha256(data).digest()


def _secret(owner: str, name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise WebhookConfigError(f"{owner}: {name} must be a non-empty string")
    return value


def _fail(check: str, reason: str, *args: object) -> bool:
    logger.debug(f"{check} rejected the delivery: {reason}", *args)
    return False


class QueryToken:
    """Accepts a delivery whose URL query carries ``name=<secret>`` (the secret is part of the
    webhook URL configured at TakeOne, e.g. ``https://example.com/takeone/webhooks?token=...``)."""

    __slots__ = ("_digest", "name")
    reads_body = False

    def __init__(self, name: str, secret: str) -> None:
        self.name = _secret("QueryToken", "name", name)
        self._digest = _digest(_secret("QueryToken", "secret", secret))

    def __repr__(self) -> str:
        return f"QueryToken(name={self.name!r}, secret=***)"

    def verify(self, request: RequestView) -> bool:
        value = request.query.get(self.name)
        if value is None:
            return _fail("QueryToken", "no %r query parameter", self.name)
        if not hmac.compare_digest(_digest(value), self._digest):
            return _fail("QueryToken", "wrong %r value", self.name)
        return True


class PathToken:
    """Accepts a delivery whose path ends in ``/<secret>``. Declare the route with a final
    ``{token}`` segment: ``add_webhook_route(app, "/takeone/webhooks/{token}", ...)``."""

    __slots__ = ("_digest",)
    reads_body = False

    def __init__(self, secret: str) -> None:
        if "/" in _secret("PathToken", "secret", secret):
            raise WebhookConfigError("PathToken: secret must not contain '/'")
        self._digest = _digest(secret)

    def __repr__(self) -> str:
        return "PathToken(secret=***)"

    def matches(self, segment: str) -> bool:
        """Whether one (percent-decoded) path segment is the secret."""
        return hmac.compare_digest(_digest(segment), self._digest)

    def verify(self, request: RequestView) -> bool:
        if not self.matches(request.path.rpartition("/")[2]):
            return _fail("PathToken", "wrong final path segment")
        return True


class BasicAuth:
    """Accepts a delivery with ``Authorization: Basic`` credentials (from a webhook URL like
    ``https://user:password@example.com/takeone/webhooks``)."""

    __slots__ = ("_digest", "username")
    reads_body = False

    def __init__(self, username: str, password: str) -> None:
        self.username = _secret("BasicAuth", "username", username)
        if ":" in username:
            raise WebhookConfigError("BasicAuth: username must not contain ':'")
        self._digest = _digest(f"{username}:{_secret('BasicAuth', 'password', password)}")

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password=***)"

    def verify(self, request: RequestView) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return _fail("BasicAuth", "no Basic Authorization header")
        try:
            credentials = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return _fail("BasicAuth", "malformed Basic credentials")
        if not hmac.compare_digest(_digest(credentials), self._digest):
            return _fail("BasicAuth", "wrong credentials")
        return True


_TIMESTAMP = re.compile(r"[0-9]{1,15}")


class StandardWebhooksSignature:
    """Accepts a delivery signed per Standard Webhooks (https://www.standardwebhooks.com), as a
    signing relay in front of TakeOne would send it: ``webhook-signature`` holds one or more
    ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, and ``webhook-timestamp`` must be
    within ``tolerance`` of now (either way), which bounds replays."""

    __slots__ = ("_clock", "_key", "_tolerance")

    def __init__(
        self,
        secret: str | bytes,
        *,
        tolerance: timedelta = timedelta(minutes=5),
        clock: Callable[[], float] = time.time,
    ) -> None:
        try:
            self._key = decode_secret(secret)
        except (ValueError, TypeError) as exc:
            raise WebhookConfigError(f"StandardWebhooksSignature: {exc}") from None
        if tolerance <= timedelta(0):
            raise WebhookConfigError("StandardWebhooksSignature: tolerance must be positive")
        self._tolerance = tolerance.total_seconds()
        self._clock = clock

    def __repr__(self) -> str:
        return f"StandardWebhooksSignature(secret=***, tolerance={self._tolerance:g}s)"

    def verify(self, request: RequestView) -> bool:
        headers = request.headers
        msg_id = headers.get("webhook-id")
        stamp = headers.get("webhook-timestamp")
        signatures = headers.get("webhook-signature")
        if not (msg_id and stamp and signatures):
            return _fail("StandardWebhooksSignature", "a webhook-* header is missing")
        if not _TIMESTAMP.fullmatch(stamp):
            return _fail("StandardWebhooksSignature", "webhook-timestamp is not Unix seconds")
        timestamp = int(stamp)
        if abs(self._clock() - timestamp) > self._tolerance:
            return _fail(
                "StandardWebhooksSignature", "webhook-timestamp %d out of tolerance", timestamp
            )
        expected = sign(self._key, msg_id, timestamp, request.body).encode("ascii")
        for candidate in signatures.split():
            version, _, value = candidate.partition(",")
            if version == "v1" and hmac.compare_digest(
                value.encode("utf-8", "backslashreplace"), expected
            ):
                return True
        return _fail("StandardWebhooksSignature", "no matching v1 signature")


class AnyOf:
    """Accepts a delivery that any one of ``authenticators`` accepts (secret rotation)."""

    __slots__ = ("authenticators",)

    def __init__(self, *authenticators: Authenticator) -> None:
        if not authenticators:
            raise WebhookConfigError("AnyOf: give at least one authenticator")
        for auth in authenticators:
            if not callable(getattr(auth, "verify", None)):
                raise WebhookConfigError(
                    f"AnyOf: {type(auth).__name__!r} object has no verify() method"
                )
        self.authenticators = authenticators

    def __repr__(self) -> str:
        return f"AnyOf({', '.join(map(repr, self.authenticators))})"

    @property
    def reads_body(self) -> bool:
        """Whether any of the checks needs the body."""
        return any(reads_body(auth) for auth in self.authenticators)

    def verify(self, request: RequestView) -> bool:
        return any(auth.verify(request) is True for auth in self.authenticators)


def as_authenticator(auth: Authenticator | Iterable[Authenticator]) -> Authenticator:
    """``auth`` itself, or an :class:`AnyOf` of a list of them."""
    if isinstance(auth, Authenticator):
        return auth
    if isinstance(auth, str | bytes) or not isinstance(auth, Iterable):
        raise WebhookConfigError(
            f"auth must be an authenticator or a list of them, got {type(auth).__name__}"
        )
    return AnyOf(*auth)


def iter_authenticators(auth: Authenticator) -> Iterator[Authenticator]:
    """Every check inside ``auth``, :class:`AnyOf` groups flattened."""
    if isinstance(auth, AnyOf):
        for inner in auth.authenticators:
            yield from iter_authenticators(inner)
    else:
        yield auth
