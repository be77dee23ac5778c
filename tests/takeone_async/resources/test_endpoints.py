"""Every one of the 25 documented endpoints, table-driven: what is sent and what comes back."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import pytest

from takeone_async import (
    AppUser,
    HeadshotContainer,
    HeadshotContainerTemplate,
    HeadshotProject,
    Page,
    Project,
    ScriptGeneration,
    ScriptGenerationTemplate,
    TakeOneClient,
    VideoContainer,
    VideoContainerTemplate,
)
from takeone_async.converter import unstructure
from tests.conftest import API, load_sample
from tests.takeone_async.conftest import AUTHORIZATION, USER_AGENT, FakeAPI

USER = "5f8c9d8e-84d6-4dc2-bf08-c1bdb28ac25f"
CONTAINER = "3f3248ab-d6ad-4658-afe1-6b5c39218859"
PROJECT = "7e9612d9-f2c6-459a-9c64-7fa4792bbd2e"
VC_TEMPLATE = "3c0a6647-d7a8-4859-88aa-85d36f21da23"
SG_TEMPLATE = "ce32c900-e7b2-49f6-8bde-2ef1c268b22d"
GENERATION = "dcb4e6cb-9ea0-4beb-bb2f-b460e19dd264"
HEADSHOT_CONTAINER = "dd15b338-13c9-4648-9d88-b64e063bb1cf"
HEADSHOT_PROJECT = "8bd94bc0-1abb-44e9-8e54-b537b535db57"

Call = Callable[[TakeOneClient, Any], Awaitable[Any]]


@attrs.frozen
class Endpoint:
    """One documented endpoint: the SDK call, the request it must make and what it returns.

    ``returns`` is a model class (one object), ``Page`` + ``item`` (a list call, read through
    ``first_page()``), ``str`` (the auth code) or ``None``.
    """

    method: str
    path: str
    call: Call
    response: str
    returns: Any
    request: str | None = None
    status: int = 200
    item: type | None = None


def _list(call: Callable[[TakeOneClient], Any]) -> Call:
    async def first_page(client: TakeOneClient, _: Any) -> Any:
        return await call(client).first_page()

    return first_page


ENDPOINTS: dict[str, Endpoint] = {
    "app_users.create": Endpoint(
        "POST",
        "/app_users",
        lambda c, b: c.app_users.create(**b),
        "create_app_user.response.json",
        AppUser,
        "create_app_user.request.json",
        201,
    ),
    "app_users.list": Endpoint(
        "GET",
        "/app_users?external_id=0123456789",
        _list(lambda c: c.app_users.list(external_id="0123456789")),
        "fetch_app_users.response.json",
        Page,
        item=AppUser,
    ),
    "app_users.get": Endpoint(
        "GET",
        f"/app_users/{USER}",
        lambda c, _: c.app_users.get(USER),
        "fetch_app_user.response.json",
        AppUser,
    ),
    "app_users.update": Endpoint(
        "PUT",
        f"/app_users/{USER}",
        lambda c, b: c.app_users.update(USER, **b),
        "update_app_user.response.json",
        AppUser,
        "update_app_user.request.json",
        201,
    ),
    "app_users.authorize": Endpoint(
        "POST",
        "/app_users/authorize",
        lambda c, b: c.app_users.authorize(b["user"]),
        "create_user_auth_code.response.json",
        str,
        "create_user_auth_code.request.json",
        201,
    ),
    "app_users.send_invitation_email": Endpoint(
        "POST",
        "/app_users/email",
        lambda c, b: c.app_users.send_invitation_email(b["user"]),
        "send_user_invitation_email.response.json",
        None,
        "send_user_invitation_email.request.json",
        201,
    ),
    "video_container_templates.list": Endpoint(
        "GET",
        "/video_container_templates",
        _list(lambda c: c.video_container_templates.list()),
        "fetch_video_container_templates.response.json",
        Page,
        item=VideoContainerTemplate,
    ),
    "video_containers.create": Endpoint(
        "POST",
        "/video_containers",
        lambda c, b: c.video_containers.create(**b),
        "create_video_container.response.json",
        VideoContainer,
        "create_video_container.request.json",
        201,
    ),
    "video_containers.list": Endpoint(
        "GET",
        "/video_containers",
        _list(lambda c: c.video_containers.list()),
        "fetch_video_containers.response.json",
        Page,
        item=VideoContainer,
    ),
    "projects.create": Endpoint(
        "POST",
        "/projects",
        lambda c, b: c.projects.create(**b),
        "create_project.response.json",
        Project,
        "create_project.request.json",
        201,
    ),
    "projects.list": Endpoint(
        "GET",
        f"/projects?user_id={USER}&video_container={CONTAINER}",
        _list(lambda c: c.projects.list(user_id=USER, video_container=CONTAINER)),
        "fetch_projects.response.json",
        Page,
        item=Project,
    ),
    "projects.publish": Endpoint(
        "POST",
        f"/projects/{PROJECT}/publish",
        lambda c, _: c.projects.publish(PROJECT),
        "publish_project.response.json",
        Project,
    ),
    "projects.unpublish": Endpoint(
        "POST",
        f"/projects/{PROJECT}/unpublish",
        lambda c, _: c.projects.unpublish(PROJECT),
        "unpublish_project.response.json",
        Project,
    ),
    "script_generation_templates.list": Endpoint(
        "GET",
        f"/video_container_templates/{VC_TEMPLATE}/script_generation_templates",
        _list(lambda c: c.script_generation_templates.list(VC_TEMPLATE)),
        "fetch_script_generation_templates.response.json",
        Page,
        item=ScriptGenerationTemplate,
    ),
    "script_generation_templates.get": Endpoint(
        "GET",
        f"/video_container_templates/{VC_TEMPLATE}/script_generation_templates/{SG_TEMPLATE}",
        lambda c, _: c.script_generation_templates.get(VC_TEMPLATE, SG_TEMPLATE),
        "fetch_script_generation_template.response.json",
        ScriptGenerationTemplate,
    ),
    "script_generations.create": Endpoint(
        "POST",
        f"/video_containers/{CONTAINER}/script_generations",
        lambda c, b: c.script_generations.create(CONTAINER, **b),
        "create_script_generation.response.json",
        ScriptGeneration,
        "create_script_generation.request.json",
        201,
    ),
    "script_generations.list": Endpoint(
        "GET",
        f"/video_containers/{CONTAINER}/script_generations",
        _list(lambda c: c.script_generations.list(CONTAINER)),
        "get_script_generations.response.json",
        Page,
        item=ScriptGeneration,
    ),
    "script_generations.get": Endpoint(
        "GET",
        f"/video_containers/{CONTAINER}/script_generations/{GENERATION}",
        lambda c, _: c.script_generations.get(CONTAINER, GENERATION),
        "get_script_generations_by_id.response.json",
        ScriptGeneration,
    ),
    "headshot_container_templates.list": Endpoint(
        "GET",
        "/headshot_container_templates",
        _list(lambda c: c.headshot_container_templates.list()),
        "fetch_headshot_container_templates.response.json",
        Page,
        item=HeadshotContainerTemplate,
    ),
    "headshot_containers.create": Endpoint(
        "POST",
        "/headshot_containers",
        lambda c, b: c.headshot_containers.create(**b),
        "create_headshot_container.response.json",
        HeadshotContainer,
        "create_headshot_container.request.json",
        201,
    ),
    "headshot_containers.list": Endpoint(
        "GET",
        "/headshot_containers",
        _list(lambda c: c.headshot_containers.list()),
        "fetch_headshot_containers.response.json",
        Page,
        item=HeadshotContainer,
    ),
    "headshot_containers.get": Endpoint(
        "GET",
        f"/headshot_containers/{HEADSHOT_CONTAINER}",
        lambda c, _: c.headshot_containers.get(HEADSHOT_CONTAINER),
        "fetch_headshot_container.response.json",
        HeadshotContainer,
    ),
    "headshot_projects.list": Endpoint(
        "GET",
        "/headshot_projects",
        _list(lambda c: c.headshot_projects.list()),
        "fetch_headshot_projects.response.json",
        Page,
        item=HeadshotProject,
    ),
    "headshot_projects.get": Endpoint(
        "GET",
        f"/headshot_projects/{HEADSHOT_PROJECT}",
        lambda c, _: c.headshot_projects.get(HEADSHOT_PROJECT),
        "fetch_headshot_project.response.json",
        HeadshotProject,
    ),
    "headshot_projects.create": Endpoint(
        "POST",
        "/headshot_projects",
        lambda c, b: c.headshot_projects.create(**b),
        "create_headshot_project.response.json",
        HeadshotProject,
        "create_headshot_project.request.json",
        201,
    ),
}


def test_the_table_covers_the_25_documented_endpoints() -> None:
    assert len({(e.method, e.path.split("?")[0]) for e in ENDPOINTS.values()}) == 25


def _check_result(endpoint: Endpoint, result: Any, documented: Any) -> None:
    if endpoint.returns is None:
        assert result is None
    elif endpoint.returns is str:
        assert result == documented["code"]
    elif endpoint.returns is Page:
        assert isinstance(result, Page)
        assert all(isinstance(item, endpoint.item) for item in result.results)  # type: ignore[arg-type]
        assert [unstructure(item) for item in result.results] == documented["results"]
        assert (result.count, result.next, result.previous) == (
            documented["count"],
            documented["next"],
            documented["previous"],
        )
    else:
        assert isinstance(result, endpoint.returns)
        assert unstructure(result) == documented


@pytest.mark.parametrize("endpoint", ENDPOINTS.values(), ids=ENDPOINTS.keys())
async def test_endpoint_sends_the_documented_request_and_structures_the_answer(
    endpoint: Endpoint, client: TakeOneClient, api: FakeAPI
) -> None:
    url = API + endpoint.path
    documented = load_sample(endpoint.response)
    api.add(url, endpoint.method, status=endpoint.status, payload=documented)
    body = load_sample(endpoint.request) if endpoint.request else None

    result = await endpoint.call(client, body)

    request = api.only_request(endpoint.method, url)
    assert request.url.path == "/api/v1" + endpoint.path.split("?")[0]
    assert request.json == body
    assert request.headers["Authorization"] == AUTHORIZATION
    assert request.headers["User-Agent"] == USER_AGENT
    _check_result(endpoint, result, documented)


@pytest.mark.parametrize("display_name", [{}, {"organization_display_name": None}])
async def test_a_project_without_a_display_name_does_not_send_one(
    client: TakeOneClient, api: FakeAPI, display_name: dict[str, Any]
) -> None:
    api.post(f"{API}/projects", status=201, payload={"id": PROJECT})
    await client.projects.create(user=USER, video_container=CONTAINER, **display_name)
    request = api.only_request("POST", f"{API}/projects")
    assert request.json == {"user": USER, "video_container": CONTAINER}


def test_optional_fields_left_out_show_as_unset_in_signatures(client: TakeOneClient) -> None:
    """``help(client.app_users.update)`` reads ``display_name=UNSET``: not given is not None."""
    parameter = inspect.signature(client.app_users.update).parameters["display_name"]
    assert repr(parameter.default) == "UNSET"
