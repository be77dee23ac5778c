"""StandardWebhooksSignature interoperates with the reference ``standardwebhooks`` package:
what it signs verifies here, what we sign verifies there, and tampering is rejected."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from takeone_async.signing import decode_secret, signature_header
from tests.conftest import sample_bytes
from tests.webhooks.conftest import SAMPLE
from webhooks import RequestView, StandardWebhooksSignature

SECRET = "whsec_" + base64.b64encode(b"interop-test-key-32-bytes-long!!").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"another-key-entirely-32-bytes!!!").decode()
BODY = sample_bytes(SAMPLE)
MSG_ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"


def their_headers(
    secret: str = SECRET, *, body: bytes = BODY, at: datetime | None = None
) -> dict[str, str]:
    """Headers as the reference library signs them."""
    at = at or datetime.now(tz=UTC)
    signature = Webhook(secret).sign(MSG_ID, at, body.decode())
    return {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def verify_here(headers: dict[str, str], body: bytes = BODY, secret: str = SECRET) -> bool:
    check = StandardWebhooksSignature(secret)
    return check.verify(RequestView(method="POST", path="/", headers=headers, body=body))


def test_what_the_library_signs_verifies_here() -> None:
    assert verify_here(their_headers()) is True


def test_what_we_sign_verifies_in_the_library() -> None:
    now = int(time.time())
    headers = {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(now),
        "webhook-signature": signature_header([decode_secret(SECRET)], MSG_ID, now, BODY),
    }
    assert Webhook(SECRET).verify(BODY, headers) == json.loads(BODY)
    assert verify_here(headers) is True


def test_rotation_header_with_two_keys_verifies_in_both() -> None:
    now = int(time.time())
    keys = [decode_secret(OTHER_SECRET), decode_secret(SECRET)]
    headers = {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(now),
        "webhook-signature": signature_header(keys, MSG_ID, now, BODY),
    }
    for secret in (SECRET, OTHER_SECRET):
        assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)
    assert verify_here(headers) is True
    assert verify_here(headers, secret=OTHER_SECRET) is True


def test_a_wrong_secret_is_rejected_by_both() -> None:
    headers = their_headers(OTHER_SECRET)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY, headers)
    assert verify_here(headers) is False


def test_a_changed_body_is_rejected_by_both() -> None:
    headers, changed = their_headers(), BODY.replace(b"published", b"unpublished", 1)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(changed, headers)
    assert verify_here(headers, changed) is False


def test_an_old_timestamp_is_rejected_by_both() -> None:
    headers = their_headers(at=datetime.now(tz=UTC) - timedelta(minutes=10))
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(SECRET).verify(BODY, headers)
    assert verify_here(headers) is False


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_rejected_by_both(missing: str) -> None:
    headers = their_headers()
    del headers[missing]
    with pytest.raises(WebhookVerificationError, match="Missing required headers"):
        Webhook(SECRET).verify(BODY, headers)
    assert verify_here(headers) is False
