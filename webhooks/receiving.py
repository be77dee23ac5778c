"""``receive``: one delivery from request to event, without a web framework. Pure: no I/O.

A web adapter (:mod:`webhooks.aiohttp`) reads the request into a :class:`RequestView` and its
body, calls :func:`receive`, and answers each :class:`WebhookError` as :func:`refusal` says:
with the status its class carries.
"""

from __future__ import annotations

from .auth import Authenticator, RequestView, reads_body
from .errors import HandlerError, WebhookAuthError, WebhookError, WebhookPayloadError
from .events import WebhookEvent
from .parsing import parse_event

__all__ = ["authenticate", "checks_by_stage", "receive", "refusal"]

_PHRASES = {401: "unauthorized", 503: "could not store the event"}


def receive(request: RequestView, body: bytes | None, auth: Authenticator | None) -> WebhookEvent:
    """The event in a delivery, once ``auth`` accepts ``request`` (``auth=None`` accepts all).

    ``body`` is the body with any ``Content-Encoding`` undone, or None if it could not be read
    (a corrupt gzip or deflate stream; ``request.body`` is then empty). Raises
    :class:`WebhookAuthError` when the check refuses, before the body is looked at; then
    :class:`WebhookPayloadError` for a body that could not be read or is not a valid event.
    """
    authenticate(request, auth)
    if body is None:
        raise WebhookPayloadError("the body could not be read (a corrupt Content-Encoding?)")
    return parse_event(body)


def authenticate(request: RequestView, auth: Authenticator | None) -> None:
    """Raise :class:`WebhookAuthError` unless ``auth`` accepts ``request`` (None accepts all)."""
    if auth is not None and auth.verify(request) is not True:
        raise WebhookAuthError("authentication failed")


def checks_by_stage(
    auth: Authenticator | None,
) -> tuple[Authenticator | None, Authenticator | None]:
    """``auth`` as (the check to run before the body is read, the check to run with the body):
    a check that needs no body goes first, so a refused sender's body is never read."""
    if auth is not None and not reads_body(auth):
        return auth, None
    return None, auth


def refusal(error: WebhookError) -> tuple[int, str]:
    """The status and text to answer for ``error``: the status its class carries, and a payload
    error's message (it names the field, for a sender that passed authentication) or a fixed
    phrase (no detail for anyone else, no internals)."""
    if isinstance(error, WebhookPayloadError):
        return error.status, str(error)
    if isinstance(error, HandlerError):
        return error.status, "a handler failed"
    return error.status, _PHRASES.get(error.status, "the delivery was not handled")
