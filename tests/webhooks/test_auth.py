"""Endpoint checks over a RequestView: each accepts the right secret only, compares safely,
hides its secret, and explains a rejection in a DEBUG log line without the secret."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from takeone_async.signing import decode_secret, signature_header
from tests.webhooks.conftest import OLD_SECRET, SECRET
from webhooks import (
    AnyOf,
    Authenticator,
    BasicAuth,
    PathToken,
    QueryToken,
    RequestView,
    StandardWebhooksSignature,
    WebhookConfigError,
)
from webhooks.auth import as_authenticator, iter_authenticators, reads_body

# The Standard Webhooks reference test vector (used by the svix / standardwebhooks libraries).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def view(
    path: str = "/hooks",
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: bytes = b"{}",
) -> RequestView:
    return RequestView(
        method="POST", path=path, query=query or {}, headers=headers or {}, body=body
    )


def signed_view(
    signature: str = VECTOR_SIGNATURE,
    *,
    body: bytes = VECTOR_BODY,
    timestamp: int = VECTOR_TIMESTAMP,
    drop: str | None = None,
) -> RequestView:
    headers = {
        "Webhook-Id": VECTOR_ID,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature,
    }
    headers.pop(drop or "", None)
    return view(headers=headers, body=body)


def vector_check(now: float = VECTOR_TIMESTAMP, **options: Any) -> StandardWebhooksSignature:
    return StandardWebhooksSignature(VECTOR_SECRET, clock=lambda: now, **options)


def basic(credentials: bytes) -> RequestView:
    return view(headers={"Authorization": "Basic " + base64.b64encode(credentials).decode()})


# ---- QueryToken ------------------------------------------------------------------------------


def test_query_token_accepts_the_secret_only() -> None:
    check = QueryToken("token", SECRET)
    assert check.verify(view(query={"token": SECRET})) is True
    assert check.verify(view(query={"token": SECRET + "x"})) is False
    assert check.verify(view(query={"token": ""})) is False
    assert check.verify(view(query={"other": SECRET})) is False


def test_query_token_survives_non_ascii_input() -> None:
    assert QueryToken("token", SECRET).verify(view(query={"token": "é\udcff"})) is False


# ---- PathToken -------------------------------------------------------------------------------


def test_path_token_checks_the_last_segment() -> None:
    check = PathToken(SECRET)
    assert check.verify(view(path=f"/takeone/webhooks/{SECRET}")) is True
    assert check.verify(view(path=f"/takeone/{SECRET}/webhooks")) is False
    assert check.verify(view(path="/takeone/webhooks/")) is False
    assert check.matches(SECRET)
    assert not check.matches("x")


# ---- BasicAuth -------------------------------------------------------------------------------


def test_basic_auth_accepts_the_credentials_only() -> None:
    check = BasicAuth("takeone", SECRET)
    assert check.verify(basic(f"takeone:{SECRET}".encode())) is True
    assert (
        check.verify(
            view(
                headers={
                    "authorization": "basic "
                    + base64.b64encode(f"takeone:{SECRET}".encode()).decode()
                }
            )
        )
        is True
    )
    assert check.verify(basic(f"takeone:{SECRET}x".encode())) is False
    assert check.verify(basic(f"other:{SECRET}".encode())) is False
    assert check.verify(basic(SECRET.encode())) is False


@pytest.mark.parametrize(
    "header", ["", "Bearer abc", "Basic", "Basic !!!not-base64", "Basic é", "Digest x"]
)
def test_basic_auth_rejects_malformed_headers(header: str) -> None:
    assert BasicAuth("takeone", SECRET).verify(view(headers={"Authorization": header})) is False


# ---- StandardWebhooksSignature ---------------------------------------------------------------


def test_signature_accepts_the_reference_vector() -> None:
    assert vector_check().verify(signed_view()) is True


def test_signature_accepts_any_of_several_signatures() -> None:
    other = "v1,bm90IHRoZSBzaWduYXR1cmU="
    assert vector_check().verify(signed_view(f"v2,xyz {other} {VECTOR_SIGNATURE}")) is True


def test_signature_accepts_raw_byte_secrets() -> None:
    check = StandardWebhooksSignature(decode_secret(VECTOR_SECRET), clock=lambda: VECTOR_TIMESTAMP)
    assert check.verify(signed_view()) is True


@pytest.mark.parametrize(
    "request_view",
    [
        signed_view(body=VECTOR_BODY + b" "),
        signed_view("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE"),
        signed_view(VECTOR_SIGNATURE.replace("v1,", "v2,")),
        signed_view("v1,é"),
        signed_view(timestamp=VECTOR_TIMESTAMP + 1),
        signed_view(drop="Webhook-Id"),
        signed_view(drop="Webhook-Timestamp"),
        signed_view(drop="Webhook-Signature"),
        signed_view(""),
    ],
    ids=[
        "body",
        "truncated",
        "version",
        "non-ascii",
        "timestamp",
        "no-id",
        "no-timestamp",
        "no-signature",
        "empty-signature",
    ],
)
def test_signature_rejects_tampering_and_missing_headers(request_view: RequestView) -> None:
    assert vector_check().verify(request_view) is False


def test_signature_rejects_a_wrong_secret() -> None:
    wrong = StandardWebhooksSignature(
        "whsec_" + base64.b64encode(b"x" * 24).decode(), clock=lambda: VECTOR_TIMESTAMP
    )
    assert wrong.verify(signed_view()) is False


@pytest.mark.parametrize("stamp", ["abc", "-1", "1e9", "1614265330.0", "9" * 16])
def test_signature_rejects_a_malformed_timestamp(stamp: str) -> None:
    headers = {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": stamp,
        "webhook-signature": VECTOR_SIGNATURE,
    }
    assert vector_check().verify(view(headers=headers, body=VECTOR_BODY)) is False


@pytest.mark.parametrize(
    ("skew", "accepted"), [(300, True), (-300, True), (301, False), (-301, False)]
)
def test_signature_timestamp_tolerance_applies_both_ways(skew: int, accepted: bool) -> None:
    check = vector_check(now=VECTOR_TIMESTAMP + skew)
    assert check.verify(signed_view()) is accepted


def test_signature_tolerance_is_configurable() -> None:
    check = vector_check(now=VECTOR_TIMESTAMP + 3600, tolerance=timedelta(hours=2))
    assert check.verify(signed_view()) is True


def test_signature_matches_what_the_signing_helper_produces_for_rotated_keys() -> None:
    old, new = b"old-key-0123456789", b"new-key-0123456789"
    header = signature_header([old, new], "msg_1", VECTOR_TIMESTAMP, b"{}")
    for key in (old, new):
        check = StandardWebhooksSignature(key, clock=lambda: VECTOR_TIMESTAMP)
        assert (
            check.verify(
                view(
                    body=b"{}",
                    headers={
                        "webhook-id": "msg_1",
                        "webhook-timestamp": str(VECTOR_TIMESTAMP),
                        "webhook-signature": header,
                    },
                )
            )
            is True
        )


# ---- combining, construction, secrecy ---------------------------------------------------------


def test_any_of_accepts_either_secret_for_rotation() -> None:
    check = as_authenticator([QueryToken("token", SECRET), QueryToken("token", OLD_SECRET)])
    assert isinstance(check, AnyOf)
    assert check.verify(view(query={"token": SECRET})) is True
    assert check.verify(view(query={"token": OLD_SECRET})) is True
    assert check.verify(view(query={"token": "nope"})) is False


def test_any_of_only_counts_a_literal_true() -> None:
    class Sloppy:
        def verify(self, request: RequestView) -> Any:
            return "yes"

    assert AnyOf(Sloppy()).verify(view()) is False


def test_iter_authenticators_flattens_nested_groups() -> None:
    a, b, c = QueryToken("t", "a"), PathToken("b"), BasicAuth("u", "c")
    assert list(iter_authenticators(AnyOf(a, AnyOf(b, c)))) == [a, b, c]
    assert list(iter_authenticators(a)) == [a]


def test_an_authenticator_is_any_object_with_verify() -> None:
    """What a user implements: a request view in, True to accept; nothing else is asked."""

    class HeaderEquals:
        def verify(self, request: RequestView) -> bool:
            return request.headers.get("x-relay") == "ok"

    check = HeaderEquals()
    assert isinstance(check, Authenticator)
    assert as_authenticator(check) is check
    assert check.verify(RequestView("POST", "/", headers={"X-Relay": "ok"}))
    assert not AnyOf(check).verify(RequestView("POST", "/"))


def test_as_authenticator_returns_a_single_check_unchanged() -> None:
    check = PathToken(SECRET)
    assert as_authenticator(check) is check
    assert isinstance(check, Authenticator)


@pytest.mark.parametrize("bad", ["token", b"token", 42])
def test_as_authenticator_rejects_non_authenticators(bad: Any) -> None:
    with pytest.raises(WebhookConfigError, match="auth must be an authenticator"):
        as_authenticator(bad)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: QueryToken("token", ""), "QueryToken: secret must be a non-empty string"),
        (lambda: QueryToken("", SECRET), "QueryToken: name must be a non-empty string"),
        (lambda: PathToken(f"a/{SECRET}"), "PathToken: secret must not contain '/'"),
        (lambda: PathToken(None), "PathToken: secret must be a non-empty string"),
        (lambda: BasicAuth("a:b", SECRET), "BasicAuth: username must not contain ':'"),
        (lambda: BasicAuth("a", ""), "BasicAuth: password must be a non-empty string"),
        (lambda: StandardWebhooksSignature("whsec_***"), "must be 'whsec_' followed by base64"),
        (lambda: StandardWebhooksSignature(b""), "must not be empty"),
        (
            lambda: StandardWebhooksSignature(VECTOR_SECRET, tolerance=timedelta(0)),
            "tolerance must be positive",
        ),
        (lambda: AnyOf(), "AnyOf: give at least one authenticator"),
        (lambda: AnyOf(SECRET), "has no verify"),
    ],
)
def test_bad_configuration_is_a_config_error(factory: Callable[[], Any], message: str) -> None:
    with pytest.raises(WebhookConfigError, match=message) as info:
        factory()
    assert SECRET not in str(info.value)


def test_reprs_hide_secrets() -> None:
    checks = AnyOf(
        QueryToken("token", SECRET),
        PathToken(SECRET),
        BasicAuth("takeone", SECRET),
        StandardWebhooksSignature(VECTOR_SECRET),
    )
    text = repr(checks)
    assert SECRET not in text
    assert VECTOR_SECRET.removeprefix("whsec_") not in text
    assert text == (
        "AnyOf(QueryToken(name='token', secret=***), PathToken(secret=***), "
        "BasicAuth(username='takeone', password=***), "
        "StandardWebhooksSignature(secret=***, tolerance=300s))"
    )
    assert "body" not in repr(view(body=SECRET.encode()))


def test_a_request_view_repr_shows_no_path_query_value_header_value_or_body() -> None:
    request = RequestView(
        method="POST",
        path=f"/hooks/{SECRET}",
        query={"token": SECRET},
        headers={"Authorization": f"Bearer {SECRET}", "X-Other": SECRET},
        body=SECRET.encode(),
    )
    text = repr(request)
    assert SECRET not in text
    assert text == (
        "RequestView(method='POST', path=***, query={'token': '***'}, "
        "headers={'authorization': '***', 'x-other': '***'})"
    )
    assert SECRET not in str(request)
    assert request.headers["authorization"] == f"Bearer {SECRET}"  # only the repr hides them
    assert request.query == {"token": SECRET}


def test_checks_keep_no_copy_of_the_secret() -> None:
    for check in (QueryToken("token", SECRET), PathToken(SECRET), BasicAuth("u", SECRET)):
        assert all(SECRET not in str(getattr(check, slot)) for slot in type(check).__slots__)


def test_rejections_are_explained_at_debug_without_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="webhooks.auth")
    AnyOf(
        QueryToken("token", SECRET), PathToken(SECRET), BasicAuth("u", SECRET), vector_check()
    ).verify(view(path="/x/" + OLD_SECRET, query={"token": OLD_SECRET}))
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "QueryToken rejected the delivery: wrong 'token' value",
        "PathToken rejected the delivery: wrong final path segment",
        "BasicAuth rejected the delivery: no Basic Authorization header",
        "StandardWebhooksSignature rejected the delivery: a webhook-* header is missing",
    ]
    assert all(SECRET not in m and OLD_SECRET not in m for m in messages)


def test_request_view_headers_are_case_insensitive() -> None:
    assert view(headers={"X-Thing": "1"}).headers == {"x-thing": "1"}


def test_only_a_check_over_the_body_reads_it() -> None:
    """The route runs a check that never looks at the body before reading it."""

    class Custom:
        def verify(self, request: RequestView) -> bool:
            return True

    body_free = [QueryToken("token", SECRET), PathToken(SECRET), BasicAuth("u", SECRET)]
    signature = StandardWebhooksSignature(b"relay-signing-key-0123456789abcd")
    assert [reads_body(check) for check in body_free] == [False, False, False]
    assert (reads_body(signature), reads_body(Custom())) == (True, True)
    assert reads_body(as_authenticator(body_free)) is False
    assert reads_body(AnyOf(*body_free, signature)) is True
