"""The public URL helpers: one redaction rule for every URL shown, and the http(s) URL check."""

from __future__ import annotations

import pytest

from takeone_async import sandbox
from takeone_async.urls import is_http_url, redact_url


@pytest.mark.parametrize(
    ("url", "path_token", "shown"),
    [
        ("http://[::1/hooks/tok?k=v", False, "http://[::1/hooks/tok"),
        ("http://[::1/hooks/tok?k=v", True, "http://[::1"),
        ("redis://:pw@[::1/0", False, "redis://***@[::1/0"),
        ("no scheme [ at all", False, "no scheme [ at all"),
        ("http://h/hook?S3CRETTOKEN&a=1", False, "http://h/hook?***&a=***"),
        ("https://t0ken@h/x", False, "https://***@h/x"),
        ("https://u:pw@h/x", False, "https://u:***@h/x"),
        ("http://127.0.0.1:8080/hooks/s3cret/", True, "http://127.0.0.1:8080/hooks/***/"),
        ("https://h/x#frag", False, "https://h/x"),
    ],
)
def test_redact_url_hides_every_secret_a_url_can_carry(
    url: str, path_token: bool, shown: str
) -> None:
    assert redact_url(url, path_token=path_token) == shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:pw@h:6379/0?stream=events", "redis://:***@h:6379/0?stream=events"),
        (
            "sqlite:////abs/inbox.db?synchronous=NORMAL",
            "sqlite:////abs/inbox.db?synchronous=NORMAL",
        ),
    ],
)
def test_keep_query_shows_a_query_of_options(url: str, shown: str) -> None:
    assert redact_url(url, keep_query=True) == shown


def test_the_sandbox_exports_the_same_function() -> None:
    assert sandbox.redact_url is redact_url


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://127.0.0.1:8080/hooks", True),
        ("https://example.com", True),
        ("ftp://example.com/hooks", False),
        ("/hooks", False),
        ("http://:8080/hooks", False),
        ("http://h:0/hooks", False),
        ("http://h:99999/hooks", False),
        ("http://h:port/hooks", False),
        (None, False),
        (b"http://h/", False),
    ],
)
def test_is_http_url(url: object, ok: bool) -> None:
    assert is_http_url(url) is ok
