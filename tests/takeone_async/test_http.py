"""The pure HTTP helpers: URLs, origins, auth header, answers turned into data or typed errors."""

from __future__ import annotations

import pytest

from takeone_async import (
    APIConnectionError,
    APITimeoutError,
    AppUser,
    BadRequestError,
    InvalidResponseError,
    PaginationError,
    RateLimitError,
    ServerError,
    TakeOneValueError,
)
from takeone_async._http import (
    Call,
    Endpoint,
    basic_auth,
    build_request,
    build_url,
    check_options,
    deadline_error,
    decode,
    decode_page,
    default_headers,
    next_page_call,
    origin,
    parse_json,
    status_error,
    status_failure,
    transport_failure,
)
from takeone_async.transport import Failure, Request, Response, TransportError
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.takeone_async.conftest import AUTHORIZATION

SPEC = Call("POST", "/api/v1/projects/{id}/publish", "https://h/api/v1/projects/p1/publish")


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


def test_a_call_is_named_by_method_and_route() -> None:
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


def test_a_fields_several_errors_are_told_apart_in_the_message() -> None:
    body = b'{"parameters": ["\'name\' is a required property", "\'bio\' is a required property"]}'
    error = status_error(SPEC, 400, {}, body)
    assert str(error).endswith(
        "parameters: 'name' is a required property; 'bio' is a required property"
    )


def test_an_endpoint_makes_the_call_on_a_base_url() -> None:
    endpoint = Endpoint("GET", "/api/v1/projects/{id}")
    assert endpoint.call("https://h", ("p1",)) == Call(
        "GET", "/api/v1/projects/{id}", "https://h/api/v1/projects/p1"
    )
    listing = Endpoint("GET", "/api/v1/projects").call("https://h", (), {"user_id": "u 1"})
    assert listing.url == "https://h/api/v1/projects?user_id=u+1"
    assert Endpoint("POST", "/x").call("https://h", json={"a": 1}).json == {"a": 1}


HEADERS = default_headers(CLIENT_ID, CLIENT_SECRET, "agent/1")
JSON_HEADERS = {**HEADERS, "Content-Type": "application/json"}


def test_the_default_headers() -> None:
    assert HEADERS == {
        "Authorization": AUTHORIZATION,
        "User-Agent": "agent/1",
        "Accept": "application/json",
    }


def test_a_call_becomes_a_request_with_a_json_body_only_when_it_has_one() -> None:
    without = build_request(Call("GET", "/x", "https://h/x"), HEADERS, JSON_HEADERS, 5, 1)
    assert without == Request("GET", "https://h/x", HEADERS, None, 5, 1)
    with_body = build_request(SPEC._replace(json={"é": [1, None]}), HEADERS, JSON_HEADERS, 5, 1)
    assert with_body.headers is JSON_HEADERS
    assert with_body.body == b'{"\\u00e9": [1, null]}'


@pytest.mark.parametrize("value", [{1, 2}, float("inf"), object()])
def test_a_body_json_cannot_hold_is_refused_naming_the_call(value: object) -> None:
    with pytest.raises(TakeOneValueError, match=r"^POST /api/v1/projects/\{id\}/publish: the body"):
        build_request(SPEC._replace(json={"v": value}), HEADERS, JSON_HEADERS, 5, 1)


def test_decode_gives_the_data_or_the_model() -> None:
    answer = Response(200, {}, b'{"id": "u1"}')
    assert decode(SPEC, answer) == {"id": "u1"}
    user = decode(SPEC, answer, AppUser)
    assert isinstance(user, AppUser)
    assert user.id == "u1"
    with pytest.raises(InvalidResponseError) as info:
        decode(SPEC, Response(200, {}, b"{}"), AppUser)
    assert info.value.path == "$.id"


def test_decode_page_builds_a_page_or_names_the_field() -> None:
    page = decode_page(SPEC, {"count": 1, "next": None, "results": [{"id": "u1"}]}, AppUser)
    assert (page.count, [u.id for u in page.results]) == (1, ["u1"])
    with pytest.raises(InvalidResponseError) as info:
        decode_page(SPEC, {"results": [{}]}, AppUser)
    assert info.value.path == "$.results[0].id"


def test_a_status_failure_carries_the_error_and_the_retry_after_hint() -> None:
    failed = status_failure(SPEC, Response(429, {"retry-after": "3"}, b"slow down"))
    assert isinstance(failed.error, RateLimitError)
    assert (failed.failure, failed.status, failed.retry_after) == (Failure.STATUS, 429, 3.0)
    assert failed.error.retry_after == 3.0


@pytest.mark.parametrize(
    ("timed_out", "cls"), [(False, APIConnectionError), (True, APITimeoutError)]
)
def test_a_transport_failure_names_the_call_and_keeps_the_failure_kind(
    timed_out: bool, cls: type[APIConnectionError]
) -> None:
    exc = TransportError(
        "connection failed (reset)", failure=Failure.CONNECTION, timed_out=timed_out
    )
    failed = transport_failure(SPEC, exc)
    assert type(failed.error) is cls
    assert str(failed.error) == "POST /api/v1/projects/{id}/publish: connection failed (reset)"
    assert (failed.error.method, failed.error.url) == (SPEC.method, SPEC.url)
    assert (failed.failure, failed.status, failed.retry_after) == (Failure.CONNECTION, None, None)
    assert failed.error.__cause__ is None


def test_the_deadline_error() -> None:
    error = deadline_error("x.y", 1.5, 2)
    assert str(error) == "x.y: deadline of 1.5s exceeded after 2 attempt(s)"
    assert isinstance(error, TimeoutError)


FIRST = Call("GET", "/api/v1/app_users", "https://h/api/v1/app_users")


@pytest.mark.parametrize(
    ("link", "url"),
    [
        ("https://h/api/v1/app_users?page=2", "https://h/api/v1/app_users?page=2"),
        ("?page=2", "https://h/api/v1/app_users?page=2"),
        ("/api/v1/app_users?page=2", "https://h/api/v1/app_users?page=2"),
        ("HTTPS://H:443/api/v1/app_users?page=2", "https://H:443/api/v1/app_users?page=2"),
    ],
)
def test_a_next_link_on_the_base_urls_origin_is_the_next_call(link: str, url: str) -> None:
    assert next_page_call(FIRST, FIRST.url, link, "https://h") == Call("GET", FIRST.route, url)


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("https://other/api/v1/app_users?page=2", "leaves the base URL's origin"),
        ("http://h/api/v1/app_users?page=2", "leaves the base URL's origin"),
        ("https://h:99999/api/v1/app_users", "leaves the base URL's origin"),
        ("https://u:pw@h/api/v1/app_users?page=2", "carries credentials of its own"),
        ("https://u@h/api/v1/app_users?page=2", "carries credentials of its own"),
        ("https://[::1/api/v1/app_users?page=2", "is not a URL; refusing to follow it"),
    ],
)
def test_a_next_link_that_would_send_credentials_elsewhere_is_refused(
    link: str, reason: str
) -> None:
    with pytest.raises(
        PaginationError, match=f"^GET /api/v1/app_users: the next page link .*{reason}"
    ):
        next_page_call(FIRST, FIRST.url, link, "https://h")
