"""The pure HTTP helpers: URLs, origins, auth header, answers turned into data or typed errors."""

from __future__ import annotations

import pytest

from takeone_async import (
    BadRequestError,
    InvalidResponseError,
    RateLimitError,
    ServerError,
    TakeOneValueError,
)
from takeone_async._http import (
    Endpoint,
    RequestSpec,
    basic_auth,
    build_url,
    check_options,
    origin,
    parse_json,
    redact_url,
    status_error,
)
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.takeone_async.conftest import AUTHORIZATION

SPEC = RequestSpec("POST", "/api/v1/projects/{id}/publish", "https://h/api/v1/projects/p1/publish")


@pytest.mark.parametrize(
    ("base", "params", "url"),
    [
        ("https://h", None, "https://h/api/v1/x"),
        ("https://h/", {}, "https://h/api/v1/x"),
        ("https://h", {"a": None, "b": "1"}, "https://h/api/v1/x?b=1"),
        ("https://h", {"external_id": "a b&c=d"}, "https://h/api/v1/x?external_id=a+b%26c%3Dd"),
    ],
)
def test_build_url(base: str, params: dict[str, str | None] | None, url: str) -> None:
    assert build_url(base, "/api/v1/x", params) == url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.takeone.video/x", ("https", "api.takeone.video", 443)),
        ("HTTPS://API.TakeOne.Video:443/x", ("https", "api.takeone.video", 443)),
        ("http://127.0.0.1:8080", ("http", "127.0.0.1", 8080)),
        ("http://h", ("http", "h", 80)),
        ("/relative", ("", "", None)),
        ("https://h:99999/x", None),
    ],
)
def test_origin(url: str, expected: tuple[str, str, int | None] | None) -> None:
    assert origin(url) == expected


def test_basic_auth_is_id_colon_secret_in_base64() -> None:
    assert basic_auth(CLIENT_ID, CLIENT_SECRET) == AUTHORIZATION


def test_a_request_spec_is_named_by_method_and_route() -> None:
    assert SPEC.name == "POST /api/v1/projects/{id}/publish"


@pytest.mark.parametrize(
    ("route", "ids", "path"),
    [
        ("/api/v1/projects", (), "/api/v1/projects"),
        ("/api/v1/projects/{id}/publish", ("p1",), "/api/v1/projects/p1/publish"),
        ("/api/v1/app_users/{id}", ("u 1",), "/api/v1/app_users/u 1"),
        ("/v/{container_id}/g/{id}", ("c1", "g1"), "/v/c1/g/g1"),
    ],
)
def test_an_endpoint_fills_its_placeholders_in_order(
    route: str, ids: tuple[str, ...], path: str
) -> None:
    endpoint = Endpoint("GET", route)
    assert endpoint.name == f"GET {route}"
    assert endpoint.path(ids) == path


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (("",), "GET /v/{container_id}/g/{id}: container_id must be a non-empty id"),
        (("c1", "a/b"), "GET /v/{container_id}/g/{id}: id must not contain '/'"),
        (("c1", ".."), "GET /v/{container_id}/g/{id}: id must not be '..'"),
        (("c1", 7), "GET /v/{container_id}/g/{id}: id must be a string id, got int"),
    ],
)
def test_an_endpoint_names_the_call_and_the_placeholder_of_a_bad_id(
    ids: tuple[object, ...], message: str
) -> None:
    endpoint = Endpoint("GET", "/v/{container_id}/g/{id}")
    with pytest.raises(TakeOneValueError) as caught:
        endpoint.path(ids if len(ids) == 2 else (*ids, "g1"))
    assert str(caught.value).startswith(message)


def test_an_endpoint_refuses_the_wrong_number_of_ids() -> None:
    with pytest.raises(TypeError, match=r"GET /v/\{id\} takes 1 id\(s\), got 2"):
        Endpoint("GET", "/v/{id}").path(("a", "b"))


@pytest.mark.parametrize(
    ("body", "data"),
    [
        (b"", None),
        (b"  \n", None),
        (b"{}", {}),
        (b'{"code": "x"}', {"code": "x"}),
        (b"[1]", [1]),
    ],
)
def test_parse_json_of_a_2xx(body: bytes, data: object) -> None:
    assert parse_json(SPEC, 201, body) == data


@pytest.mark.parametrize(
    ("depth", "decodes"),
    [
        (500, True),
        (1_000, True),
        (1_025, False),
        (3_000, False),
        (100_000, False),
    ],
)
def test_json_nested_at_any_depth_decodes_or_fails_as_our_error(depth: int, decodes: bool) -> None:
    """Whatever the nesting, parse_json gives data or InvalidResponseError (orjson reads up to
    1024 levels) and status_error gives the typed error: never a RecursionError."""
    body = b"[" * depth + b"]" * depth
    if decodes:
        assert isinstance(parse_json(SPEC, 200, body), list)
    else:
        with pytest.raises(InvalidResponseError, match=r"not valid JSON \(nested too deeply"):
            parse_json(SPEC, 200, body)
    error = status_error(SPEC, 400, {}, body)
    assert isinstance(error, BadRequestError)
    assert error.body == body.decode()
    assert (error.json is not None) is (depth == 500)


def test_status_error_builds_the_typed_error() -> None:
    error = status_error(SPEC, 400, {"X-Request-Id": "r1"}, b'{"detail": "nope"}')
    assert isinstance(error, BadRequestError)
    assert (error.message, error.request_id, error.headers) == (
        "POST /api/v1/projects/{id}/publish -> 400: nope",
        "r1",
        {"X-Request-Id": "r1"},
    )
    limited = status_error(SPEC, 429, {}, b"", retry_after=2.5)
    assert isinstance(limited, RateLimitError)
    assert limited.retry_after == 2.5
    broken = status_error(SPEC, 503, {}, b"\xff\xfe upstream")
    assert isinstance(broken, ServerError)
    assert broken.json is None
    assert "upstream" in broken.body


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"timeout": 1},
        {"timeout": 0.5, "connect_timeout": 2},
        {"deadline": None},
        {"deadline": 3},
        {"max_retries": 0},
    ],
)
def test_check_options_accepts_valid_options(options: dict[str, object]) -> None:
    check_options("GET /x", options)


@pytest.mark.parametrize(
    "options",
    [
        {"retries": 1},
        {"timeout": None},
        {"timeout": float("nan")},
        {"max_retries": -1},
        {"max_retries": True},
        {"deadline": "3"},
    ],
)
def test_check_options_rejects_invalid_options(options: dict[str, object]) -> None:
    with pytest.raises(TakeOneValueError, match=r"^GET /x: "):
        check_options("GET /x", options)


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
    ],
)
def test_redact_url_hides_every_secret_a_url_can_carry(
    url: str, path_token: bool, shown: str
) -> None:
    assert redact_url(url, path_token=path_token) == shown


def test_a_fields_several_errors_are_told_apart_in_the_message() -> None:
    body = b'{"parameters": ["\'name\' is a required property", "\'bio\' is a required property"]}'
    error = status_error(SPEC, 400, {}, body)
    assert str(error).endswith(
        "parameters: 'name' is a required property; 'bio' is a required property"
    )
