"""App users beyond the endpoint table: partial updates and the idempotent get_or_create."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from yarl import URL

from takeone_async import (
    APITimeoutError,
    BadRequestError,
    RateLimitError,
    ServerError,
    TakeOneClient,
    TakeOneValueError,
)
from tests.conftest import API
from tests.takeone_async.conftest import (
    CONNECT_REFUSED,
    DROPPED,
    READ_TIMEOUT,
    FakeAPI,
    SleepRecorder,
    page_body,
    user_body,
)

USERS = f"{API}/app_users"
LOOKUP = f"{USERS}?external_id=42"
ADA = user_body("u-ada", "42", given_name="Ada")
FIELDS = {"given_name": "Ada", "family_name": "L", "email_address": "a@x.io"}


@pytest.mark.parametrize(
    ("fields", "body"),
    [
        ({"display_name": "Dr. Ada"}, {"display_name": "Dr. Ada"}),
        ({"display_name": None}, {"display_name": None}),
        (
            {"given_name": "Ada", "email_address": "a@x.io"},
            {"given_name": "Ada", "email_address": "a@x.io"},
        ),
    ],
)
async def test_update_sends_only_the_fields_given(
    client: TakeOneClient, api: FakeAPI, fields: dict[str, Any], body: dict[str, Any]
) -> None:
    api.put(f"{USERS}/u1", payload=user_body("u1"))
    await client.app_users.update("u1", **fields)
    assert api.only_request("PUT", f"{USERS}/u1").json == body


async def test_create_with_no_field_sends_an_empty_object(
    client: TakeOneClient, api: FakeAPI
) -> None:
    api.post(USERS, status=201, payload=user_body("u1"))
    await client.app_users.create()
    assert api.only_request("POST", USERS).json == {}


async def test_find_by_external_id_picks_the_oldest_exact_match(
    client: TakeOneClient, api: FakeAPI
) -> None:
    api.get(
        LOOKUP,
        payload=page_body(
            [
                user_body("newer", "42", created_date_time="2025-07-26T00:00:00.000000Z"),
                user_body("fuzzy", "420", created_date_time="2020-01-01T00:00:00.000000Z"),
                user_body("older", "42", created_date_time="2025-07-25T00:00:00.000000Z"),
                user_body("undated", "42"),
            ]
        ),
    )
    user = await client.app_users.find_by_external_id("42")
    assert user is not None
    assert user.id == "older"


async def test_get_or_create_returns_the_existing_user_without_creating(
    client: TakeOneClient, api: FakeAPI
) -> None:
    api.get(LOOKUP, payload=page_body([ADA]))
    user = await client.app_users.get_or_create(external_id="42", **FIELDS)
    assert user.id == "u-ada"
    assert api.sent("POST", USERS) == []


async def test_get_or_create_creates_when_no_user_has_the_external_id(
    client: TakeOneClient, api: FakeAPI
) -> None:
    api.get(LOOKUP, payload=page_body([]))
    api.post(USERS, status=201, payload=ADA)
    user = await client.app_users.get_or_create(external_id="42", **FIELDS)
    assert user.id == "u-ada"
    (create,) = api.sent("POST", USERS)
    assert create.json == {"external_id": "42", **FIELDS}


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500, "body": "boom"},
        {"status": 503, "body": "later"},
        {
            "status": 409,
            "payload": {"external_id": ["app user with this external id already exists."]},
        },
        {"failure": DROPPED},
        {"failure": READ_TIMEOUT},
        {"failure": CONNECT_REFUSED},
    ],
)
async def test_get_or_create_looks_up_again_after_a_create_that_may_have_stored_the_user(
    client: TakeOneClient, api: FakeAPI, sleeps: SleepRecorder, failure: dict[str, Any]
) -> None:
    """The create failed after the server (or a concurrent caller) stored the user: the second
    look-up finds it."""
    api.get(LOOKUP, payload=page_body([]))
    api.post(USERS, **failure)
    api.get(LOOKUP, payload=page_body([ADA]))
    user = await client.app_users.get_or_create(external_id="42", **FIELDS)
    assert user.id == "u-ada"
    assert len(api.sent("POST", USERS)) == 1
    assert len(api.sent("GET", LOOKUP)) == 2
    assert len(sleeps.delays) == 1


async def test_get_or_create_honours_retry_after_on_429(
    client: TakeOneClient, api: FakeAPI, sleeps: SleepRecorder
) -> None:
    api.get(LOOKUP, payload=page_body([]), repeat=True)
    api.post(USERS, status=429, body="", headers={"Retry-After": "0.03"})
    api.post(USERS, status=201, payload=ADA)
    assert (await client.app_users.get_or_create(external_id="42")).id == "u-ada"
    assert sleeps.delays == [0.03]
    assert len(api.sent("POST", USERS)) == 2


@pytest.mark.parametrize(
    ("make", "call", "posts"),
    [
        ({}, {}, 3),
        ({"max_retries": 0}, {}, 1),
        ({}, {"max_retries": 0}, 1),
        ({}, {"attempts": 1}, 1),
        ({}, {"attempts": 5}, 5),
    ],
)
async def test_get_or_create_raises_once_its_attempts_are_exhausted(
    make_client: Callable[..., TakeOneClient],
    api: FakeAPI,
    make: dict[str, Any],
    call: dict[str, Any],
    posts: int,
) -> None:
    """``attempts`` defaults to max_retries + 1, the client's or the call's."""
    api.get(LOOKUP, payload=page_body([]), repeat=True)
    api.post(USERS, status=500, body="boom", repeat=True)
    client = make_client(**make)
    with pytest.raises(ServerError):
        await client.app_users.get_or_create(external_id="42", **call)
    assert len(api.sent("POST", USERS)) == posts
    assert len(api.sent("GET", LOOKUP)) == posts


async def test_get_or_create_raises_a_rejected_create_at_once(
    client: TakeOneClient, api: FakeAPI
) -> None:
    api.get(LOOKUP, payload=page_body([]), repeat=True)
    api.post(USERS, status=400, payload={"email_address": ["Enter a valid email address."]})
    with pytest.raises(BadRequestError, match=r"email_address: Enter a valid email address\."):
        await client.app_users.get_or_create(external_id="42", email_address="nope")
    assert len(api.requests) == 2


async def test_get_or_create_exhausted_by_rate_limits_raises_the_rate_limit(
    client: TakeOneClient, api: FakeAPI
) -> None:
    api.get(LOOKUP, payload=page_body([]), repeat=True)
    api.post(USERS, status=429, body="", repeat=True)
    with pytest.raises(RateLimitError):
        await client.app_users.get_or_create(external_id="42", attempts=2)
    assert len(api.sent("POST", USERS)) == 2


ODD_EXTERNAL_IDS = ["a/b", "member?id=7", "..", "#42", "x/../y", "ü 1"]


@pytest.mark.parametrize("external_id", ODD_EXTERNAL_IDS)
async def test_external_ids_only_bad_in_a_path_are_sent_as_the_query_parameter(
    client: TakeOneClient, api: FakeAPI, external_id: str
) -> None:
    """``external_id`` is the platform's own key, never part of a path: list,
    find_by_external_id and get_or_create send any non-empty string, encoded, as the filter."""
    found = user_body("u-odd", external_id)
    api.get(
        str(URL(USERS).with_query(external_id=external_id)), payload=page_body([found]), repeat=True
    )
    assert [u.id async for u in client.app_users.list(external_id=external_id)] == ["u-odd"]
    user = await client.app_users.find_by_external_id(external_id)
    assert user is not None
    assert user.external_id == external_id
    assert (await client.app_users.get_or_create(external_id=external_id)).id == "u-odd"
    assert len(api.requests) == 3
    for request in api.requests:
        assert (request.method, request.url.path, dict(request.url.query)) == (
            "GET",
            "/api/v1/app_users",
            {"external_id": external_id},
        )


@pytest.mark.parametrize("external_id", ODD_EXTERNAL_IDS)
async def test_create_and_update_send_any_external_id_in_the_body(
    client: TakeOneClient, api: FakeAPI, external_id: str
) -> None:
    api.post(USERS, status=201, payload=user_body("u1", external_id))
    api.put(f"{USERS}/u1", payload=user_body("u1", external_id))
    assert (await client.app_users.create(external_id=external_id)).external_id == external_id
    assert (await client.app_users.update("u1", external_id=external_id)).external_id == external_id
    assert only_one(api.sent("POST", USERS)).json == {"external_id": external_id}
    assert only_one(api.sent("PUT", f"{USERS}/u1")).json == {"external_id": external_id}


def only_one(requests: list[Any]) -> Any:
    assert len(requests) == 1
    return requests[0]


async def test_get_or_create_passes_call_options_to_each_request(
    client: TakeOneClient, api: FakeAPI
) -> None:
    api.get(LOOKUP, payload=page_body([]))
    api.post(USERS, status=201, payload=ADA)
    user = await client.app_users.get_or_create(
        external_id="42", timeout=7.5, connect_timeout=2.0, **FIELDS
    )
    assert user.id == "u-ada"
    assert [(r.timeout, r.connect_timeout) for r in api.requests] == [(7.5, 2.0), (7.5, 2.0)]


async def test_get_or_create_deadline_stops_before_a_wait_it_cannot_afford(
    make_client: Callable[..., TakeOneClient], api: FakeAPI, sleeps: SleepRecorder
) -> None:
    """A Retry-After beyond the operation's deadline raises at once instead of sleeping."""
    api.get(LOOKUP, payload=page_body([]), repeat=True)
    api.post(USERS, status=429, body="", headers={"Retry-After": "5"}, repeat=True)
    client = make_client(retry_after_cap=60)
    with pytest.raises(RateLimitError):
        await client.app_users.get_or_create(external_id="42", deadline=2.0)
    assert sleeps.delays == []
    assert len(api.sent("POST", USERS)) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": 0}, "app_users.get_or_create: timeout must be a number > 0"),
        ({"deadline": -1}, "app_users.get_or_create: deadline must be a number > 0 or None"),
        ({"nickname": "x"}, r"app_users.get_or_create: unknown field\(s\) nickname"),
    ],
)
async def test_get_or_create_rejects_bad_options_before_any_request(
    client: TakeOneClient, api: FakeAPI, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(TakeOneValueError, match=message):
        await client.app_users.get_or_create(external_id="42", **options)
    assert len(api.requests) == 0


async def test_get_or_create_deadline_bounds_the_whole_operation(
    make_client: Callable[..., TakeOneClient], api: FakeAPI
) -> None:
    """A create that stalls uses up the deadline; get_or_create then raises, not looking again."""
    api.get(LOOKUP, payload=page_body([]), repeat=True)
    api.post(USERS, stall=True, repeat=True)
    client = make_client(timeout=10)
    with pytest.raises(APITimeoutError, match=r"POST /api/v1/app_users: timed out after 0\.2s"):
        await client.app_users.get_or_create(external_id="42", deadline=0.2)
    assert [r.method for r in api.requests] == ["GET", "POST"]
    assert api.requests[1].timeout <= 0.2


async def test_get_or_create_names_itself_when_its_deadline_is_spent_between_requests(
    client: TakeOneClient, api: FakeAPI
) -> None:
    """The look-up answered, but too late to leave time for the create."""
    api.get(LOOKUP, payload=page_body([]), late=0.15)
    with pytest.raises(
        APITimeoutError, match=r"^app_users.get_or_create: deadline of 0.1s exceeded after 0 "
    ) as info:
        await client.app_users.get_or_create(external_id="42", deadline=0.1)
    assert (info.value.method, info.value.url) == ("", "")
    assert api.sent("POST", USERS) == []


async def test_get_or_create_deadline_none_lifts_the_clients_deadline_for_each_request(
    make_client: Callable[..., TakeOneClient], api: FakeAPI
) -> None:
    api.get(LOOKUP, payload=page_body([ADA]))
    client = make_client(deadline=30)
    seen: list[Any] = []
    real = client.app_users.find_by_external_id

    async def spy(external_id: str, **options: Any) -> Any:
        seen.append(options)
        return await real(external_id, **options)

    client.app_users.find_by_external_id = spy  # type: ignore[method-assign]
    assert (await client.app_users.get_or_create(external_id="42", deadline=None)).id == "u-ada"
    assert seen == [{"deadline": None}]


async def test_get_or_create_max_retries_applies_to_its_look_ups(
    client: TakeOneClient, api: FakeAPI
) -> None:
    """``max_retries=0``: a failing look-up is not retried either."""
    api.get(LOOKUP, status=503, body="later", repeat=True)
    with pytest.raises(ServerError):
        await client.app_users.get_or_create(external_id="42", max_retries=0)
    assert len(api.sent("GET", LOOKUP)) == 1
