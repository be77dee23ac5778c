"""The sandbox as a product: status codes and DRF-style bodies for every bad request, pagination
edges, and what a client sees on the wire."""

from __future__ import annotations

from typing import Any

import pytest

from takeone_async.sandbox import Delays, Sandbox
from tests.takeone_async.sandbox.conftest import (
    API,
    BIO_SCRIPT,
    HEADSHOT_TEMPLATE,
    PROFILE_TEMPLATE,
    Raw,
    World,
    basic,
)

REQUIRED = ["This field is required."]


def missing(pk: str) -> list[str]:
    return [f'Invalid pk "{pk}" - object does not exist.']


@pytest.mark.parametrize(
    ("auth", "detail"),
    [
        (False, "Authentication credentials were not provided."),
        (basic("sandbox", "wrong"), "Invalid username/password."),
        (basic("someone", "sandbox-secret"), "Invalid username/password."),
    ],
)
async def test_requests_without_the_right_credentials_are_401(
    raw: Raw, auth: Any, detail: str
) -> None:
    for method, path in (("GET", f"{API}/app_users"), ("POST", "/_sandbox/faults")):
        answer = await raw(method, path, auth=auth)
        assert (answer.status, answer.json) == (401, {"detail": detail})
        assert answer.headers["WWW-Authenticate"] == 'Basic realm="api"'


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Bearer abc", "Authentication credentials were not provided."),
        ("Basic %%%", "Invalid username/password."),
        ("Basic c2FuZGJveA==", "Invalid username/password."),  # "sandbox": no colon
    ],
)
async def test_other_schemes_and_malformed_basic_are_401(
    raw: Raw, header: str, detail: str
) -> None:
    answer = await raw("GET", f"{API}/app_users", auth=False, headers={"Authorization": header})
    assert (answer.status, answer.json) == (401, {"detail": detail})


@pytest.mark.parametrize(
    ("path", "body", "errors"),
    [
        ("video_containers", {}, {"template": REQUIRED, "name": REQUIRED}),
        (
            "video_containers",
            {"template": "t-0", "name": ""},
            {"template": missing("t-0"), "name": ["This field may not be blank."]},
        ),
        ("projects", {}, {"user": REQUIRED, "video_container": REQUIRED}),
        (
            "projects",
            {"user": "u-0", "video_container": None},
            {"user": missing("u-0"), "video_container": ["This field may not be null."]},
        ),
        (
            "app_users",
            {"email_address": "not-an-email"},
            {"email_address": ["Enter a valid email address."]},
        ),
        ("app_users", {"given_name": 42}, {"given_name": ["Not a valid string."]}),
        ("app_users/authorize", {}, {"user": REQUIRED}),
        ("app_users/authorize", {"user": "u-0"}, {"user": missing("u-0")}),
        ("app_users/email", {"user": "u-0"}, {"user": missing("u-0")}),
        ("headshot_containers", {}, {"template": REQUIRED, "user": REQUIRED, "name": REQUIRED}),
        (
            "headshot_containers",
            {"template": "t-0", "user": "u-0", "name": "n"},
            {"template": missing("t-0"), "user": missing("u-0")},
        ),
        ("headshot_projects", {}, {"headshot_container": REQUIRED, "user": REQUIRED}),
        (
            "headshot_projects",
            {"headshot_container": "h-0", "user": "u-0"},
            {"headshot_container": missing("h-0"), "user": missing("u-0")},
        ),
    ],
)
async def test_bad_create_bodies_are_400_naming_each_field(
    raw: Raw, path: str, body: Any, errors: dict[str, list[str]]
) -> None:
    answer = await raw("POST", f"{API}/{path}", json_body=body)
    assert (answer.status, answer.json) == (400, errors)


async def test_bad_script_generation_bodies_are_400(raw: Raw, world: World) -> None:
    path = f"{API}/video_containers/{world.container.id}/script_generations"
    cases = [
        ({}, {"template": REQUIRED, "parameters": REQUIRED}),
        (
            {"template": "s-0", "parameters": "x"},
            {
                "template": missing("s-0"),
                "parameters": ['Expected a dictionary of items but got type "str".'],
            },
        ),
        (
            {"template": BIO_SCRIPT, "parameters": {"name": "Ada", "bio": "short"}},
            {"parameters": ["bio: 'short' is too short"]},
        ),
    ]
    for body, errors in cases:
        answer = await raw("POST", path, json_body=body)
        assert (answer.status, answer.json) == (400, errors)


async def test_malformed_and_non_object_bodies_are_400(raw: Raw) -> None:
    answer = await raw(
        "POST", f"{API}/app_users", data=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert answer.status == 400
    assert answer.json["detail"].startswith("JSON parse error - ")
    deep = b"[" * 50_000 + b"]" * 50_000
    answer = await raw(
        "POST", f"{API}/app_users", data=deep, headers={"Content-Type": "application/json"}
    )
    assert (answer.status, answer.json) == (400, {"detail": "JSON parse error - nested too deeply"})
    answer = await raw("POST", f"{API}/projects", json_body=[1, 2])
    assert (answer.status, answer.json) == (
        400,
        {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]},
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "app_users/u-0"),
        ("PUT", "app_users/u-0"),
        ("POST", "projects/p-0/publish"),
        ("POST", "projects/p-0/unpublish"),
        ("GET", "video_container_templates/t-0/script_generation_templates"),
        ("GET", f"video_container_templates/{PROFILE_TEMPLATE}/script_generation_templates/s-0"),
        ("GET", f"video_container_templates/t-0/script_generation_templates/{BIO_SCRIPT}"),
        ("GET", "video_containers/c-0/script_generations"),
        ("POST", "video_containers/c-0/script_generations"),
        ("GET", "video_containers/c-0/script_generations/g-0"),
        ("GET", "headshot_containers/h-0"),
        ("GET", "headshot_projects/h-0"),
        ("GET", "no_such_endpoint"),
    ],
)
async def test_unknown_ids_in_the_path_are_404(raw: Raw, method: str, path: str) -> None:
    answer = await raw(method, f"{API}/{path}", json_body={"given_name": "x"})
    assert (answer.status, answer.json) == (404, {"detail": "Not found."})


async def test_an_unknown_generation_of_a_known_container_is_404(raw: Raw, world: World) -> None:
    path = f"{API}/video_containers/{world.container.id}/script_generations/g-0"
    assert (await raw("GET", path)).status == 404


async def test_a_method_the_route_does_not_have_is_405(raw: Raw) -> None:
    answer = await raw("DELETE", f"{API}/app_users")
    assert (answer.status, answer.json) == (405, {"detail": 'Method "DELETE" not allowed.'})


async def test_publish_and_unpublish_refuse_the_wrong_states(
    sandbox: Sandbox, raw: Raw, world: World
) -> None:
    publish = f"{API}/projects/{world.project.id}/publish"
    unpublish = f"{API}/projects/{world.project.id}/unpublish"

    async def refused(path: str, action: str, status: str) -> None:
        answer = await raw("POST", path)
        detail = f"project cannot be {action} (publishing_status={status})"
        assert (answer.status, answer.json) == (400, {"detail": detail})

    await refused(publish, "published", "cannot_publish")
    await refused(unpublish, "unpublished", "cannot_publish")
    await sandbox.complete_recording(world.project.id)
    sandbox.engine.delays = Delays(publish=5.0, unpublish=5.0)
    answer = await raw("POST", publish)
    assert (answer.status, answer.json["publishing_status"]) == (200, "publishing")
    await refused(publish, "published", "publishing")
    await refused(unpublish, "unpublished", "publishing")


async def test_creates_answer_201_and_reads_200(raw: Raw, world: World) -> None:
    user = world.user.id
    assert (await raw("POST", f"{API}/app_users", json_body={})).status == 201
    assert (await raw("POST", f"{API}/app_users/authorize", json_body={"user": user})).status == 201
    email = await raw("POST", f"{API}/app_users/email", json_body={"user": user})
    assert (email.status, email.json) == (201, {})
    container = await raw(
        "POST",
        f"{API}/headshot_containers",
        json_body={"template": HEADSHOT_TEMPLATE, "user": user, "name": "h"},
    )
    assert container.status == 201
    put = await raw("PUT", f"{API}/app_users/{user}", json_body={"display_name": "Ada"})
    assert (put.status, put.json["display_name"]) == (200, "Ada")
    assert (await raw("GET", f"{API}/headshot_containers/{container.json['id']}")).status == 200


async def test_an_invitation_without_email_is_400(raw: Raw) -> None:
    user = (await raw("POST", f"{API}/app_users", json_body={})).json["id"]
    answer = await raw("POST", f"{API}/app_users/email", json_body={"user": user})
    assert (answer.status, answer.json) == (400, {"detail": "app user has no email address"})


# -- pagination edges over HTTP ----------------------------------------------------------------


async def make_users(raw: Raw, count: int) -> None:
    for n in range(count):
        assert (
            await raw("POST", f"{API}/app_users", json_body={"external_id": f"u{n}"})
        ).status == 201


async def test_an_empty_list_is_one_page_with_no_links(raw: Raw) -> None:
    answer = await raw("GET", f"{API}/app_users")
    assert answer.json == {"count": 0, "next": None, "previous": None, "results": []}
    assert (await raw("GET", f"{API}/app_users?page=2")).status == 404


async def test_an_exact_multiple_ends_without_an_empty_page(sandbox: Sandbox, raw: Raw) -> None:
    await make_users(raw, 20)
    first = await raw("GET", f"{API}/app_users")
    assert (first.json["count"], len(first.json["results"])) == (20, 10)
    assert first.json["next"] == f"{sandbox.url}{API}/app_users?page=2"
    last = await raw("GET", first.json["next"])
    assert last.json["next"] is None
    assert last.json["previous"] == f"{sandbox.url}{API}/app_users"
    assert [u["external_id"] for u in first.json["results"] + last.json["results"]] == [
        f"u{n}" for n in reversed(range(20))
    ]
    answer = await raw("GET", f"{API}/app_users?page=3")
    assert (answer.status, answer.json) == (404, {"detail": "Invalid page."})


async def test_the_last_page_holds_the_rest_and_filters_survive_in_links(
    sandbox: Sandbox, raw: Raw
) -> None:
    await make_users(raw, 7)
    first = await raw("GET", f"{API}/app_users?page_size=3")
    assert first.json["next"] == f"{sandbox.url}{API}/app_users?page=2&page_size=3"
    last = await raw("GET", f"{API}/app_users?page_size=3&page=3")
    assert [u["external_id"] for u in last.json["results"]] == ["u0"]
    assert last.json["previous"] == f"{sandbox.url}{API}/app_users?page=2&page_size=3"
    assert last.json["next"] is None
    filtered = await raw("GET", f"{API}/app_users?external_id=u3&page_size=1")
    assert (filtered.json["count"], filtered.json["next"]) == (1, None)


async def test_the_client_walks_every_page(sandbox: Sandbox, raw: Raw) -> None:
    await make_users(raw, 23)
    async with sandbox.client() as client:
        pages = [len(page.results) async for page in client.app_users.list().pages()]
    assert pages == [10, 10, 3]
