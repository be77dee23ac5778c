"""Lazy pagination: one page at a time, never looping, never leaking credentials."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import pytest

from takeone_async import (
    AppUser,
    InvalidResponseError,
    Page,
    PaginationError,
    Project,
    TakeOneClient,
    TakeOneValueError,
)
from tests.conftest import API, load_sample
from tests.takeone_async.conftest import (
    AUTHORIZATION,
    FakeAPI,
    collect_into,
    page_body,
    user_body,
)

USERS = f"{API}/app_users"
PAGE2 = f"{USERS}?page=2"
PAGE3 = f"{USERS}?page=3"


def _serve_three_pages(api: FakeAPI) -> None:
    """u1,u2 | u3,u4 | u5 linked by absolute ``next`` URLs on the base URL's origin."""
    api.get(USERS, payload=page_body([user_body("u1"), user_body("u2")], PAGE2, count=5))
    api.get(PAGE2, payload=page_body([user_body("u3"), user_body("u4")], PAGE3, count=5))
    api.get(PAGE3, payload=page_body([user_body("u5")], None, count=5))


async def test_iterates_items_across_several_pages(client: TakeOneClient, api: FakeAPI) -> None:
    _serve_three_pages(api)
    users = [u async for u in client.app_users.list()]
    assert [u.id for u in users] == ["u1", "u2", "u3", "u4", "u5"]
    assert all(isinstance(u, AppUser) for u in users)
    assert len(api.requests) == 3
    for url in (PAGE2, PAGE3):
        (request,) = api.sent("GET", url)
        assert request.headers["Authorization"] == AUTHORIZATION


async def test_a_list_call_fetches_nothing_until_iterated_and_one_page_at_a_time(
    client: TakeOneClient, api: FakeAPI
) -> None:
    _serve_three_pages(api)
    call = client.app_users.list()
    assert len(api.requests) == 0
    items = aiter(call)
    assert aiter(items) is items
    assert (await anext(items)).id == "u1"
    assert (await anext(items)).id == "u2"
    assert len(api.requests) == 1
    assert (await anext(items)).id == "u3"
    assert len(api.requests) == 2


@pytest.mark.parametrize(
    ("limit", "ids", "requests"),
    [
        (0, [], 0),
        (1, ["u1"], 1),
        (2, ["u1", "u2"], 1),
        (3, ["u1", "u2", "u3"], 2),
        (None, ["u1", "u2", "u3", "u4", "u5"], 3),
        (50, ["u1", "u2", "u3", "u4", "u5"], 3),
    ],
)
async def test_to_list_fetches_no_more_pages_than_needed(
    client: TakeOneClient,
    api: FakeAPI,
    limit: int | None,
    ids: list[str],
    requests: int,
) -> None:
    _serve_three_pages(api)
    users = await client.app_users.list().to_list(limit=limit)
    assert [u.id for u in users] == ids
    assert len(api.requests) == requests


async def test_to_list_rejects_a_negative_limit(client: TakeOneClient) -> None:
    with pytest.raises(TakeOneValueError, match="GET /api/v1/app_users: to_list limit"):
        await client.app_users.list().to_list(limit=-1)


async def test_first_page_reads_one_page_with_its_links(
    client: TakeOneClient, api: FakeAPI
) -> None:
    _serve_three_pages(api)
    page = await client.app_users.list().first_page()
    assert isinstance(page, Page)
    assert (page.count, page.next, page.previous) == (5, PAGE2, None)
    assert [u.id for u in page.results] == ["u1", "u2"]
    assert len(api.requests) == 1


async def test_pages_yields_each_page_in_turn(client: TakeOneClient, api: FakeAPI) -> None:
    _serve_three_pages(api)
    pages = [p async for p in client.app_users.list().pages()]
    assert [[u.id for u in p.results] for p in pages] == [["u1", "u2"], ["u3", "u4"], ["u5"]]
    assert [p.next for p in pages] == [PAGE2, PAGE3, None]


async def test_every_iteration_starts_again_from_the_first_page(
    client: TakeOneClient, api: FakeAPI
) -> None:
    api.get(USERS, payload=page_body([user_body("u1")]), repeat=True)
    call = client.app_users.list()
    assert [u.id async for u in call] == ["u1"]
    assert [u.id async for u in call] == ["u1"]
    assert len(api.requests) == 2


async def test_an_empty_list(client: TakeOneClient, api: FakeAPI) -> None:
    api.get(USERS, payload=page_body([]), repeat=True)
    assert [u async for u in client.app_users.list()] == []
    assert await client.app_users.list().to_list() == []
    page = await client.app_users.list().first_page()
    assert (page.results, page.count) == ((), 0)


async def test_an_empty_page_in_the_middle_is_skipped(client: TakeOneClient, api: FakeAPI) -> None:
    api.get(USERS, payload=page_body([], PAGE2))
    api.get(PAGE2, payload=page_body([user_body("u9")]))
    assert [u.id async for u in client.app_users.list()] == ["u9"]


@pytest.mark.parametrize("loop_to", [USERS, PAGE2])
async def test_a_repeated_next_link_stops_with_a_clear_error(
    client: TakeOneClient, api: FakeAPI, loop_to: str
) -> None:
    api.get(USERS, payload=page_body([user_body("u1")], PAGE2))
    api.get(PAGE2, payload=page_body([user_body("u2")], loop_to))
    seen: list[AppUser] = []
    with pytest.raises(PaginationError, match=r"GET /api/v1/app_users: .* repeats a page") as e:
        await collect_into(client.app_users.list(), seen)
    assert repr(loop_to) in str(e.value)  # the link as sent: its page number shows
    assert [u.id for u in seen] == ["u1", "u2"]
    assert len(api.requests) == 2


async def test_the_documented_example_yields_its_users_then_refuses_the_foreign_next(
    client: TakeOneClient, api: FakeAPI
) -> None:
    """The docs' page points ``next`` at api.dev.takeone.video: never sent our credentials."""
    documented = load_sample("fetch_app_users.response.json")
    api.get(USERS, payload=documented, repeat=True)
    assert len(await client.app_users.list().to_list(limit=2)) == 2
    seen: list[AppUser] = []
    with pytest.raises(PaginationError, match="leaves the base URL's origin") as info:
        await collect_into(client.app_users.list(), seen)
    assert [u.id for u in seen] == [u["id"] for u in documented["results"]]
    assert "https://api.dev.takeone.video/api/v1/app_users" in str(info.value)
    assert all(request.url.host == "api.takeone.video" for request in api.requests)


@pytest.mark.parametrize(
    "next_url",
    [
        "http://api.takeone.video/api/v1/app_users?page=2",
        "https://api.dev.takeone.video/api/v1/app_users?page=2",
        "https://api.takeone.video:8443/api/v1/app_users?page=2",
        "https://api.takeone.video.evil.example/api/v1/app_users?page=2",
        "//evil.example/api/v1/app_users?page=2",
        "https://api.takeone.video:99999/api/v1/app_users?page=2",
    ],
)
async def test_a_next_link_to_another_scheme_host_or_port_is_refused(
    client: TakeOneClient, api: FakeAPI, next_url: str
) -> None:
    api.get(USERS, payload=page_body([user_body("u1")], next_url))
    pages = client.app_users.list().pages()
    assert [u.id for u in (await anext(pages)).results] == ["u1"]
    with pytest.raises(PaginationError, match="refusing to send credentials"):
        await anext(pages)
    assert len(api.requests) == 1


@pytest.mark.parametrize(
    ("next_url", "shown"),
    [
        (
            "https://user:pass@api.takeone.video/api/v1/app_users?page=2",
            "https://user:***@api.takeone.video/api/v1/app_users?page=2",
        ),
        (
            "https://t0ken@api.takeone.video/api/v1/app_users?page=2",
            "https://***@api.takeone.video/api/v1/app_users?page=2",
        ),
        (
            "//user:pass@api.takeone.video/api/v1/app_users?page=2",
            "//user:***@api.takeone.video/api/v1/app_users?page=2",
        ),
    ],
)
async def test_a_next_link_with_credentials_of_its_own_is_refused_before_it_is_sent(
    client: TakeOneClient, api: FakeAPI, next_url: str, shown: str
) -> None:
    """On the base URL's origin too: aiohttp would refuse to combine them with our Basic
    credentials, and whatever it did, those are not ours to send."""
    api.get(USERS, payload=page_body([user_body("u1")], next_url))
    seen: list[AppUser] = []
    with pytest.raises(PaginationError) as info:
        await collect_into(client.app_users.list(), seen)
    assert str(info.value) == (
        f"GET /api/v1/app_users: the next page link {shown!r} carries credentials of its own; "
        "refusing to follow it"
    )
    assert "pass" not in str(info.value)
    assert [u.id for u in seen] == ["u1"]
    assert len(api.requests) == 1


@pytest.mark.parametrize(
    "next_url",
    [
        "https://api.takeone.video:443/api/v1/app_users?page=2",
        "https://API.TakeOne.video/api/v1/app_users?page=2",
        "/api/v1/app_users?page=2",
    ],
)
async def test_a_next_link_on_the_same_origin_is_followed(
    client: TakeOneClient, api: FakeAPI, next_url: str
) -> None:
    api.get(USERS, payload=page_body([user_body("u1")], next_url))
    api.get(urljoin(USERS, next_url), payload=page_body([user_body("u2")]))
    assert [u.id async for u in client.app_users.list()] == ["u1", "u2"]


async def test_list_items_keep_unknown_enum_values_and_fields(
    client: TakeOneClient, api: FakeAPI
) -> None:
    body = page_body([{"id": "p1", "state": "archived", "new_thing": 1}])
    api.get(f"{API}/projects", payload=body)
    (project,) = await client.projects.list().to_list()
    assert isinstance(project, Project)
    assert project.state == "archived"
    assert project.extra == {"new_thing": 1}


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (page_body([user_body("u1"), {"given_name": "no id"}]), "$.results[1].id"),
        (page_body([user_body("u1", status={"state": 7})]), "$.results[0].status.state"),
        ({"count": 1, "next": None}, "$.results"),
        ({**page_body([]), "count": "many"}, "$.count"),
        ({**page_body([]), "next": 2}, "$.next"),
        ([user_body("u1")], "$"),
    ],
)
async def test_a_page_of_the_wrong_shape_names_the_call_and_the_path(
    client: TakeOneClient, api: FakeAPI, body: Any, where: str
) -> None:
    api.get(USERS, payload=body)
    with pytest.raises(InvalidResponseError) as info:
        await client.app_users.list().to_list()
    assert info.value.path == where
    assert str(info.value).startswith("GET /api/v1/app_users: the response is not the documented")
    assert where in str(info.value)


def test_repr_names_the_call_and_the_item_type(client: TakeOneClient) -> None:
    assert repr(client.projects.list()) == "<ListCall GET /api/v1/projects of Project>"


@pytest.mark.parametrize("limit", ["3", 2.5, True])
async def test_to_list_rejects_a_limit_that_is_not_an_integer(
    client: TakeOneClient, limit: object
) -> None:
    with pytest.raises(TakeOneValueError, match=r"to_list limit must be an integer >= 0 or None"):
        await client.app_users.list().to_list(limit=limit)  # type: ignore[arg-type]
