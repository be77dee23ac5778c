"""Every failure surfaces as a TakeOneError subclass that names the call and keeps what was said."""

from __future__ import annotations

from typing import Any

import pytest

from takeone_async import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InvalidResponseError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TakeOneClient,
    TakeOneError,
    TakeOneValueError,
    WaitTimeoutError,
)
from takeone_async import errors as errors_module
from takeone_async.transport import TransportError
from tests.conftest import API
from tests.takeone_async.conftest import (
    CONNECT_REFUSED,
    CONNECT_TIMEOUT,
    DROPPED,
    READ_TIMEOUT,
    FakeAPI,
    chained,
)

PROJECT = "7e9612d9-f2c6-459a-9c64-7fa4792bbd2e"
PUBLISH = f"{API}/projects/{PROJECT}/publish"
USER_URL = f"{API}/app_users/u1"
DETAIL = "project cannot be published (publishing_status=cannot_publish)"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (429, RateLimitError),
        (500, ServerError),
        (501, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (410, APIStatusError),
        (418, APIStatusError),
        (422, APIStatusError),
        (302, APIStatusError),
    ],
)
async def test_each_status_raises_its_error_class_with_what_the_server_said(
    client: TakeOneClient, api: FakeAPI, status: int, cls: type[APIStatusError]
) -> None:
    api.post(
        PUBLISH, status=status, payload={"detail": DETAIL}, headers={"X-Request-Id": "req-123"}
    )
    with pytest.raises(cls) as info:
        await client.projects.publish(PROJECT, max_retries=0)
    error = info.value
    assert type(error) is cls
    assert isinstance(error, APIStatusError)
    assert isinstance(error, TakeOneError)
    # a 404 names the URL not found, a 401 the server that refused the credentials
    where = {404: f" at {PUBLISH}", 401: " by https://api.takeone.video"}.get(status, "")
    assert str(error) == f"POST /api/v1/projects/{{id}}/publish -> {status}{where}: {DETAIL}"
    assert (error.status, error.method, error.url) == (status, "POST", PUBLISH)
    assert error.body == f'{{"detail": "{DETAIL}"}}'
    assert error.json == {"detail": DETAIL}
    assert error.request_id == "req-123"


async def test_a_rate_limit_error_carries_the_retry_after_hint(
    client: TakeOneClient, api: FakeAPI
) -> None:
    api.get(USER_URL, status=429, body="slow down", headers={"Retry-After": "7"})
    with pytest.raises(RateLimitError) as info:
        await client.app_users.get("u1", max_retries=0)
    assert info.value.retry_after == 7.0
    assert info.value.headers["Retry-After"] == "7"


@pytest.mark.parametrize(
    ("body", "summary"),
    [
        ('{"detail": "Not found."}', "Not found."),
        ('{"message": "gone"}', "gone"),
        ('{"non_field_errors": ["a", "b"]}', "a; b"),
        (
            '{"user": ["This field is required."], "name": "bad"}',
            "user: This field is required.; name: bad",
        ),
        ('["Invalid state."]', "Invalid state."),
        ("", "(empty body)"),
        ("{}", "{}"),
        ("plain   text\n error", "plain text error"),
        ("x" * 1000, "x" * 300),
        (
            "<html><head><title>502 Bad Gateway</title><style>h1 {color: red}</style></head>"
            "<body><h1>Bad &amp; Gateway</h1><!-- nginx --></body></html>",
            "502 Bad Gateway Bad & Gateway",
        ),
    ],
)
async def test_the_message_summarises_the_body(
    client: TakeOneClient, api: FakeAPI, body: str, summary: str
) -> None:
    api.get(USER_URL, status=418, body=body)
    with pytest.raises(APIStatusError) as info:
        await client.app_users.get("u1")
    assert str(info.value) == f"GET /api/v1/app_users/{{id}} -> 418: {summary}"
    assert info.value.body == body


async def test_an_html_error_page_keeps_the_raw_text_and_no_json(
    client: TakeOneClient, api: FakeAPI
) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    api.post(PUBLISH, status=502, body=page, headers={"Content-Type": "text/html"})
    with pytest.raises(ServerError) as info:
        await client.projects.publish(PROJECT)
    assert info.value.json is None
    assert info.value.body == page
    assert str(info.value) == "POST /api/v1/projects/{id}/publish -> 502: 502 Bad Gateway"
    assert info.value.request_id is None


@pytest.mark.parametrize("header", ["x-request-id", "X-Amzn-RequestId", "x-amz-cf-id", "CF-Ray"])
async def test_the_request_id_is_read_from_the_usual_headers(
    client: TakeOneClient, api: FakeAPI, header: str
) -> None:
    api.get(USER_URL, status=404, body="", headers={header: "id-9"})
    with pytest.raises(NotFoundError) as info:
        await client.app_users.get("u1")
    assert info.value.request_id == "id-9"


@pytest.mark.parametrize("body", [b"not json", b"<html>oops</html>", b"\xff\xfe\x00", b'{"id": '])
async def test_a_2xx_body_that_is_not_json_is_an_invalid_response(
    client: TakeOneClient, api: FakeAPI, body: bytes
) -> None:
    api.get(USER_URL, status=200, body=body)
    with pytest.raises(InvalidResponseError) as info:
        await client.app_users.get("u1")
    assert str(info.value).startswith(
        "GET /api/v1/app_users/{id} -> 200: the body is not valid JSON"
    )
    assert (info.value.method, info.value.url) == ("GET", USER_URL)


DEEP_BODIES = {
    "unclosed": b"[" * 50_000,
    "closed": b"[" * 20_000 + b"]" * 20_000,
    "objects": b'{"a":' * 10_000,
    "past orjson's limit": b"[" * 2_000 + b"]" * 2_000,
}


@pytest.mark.parametrize("name", DEEP_BODIES)
async def test_a_2xx_body_nested_too_deeply_is_an_invalid_response(
    client: TakeOneClient, api: FakeAPI, name: str
) -> None:
    """json.loads raises RecursionError on deep nesting: it must come out as our error."""
    api.get(USER_URL, status=200, body=DEEP_BODIES[name])
    api.get(f"{API}/app_users", status=200, body=DEEP_BODIES[name])
    with pytest.raises(InvalidResponseError) as info:
        await client.app_users.get("u1")
    assert str(info.value).startswith(
        "GET /api/v1/app_users/{id} -> 200: the body is not valid JSON"
    )
    assert (info.value.method, info.value.url) == ("GET", USER_URL)
    with pytest.raises(InvalidResponseError, match=r"^GET /api/v1/app_users -> 200: "):
        await client.app_users.list().to_list()


@pytest.mark.parametrize("name", DEEP_BODIES)
@pytest.mark.parametrize(("status", "cls"), [(400, BadRequestError), (503, ServerError)])
async def test_an_error_body_nested_too_deeply_keeps_the_typed_error(
    client: TakeOneClient,
    api: FakeAPI,
    name: str,
    status: int,
    cls: type[APIStatusError],
) -> None:
    body = DEEP_BODIES[name]
    api.get(USER_URL, status=status, body=body)
    with pytest.raises(cls) as info:
        await client.app_users.get("u1", max_retries=0)
    assert info.value.status == status
    assert info.value.json is None
    assert info.value.body == body.decode()
    assert str(info.value).startswith(f"GET /api/v1/app_users/{{id}} -> {status}: ")


@pytest.mark.parametrize(
    ("body", "where", "reason"),
    [
        ({"given_name": "Ada"}, "$.id", "required field is missing or null"),
        ({"id": 42}, "$.id", "expected a string, got an integer"),
        (
            {"id": "u1", "status": {"state": "active", "date_time": "soon"}},
            "$.status.date_time",
            "invalid ISO 8601 date-time 'soon'",
        ),
        ({"id": "u1", "projects": {"id": "p"}}, "$.projects", "expected an array, got an object"),
        (
            {"id": "u1", "projects": [{"id": None}]},
            "$.projects[0].id",
            "required field is missing or null",
        ),
        ([], "$", "expected an object, got an array"),
        (None, "$", "expected an object, got null"),
    ],
)
async def test_a_2xx_of_the_wrong_shape_names_the_call_and_the_json_path(
    client: TakeOneClient, api: FakeAPI, body: Any, where: str, reason: str
) -> None:
    if body is None:
        api.get(USER_URL, status=200, body="")
    else:
        api.get(USER_URL, status=200, payload=body)
    with pytest.raises(InvalidResponseError) as info:
        await client.app_users.get("u1")
    assert str(info.value) == (
        f"GET /api/v1/app_users/{{id}}: the response is not the documented shape: {where}: {reason}"
    )
    assert info.value.path == where
    assert (info.value.method, info.value.url) == ("GET", USER_URL)


@pytest.mark.parametrize(
    ("failure", "cls", "what"),
    [
        (CONNECT_REFUSED, APIConnectionError, "could not connect"),
        (DROPPED, APIConnectionError, "connection failed"),
        (CONNECT_TIMEOUT, APITimeoutError, "connect timed out"),
        (READ_TIMEOUT, APITimeoutError, "timed out after"),
    ],
)
async def test_transport_failures_become_connection_or_timeout_errors(
    client: TakeOneClient,
    api: FakeAPI,
    failure: TransportError,
    cls: type[APIConnectionError],
    what: str,
) -> None:
    """The transport's description is kept in the message; its exception is not chained."""
    api.post(PUBLISH, failure=failure)
    with pytest.raises(cls) as info:
        await client.projects.publish(PROJECT, max_retries=0)
    assert type(info.value) is cls
    assert str(info.value) == f"POST /api/v1/projects/{{id}}/publish: {failure}"
    assert str(info.value).startswith(f"POST /api/v1/projects/{{id}}/publish: {what}")
    assert (info.value.method, info.value.url) == ("POST", PUBLISH)
    assert list(chained(info.value)) == [info.value]


@pytest.mark.parametrize(
    ("parameters", "problem"),
    [
        ({"when": object()}, "Object of type object is not JSON serializable"),
        ({"ratio": float("nan")}, "Out of range float values are not JSON compliant"),
    ],
)
async def test_a_body_json_cannot_hold_is_refused_before_anything_is_sent(
    client: TakeOneClient, api: FakeAPI, parameters: dict[str, Any], problem: str
) -> None:
    with pytest.raises(TakeOneValueError) as info:
        await client.script_generations.create("c1", template="t1", parameters=parameters)
    assert str(info.value).startswith(
        "POST /api/v1/video_containers/{container_id}/script_generations: "
        "the body cannot be sent as JSON ("
    )
    assert problem in str(info.value)
    assert list(chained(info.value)) == [info.value]
    assert api.requests == []


def test_the_tree_matches_the_documented_hierarchy() -> None:
    assert issubclass(TakeOneValueError, ValueError)
    assert issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(APITimeoutError, TimeoutError)
    assert issubclass(WaitTimeoutError, TimeoutError)
    for cls in (
        APIStatusError,
        APIConnectionError,
        InvalidResponseError,
        PaginationError,
        WaitTimeoutError,
        TakeOneValueError,
    ):
        assert issubclass(cls, TakeOneError)
    exported = {getattr(errors_module, n) for n in errors_module.__all__}
    classes = {value for value in exported if isinstance(value, type)}
    assert exported - classes == {errors_module.status_error_class}
    assert all(issubclass(cls, TakeOneError) for cls in classes)
    assert errors_module.status_error_class(599) is ServerError
    assert errors_module.status_error_class(451) is APIStatusError
