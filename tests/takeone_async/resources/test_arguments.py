"""Bad arguments fail with a TakeOneValueError naming the call or field, before any request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from takeone_async import CallOptions, TakeOneClient, TakeOneValueError
from takeone_async._http import CALL_OPTIONS
from tests.takeone_async.conftest import FakeAPI, invoke

BAD_CALLS: dict[str, tuple[Callable[[TakeOneClient], Any], str]] = {
    "empty id": (
        lambda c: c.app_users.get(""),
        "GET /api/v1/app_users/{id}: id must be a non-empty id",
    ),
    "blank id": (lambda c: c.app_users.get("  "), "id must be a non-empty id"),
    "int id": (lambda c: c.app_users.get(5), "id must be a string id, got int"),
    "None id": (
        lambda c: c.projects.publish(None),
        "POST /api/v1/projects/{id}/publish: id must be a string id, got NoneType",
    ),
    "slash in id": (lambda c: c.headshot_projects.get("a/b"), "must not contain '/'"),
    "query in id": (
        lambda c: c.headshot_containers.get("a?b=1"),
        "must not contain '/', '?' or '#'",
    ),
    "dot-dot id": (lambda c: c.app_users.get(".."), "id must not be '..'"),
    "empty second id": (
        lambda c: c.script_generations.get("c1", ""),
        "GET /api/v1/video_containers/{container_id}/script_generations/{id}: id must be",
    ),
    "empty template id in a list": (
        lambda c: c.script_generation_templates.list(""),
        "template_id must be a non-empty id",
    ),
    "update with no field": (
        lambda c: c.app_users.update("u1"),
        "app_users.update: give at least one",
    ),
    "wrong type text field": (
        lambda c: c.app_users.create(given_name=5),
        "given_name must be a string or None, got int",
    ),
    "wrong type update field": (
        lambda c: c.app_users.update("u1", display_name=["Ada"]),
        "display_name must be a string or None",
    ),
    "misspelt field": (
        lambda c: c.app_users.create(external_id="42", email="a@x.io"),
        "POST /api/v1/app_users: unknown argument(s) email",
    ),
    "misspelt option": (lambda c: c.app_users.get("u1", timout=5), "unknown argument(s) timout"),
    "misspelt option on a list": (
        lambda c: c.projects.list(user="u1"),
        "GET /api/v1/projects: unknown argument(s) user",
    ),
    "negative timeout": (
        lambda c: c.app_users.get("u1", timeout=-1),
        "timeout must be a number > 0",
    ),
    "zero deadline": (
        lambda c: c.app_users.get("u1", deadline=0),
        "deadline must be a number > 0 or None",
    ),
    "bool connect timeout": (
        lambda c: c.app_users.get("u1", connect_timeout=True),
        "connect_timeout must be a number > 0",
    ),
    "float max_retries": (
        lambda c: c.app_users.get("u1", max_retries=1.5),
        "max_retries must be an integer >= 0",
    ),
    "empty list filter": (
        lambda c: c.app_users.list(external_id=""),
        "external_id must be a non-empty string",
    ),
    "int list filter": (lambda c: c.projects.list(user_id=5), "user_id must be a string id"),
    "empty authorize id": (lambda c: c.app_users.authorize(""), "user_id must be a non-empty id"),
    "empty invitation id": (lambda c: c.app_users.send_invitation_email(" "), "user_id must be"),
    "empty container template": (
        lambda c: c.video_containers.create(template="", name="n"),
        "template must be a non-empty id",
    ),
    "empty container name": (
        lambda c: c.video_containers.create(template="t", name=""),
        "name must be a non-empty string",
    ),
    "project without user": (
        lambda c: c.projects.create(user="", video_container="c"),
        "user must be a non-empty id",
    ),
    "project display name not text": (
        lambda c: c.projects.create(user="u", video_container="c", organization_display_name=1),
        "organization_display_name must be a string or None",
    ),
    "parameters not a mapping": (
        lambda c: c.script_generations.create("c1", template="t", parameters=["Ada"]),
        "script_generations.create: parameters must be a mapping, got list",
    ),
    "headshot container without name": (
        lambda c: c.headshot_containers.create(template="t", user="u", name=" "),
        "name must be",
    ),
    "headshot project without container": (
        lambda c: c.headshot_projects.create(headshot_container="", user="u"),
        "headshot_container must be a non-empty id",
    ),
    "get_or_create empty external id": (
        lambda c: c.app_users.get_or_create(external_id=""),
        "external_id must be a non-empty string",
    ),
    "get_or_create unknown field": (
        lambda c: c.app_users.get_or_create(external_id="42", nickname="A"),
        "app_users.get_or_create: unknown field(s) nickname",
    ),
    "get_or_create zero attempts": (
        lambda c: c.app_users.get_or_create(external_id="42", attempts=0),
        "attempts must be an integer >= 1, got 0",
    ),
    "get_or_create text attempts": (
        lambda c: c.app_users.get_or_create(external_id="42", attempts="3"),
        "attempts must be an integer >= 1, got '3'",
    ),
    "get_or_create blank external id": (
        lambda c: c.app_users.get_or_create(external_id=" "),
        "external_id must be a non-empty string",
    ),
    "get_or_create int external id": (
        lambda c: c.app_users.get_or_create(external_id=42),
        "external_id must be a non-empty string",
    ),
    "find_by_external_id empty": (
        lambda c: c.app_users.find_by_external_id(""),
        "external_id must be a non-empty string",
    ),
    "wait with zero timeout": (
        lambda c: c.script_generations.wait("c1", "g1", timeout=0),
        "timeout and poll_interval must be > 0",
    ),
}


@pytest.mark.parametrize("name", BAD_CALLS)
async def test_bad_arguments_are_rejected_before_any_request(
    client: TakeOneClient, api: FakeAPI, name: str
) -> None:
    call, message = BAD_CALLS[name]
    with pytest.raises(TakeOneValueError) as info:
        await invoke(lambda: call(client))
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)
    assert len(api.requests) == 0


def test_the_option_names_checked_are_the_call_options() -> None:
    assert CallOptions.__optional_keys__ == CALL_OPTIONS


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"client_id": ""}, "client_id must be a non-empty string"),
        ({"client_secret": ""}, "client_secret must be a non-empty string"),
        ({"client_secret": None}, "client_secret must be a non-empty string"),
        ({"base_url": "ftp://api.takeone.video"}, "base_url must be an http(s) URL"),
        ({"base_url": "api.takeone.video"}, "base_url must be an http(s) URL"),
        ({"base_url": "https://api.takeone.video:99999"}, "base_url must be an http(s) URL"),
        ({"max_retries": -1}, "max_retries must be an integer >= 0"),
        ({"timeout": 0}, "timeout must be a number > 0"),
        ({"connect_timeout": "5"}, "connect_timeout must be a number > 0"),
        ({"deadline": -3}, "deadline must be a number > 0 or None"),
        ({"backoff_base": -0.1}, "backoff_base must be a number >= 0"),
        ({"retry_after_cap": float("nan")}, "retry_after_cap must be a number >= 0"),
        ({"max_connections": 0}, "max_connections must be an integer >= 1"),
    ],
)
def test_bad_client_settings_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    settings = {"client_id": "id", "client_secret": "s3cr3t-value"} | kwargs
    with pytest.raises(TakeOneValueError) as info:
        TakeOneClient(**settings)
    assert str(info.value).startswith("TakeOneClient: ")
    assert message in str(info.value)
    assert "s3cr3t-value" not in str(info.value)


@pytest.mark.parametrize(
    ("base_url", "shown"),
    [
        ("ftp://u:pa55w0rd@api.takeone.video", "got 'ftp://u:***@api.takeone.video'"),
        ("https://u:pa55w0rd@[::1/x?k=pa55w0rd", "got 'https://***@[::1/x'"),
        (
            "https://api.takeone.video:99999/?key=pa55w0rd",
            "got 'https://api.takeone.video:99999/?key=***'",
        ),
        (
            "https://u:pa55w0rd@api.takeone.video",
            "must not carry credentials (give client_id and client_secret), got 'https://u:***@api.takeone.video'",
        ),
        (
            "https://api.takeone.video/?key=pa55w0rd",
            "must not carry a query or a fragment, got 'https://api.takeone.video/?key=***'",
        ),
        (
            "https://api.takeone.video/#pa55w0rd",
            "must not carry a query or a fragment, got 'https://api.takeone.video/'",
        ),
    ],
)
def test_a_rejected_base_url_is_not_echoed_with_its_secrets(base_url: str, shown: str) -> None:
    with pytest.raises(TakeOneValueError) as info:
        TakeOneClient("id", "s3cr3t-value", base_url=base_url)
    assert str(info.value).endswith(shown)
    assert "pa55w0rd" not in str(info.value)


async def test_update_names_an_unknown_keyword_rather_than_asking_for_a_field(
    client: TakeOneClient, api: FakeAPI
) -> None:
    with pytest.raises(TakeOneValueError, match=r"app_users.update: unknown argument\(s\) bogus"):
        await client.app_users.update("u1", bogus=1)  # type: ignore[call-arg]
    assert len(api.requests) == 0


def test_a_base_url_that_is_not_a_string_is_named_by_its_type_only() -> None:
    class Url:
        def __repr__(self) -> str:
            return "Url('https://u:pa55w0rd@h/')"

    with pytest.raises(TakeOneValueError) as info:
        TakeOneClient("id", "s3cr3t-value", base_url=Url())  # type: ignore[arg-type]
    assert str(info.value) == "TakeOneClient: base_url must be an http(s) URL, got a Url"
