"""receive, without a server: authentication first, then the body; and what to answer for each
error."""

from __future__ import annotations

import pytest

from tests.webhooks.conftest import PROJECT_ID, SECRET, event_body, make_event, signed_headers
from webhooks import (
    HandlerError,
    ProjectPublished,
    QueryToken,
    RequestView,
    StandardWebhooksSignature,
    WebhookAuthError,
    WebhookError,
    WebhookPayloadError,
    receive,
)
from webhooks.inbox import InboxError
from webhooks.receiving import refusal

AUTH = QueryToken("token", SECRET)


def view(token: str | None = SECRET, body: bytes = b"") -> RequestView:
    return RequestView("POST", "/hooks", query={"token": token} if token else {}, body=body)


def test_an_authenticated_delivery_gives_its_event() -> None:
    body = event_body()
    event = receive(view(body=body), body, AUTH)
    assert isinstance(event, ProjectPublished)
    assert event.project.id == PROJECT_ID
    assert event.raw is body


@pytest.mark.parametrize("body", [event_body(), b"not json", None], ids=["good", "bad", "unread"])
def test_failed_authentication_comes_before_the_body(body: bytes | None) -> None:
    with pytest.raises(WebhookAuthError):
        receive(view(token="wrong", body=body or b""), body, AUTH)


def test_a_body_that_could_not_be_read_is_a_payload_error_once_authenticated() -> None:
    with pytest.raises(WebhookPayloadError, match="the body could not be read"):
        receive(view(), None, AUTH)


def test_a_signature_over_a_body_that_could_not_be_read_fails_authentication() -> None:
    key = b"relay-signing-key-0123456789abcd"
    body = event_body()
    request = RequestView("POST", "/hooks", headers=signed_headers([key], body))
    with pytest.raises(WebhookAuthError):
        receive(request, None, StandardWebhooksSignature(key))


def test_an_invalid_body_is_a_payload_error_once_authenticated() -> None:
    with pytest.raises(WebhookPayloadError, match=r"^the body must be a JSON object"):
        receive(view(body=b"[]"), b"[]", AUTH)


def test_no_authenticator_accepts_every_delivery() -> None:
    body = event_body()
    assert receive(view(token=None, body=body), body, None).raw is body


@pytest.mark.parametrize(
    ("error", "answer"),
    [
        (WebhookAuthError("authentication failed"), (401, "unauthorized")),
        (
            WebhookPayloadError("expected a string", field="$.type"),
            (400, "$.type: expected a string"),
        ),
        (HandlerError(make_event(), [RuntimeError("db down")]), (500, "a handler failed")),
        (InboxError("disk full"), (503, "could not store the event")),
        (WebhookError("anything else"), (500, "the delivery was not handled")),
    ],
)
def test_each_error_is_answered_with_its_class_status(
    error: WebhookError, answer: tuple[int, str]
) -> None:
    assert refusal(error) == answer
