"""Standard Webhooks secrets and signatures, checked against the reference library."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from takeone_async.signing import decode_secret, sign, signature_header

KEY = b"a 24-byte signing key!!!"
SECRET = "whsec_" + base64.b64encode(KEY).decode()


@pytest.mark.parametrize(
    "secret",
    [SECRET, SECRET.removeprefix("whsec_"), SECRET.rstrip("="), KEY],
    ids=["whsec", "no-prefix", "unpadded", "raw-bytes"],
)
def test_decode_secret_accepts_the_forms_upstream_accepts(secret: str | bytes) -> None:
    assert decode_secret(secret) == KEY


@pytest.mark.parametrize("secret", ["whsec_", "whsec_not base64!", b""])
def test_decode_secret_rejects_empty_or_garbage_without_echoing_it(secret: str | bytes) -> None:
    with pytest.raises(ValueError, match="Standard Webhooks secret") as info:
        decode_secret(secret)
    assert "base64!" not in str(info.value)


def test_signature_matches_the_standardwebhooks_package() -> None:
    timestamp = 1_714_493_662
    body = b'{"type":"project_published"}'
    expected = Webhook(SECRET).sign("msg_1", datetime.fromtimestamp(timestamp, UTC), body.decode())
    assert f"v1,{sign(KEY, 'msg_1', timestamp, body)}" == expected


def test_signature_header_carries_one_signature_per_key() -> None:
    header = signature_header([KEY, b"other key"], "msg_1", 1, b"{}")
    first, second = header.split(" ")
    assert first == f"v1,{sign(KEY, 'msg_1', 1, b'{}')}"
    assert second == f"v1,{sign(b'other key', 'msg_1', 1, b'{}')}"
