"""The access-log redactor: request lines lose their secrets, everything else stays."""

from __future__ import annotations

import logging

import pytest

from tests.webhooks.conftest import SECRET
from webhooks._redact import AccessLogRedactor


@pytest.fixture
def redactor() -> AccessLogRedactor:
    redactor = AccessLogRedactor()
    redactor.protect("/takeone/webhooks", query_params=["token"])
    redactor.protect("/hooks/{token}", secret_segment=lambda segment: segment == SECRET)
    return redactor


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            f"POST /takeone/webhooks?token={SECRET} HTTP/1.1",
            "POST /takeone/webhooks?token=*** HTTP/1.1",
        ),
        (
            f"POST /takeone/webhooks?a=1&token={SECRET}&{SECRET} HTTP/1.1",
            "POST /takeone/webhooks?a=***&token=***&*** HTTP/1.1",
        ),
        (
            f"POST /sub/takeone/webhooks?token={SECRET} HTTP/1.1",
            "POST /sub/takeone/webhooks?token=*** HTTP/1.1",
        ),
        (
            f"GET /takeone/webhook?token={SECRET}&page=2 HTTP/1.1",
            "GET /takeone/webhook?token=***&page=2 HTTP/1.1",
        ),
        (f"GET /x?%74oken=1&tok%65n={SECRET} HTTP/1.1", "GET /x?%74oken=***&tok%65n=*** HTTP/1.1"),
        (f"POST /hooks/{SECRET} HTTP/1.1", "POST /hooks/*** HTTP/1.1"),
        (f"POST /hooks/{SECRET}/extra?x=1 HTTP/1.0", "POST /hooks/***?x=*** HTTP/1.0"),
        (f"POST /Hooks/{SECRET} HTTP/1.1", "POST /Hooks/*** HTTP/1.1"),
        (f"POST /other/{SECRET[:4]}%33{SECRET[5:]} HTTP/1.1", "POST /other/*** HTTP/1.1"),
        ("GET /health?verbose=1 HTTP/1.1", "GET /health?verbose=1 HTTP/1.1"),
        (f"POST {SECRET}", "POST ***"),
        ("-", "-"),
    ],
)
def test_request_lines_lose_their_secrets(
    redactor: AccessLogRedactor, line: str, expected: str
) -> None:
    assert redactor.redact_line(line) == expected


def test_a_secret_path_segment_is_masked_anywhere(redactor: AccessLogRedactor) -> None:
    assert redactor.redact_line(f"GET /typo/{SECRET}/x HTTP/1.1") == "GET /typo/***/x HTTP/1.1"


def test_the_filter_rewrites_message_and_structured_field(redactor: AccessLogRedactor) -> None:
    line = f"POST /takeone/webhooks?token={SECRET} HTTP/1.1"
    record = logging.LogRecord(
        "aiohttp.access", logging.INFO, __file__, 1, f'127.0.0.1 "{line}" 200 0', (), None
    )
    record.first_request_line = line
    assert redactor.filter(record) is True
    assert record.getMessage() == '127.0.0.1 "POST /takeone/webhooks?token=*** HTTP/1.1" 200 0'
    assert record.first_request_line == "POST /takeone/webhooks?token=*** HTTP/1.1"


def test_the_filter_leaves_other_records_alone(redactor: AccessLogRedactor) -> None:
    record = logging.LogRecord(
        "aiohttp.access", logging.INFO, __file__, 1, "hello %s", ("world",), None
    )
    assert redactor.filter(record) is True
    assert record.getMessage() == "hello world"
