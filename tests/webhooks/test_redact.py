"""The log redactor: request lines lose their secrets, a withheld exception its text, and
everything else stays."""

from __future__ import annotations

import logging
import sys

import pytest

from tests.webhooks.conftest import SECRET
from webhooks._redact import LogRedactor


@pytest.fixture
def redactor() -> LogRedactor:
    redactor = LogRedactor(withhold=(ConnectionError,))
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
def test_request_lines_lose_their_secrets(redactor: LogRedactor, line: str, expected: str) -> None:
    assert redactor.redact_line(line) == expected


def test_a_secret_path_segment_is_masked_anywhere(redactor: LogRedactor) -> None:
    assert redactor.redact_line(f"GET /typo/{SECRET}/x HTTP/1.1") == "GET /typo/***/x HTTP/1.1"


def test_the_filter_rewrites_message_and_structured_field(redactor: LogRedactor) -> None:
    line = f"POST /takeone/webhooks?token={SECRET} HTTP/1.1"
    record = logging.LogRecord(
        "aiohttp.access", logging.INFO, __file__, 1, f'127.0.0.1 "{line}" 200 0', (), None
    )
    record.first_request_line = line
    redactor.redact(record)
    assert record.getMessage() == '127.0.0.1 "POST /takeone/webhooks?token=*** HTTP/1.1" 200 0'
    assert record.first_request_line == "POST /takeone/webhooks?token=*** HTTP/1.1"


def test_the_filter_leaves_other_records_alone(redactor: LogRedactor) -> None:
    record = logging.LogRecord(
        "aiohttp.access", logging.INFO, __file__, 1, "hello %s", ("world",), None
    )
    redactor.redact(record)
    assert record.getMessage() == "hello world"
    assert "first_request_line" not in vars(record)
    line = "GET /health?verbose=1 HTTP/1.1"
    record = logging.LogRecord("aiohttp.access", logging.INFO, __file__, 1, line, (), None)
    record.first_request_line = line
    redactor.redact(record)
    assert (record.getMessage(), record.first_request_line) == (line, line)


def _chained() -> RuntimeError:
    """A RuntimeError raised while handling an error that quotes the secret."""
    outer = RuntimeError("while reading the request")
    outer.__context__ = ConnectionResetError(f"b'Authorization: Basic {SECRET}'")
    return outer


def _record_with(exc: BaseException) -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        return logging.LogRecord(
            "aiohttp.server", logging.ERROR, __file__, 1, "Error", (), sys.exc_info()
        )


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionResetError(f"bad line: b'POST /takeone/webhooks?token={SECRET} HTTP/1.1'"),
        _chained(),
    ],
    ids=["direct", "in-the-chain"],
)
def test_a_withheld_exception_keeps_only_its_type(
    redactor: LogRedactor, exc: BaseException
) -> None:
    record = _record_with(exc)
    redactor.redact(record)
    text = logging.Formatter().format(record)
    assert SECRET not in text
    assert SECRET not in repr(vars(record))
    assert "ConnectionResetError (details withheld" in text
    assert record.exc_info is None


def test_other_exceptions_keep_their_traceback(redactor: LogRedactor) -> None:
    record = _record_with(KeyError("a handler's own error"))
    redactor.redact(record)
    text = logging.Formatter().format(record)
    assert "Traceback" in text
    assert "a handler's own error" in text
