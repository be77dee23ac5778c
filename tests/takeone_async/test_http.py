"""The pure HTTP helpers: URLs, origins, auth header, answers turned into data or typed errors."""

from __future__ import annotations

import pytest

from takeone_async import BadRequestError, RateLimitError, ServerError, TakeOneValueError
from takeone_async._http import (
    RequestSpec,
    basic_auth,
    build_url,
    check_options,
    origin,
    parse_json,
    status_error,
)
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.takeone_async.conftest import AUTHORIZATION

SPEC = RequestSpec("POST", "/api/v1/projects/{id}/publish", "https://h/api/v1/projects/p1/publish")


@pytest.mark.parametrize(("base", "params", "url"), [
    ("https://h", None, "https://h/api/v1/x"),
    ("https://h/", {}, "https://h/api/v1/x"),
    ("https://h", {"a": None, "b": "1"}, "https://h/api/v1/x?b=1"),
    ("https://h", {"external_id": "a b&c=d"}, "https://h/api/v1/x?external_id=a+b%26c%3Dd"),
])
def test_build_url(base: str, params: dict[str, str | None] | None, url: str) -> None:
    assert build_url(base, "/api/v1/x", params) == url


@pytest.mark.parametrize(("url", "expected"), [
    ("https://api.takeone.video/x", ("https", "api.takeone.video", 443)),
    ("HTTPS://API.TakeOne.Video:443/x", ("https", "api.takeone.video", 443)),
    ("http://127.0.0.1:8080", ("http", "127.0.0.1", 8080)),
    ("http://h", ("http", "h", 80)),
    ("/relative", ("", "", None)),
    ("https://h:99999/x", None),
])
def test_origin(url: str, expected: tuple[str, str, int | None] | None) -> None:
    assert origin(url) == expected


def test_basic_auth_is_id_colon_secret_in_base64() -> None:
    assert basic_auth(CLIENT_ID, CLIENT_SECRET) == AUTHORIZATION


def test_a_request_spec_is_named_by_method_and_route() -> None:
    assert SPEC.name == "POST /api/v1/projects/{id}/publish"


@pytest.mark.parametrize(("body", "data"), [
    (b"", None), (b"  \n", None), (b"{}", {}), (b'{"code": "x"}', {"code": "x"}), (b"[1]", [1]),
])
def test_parse_json_of_a_2xx(body: bytes, data: object) -> None:
    assert parse_json(SPEC, 201, body) == data


def test_status_error_builds_the_typed_error() -> None:
    error = status_error(SPEC, 400, {"X-Request-Id": "r1"}, b'{"detail": "nope"}')
    assert isinstance(error, BadRequestError)
    assert (error.message, error.request_id, error.headers) == (
        "POST /api/v1/projects/{id}/publish -> 400: nope", "r1", {"X-Request-Id": "r1"},
    )
    limited = status_error(SPEC, 429, {}, b"", retry_after=2.5)
    assert isinstance(limited, RateLimitError)
    assert limited.retry_after == 2.5
    broken = status_error(SPEC, 503, {}, b"\xff\xfe upstream")
    assert isinstance(broken, ServerError)
    assert broken.json is None
    assert "upstream" in broken.body


@pytest.mark.parametrize("options", [
    {}, {"timeout": 1}, {"timeout": 0.5, "connect_timeout": 2}, {"deadline": None},
    {"deadline": 3}, {"max_retries": 0},
])
def test_check_options_accepts_valid_options(options: dict[str, object]) -> None:
    check_options("GET /x", options)


@pytest.mark.parametrize("options", [
    {"retries": 1}, {"timeout": None}, {"timeout": float("nan")}, {"max_retries": -1},
    {"max_retries": True}, {"deadline": "3"},
])
def test_check_options_rejects_invalid_options(options: dict[str, object]) -> None:
    with pytest.raises(TakeOneValueError, match=r"^GET /x: "):
        check_options("GET /x", options)
