"""Every one of the 25 endpoints through TakeOneClient against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio

import pytest

from takeone_async import (
    AppUserState,
    BadRequestError,
    HeadshotProjectState,
    NotFoundError,
    ProjectState,
    PublishingStatus,
    ScriptGenerationState,
    TakeOneClient,
)
from takeone_async.sandbox import Sandbox
from tests.conftest import load_sample
from tests.takeone_async.sandbox.conftest import (
    BIO_SCRIPT,
    HEADSHOT_TEMPLATE,
    PROFILE_TEMPLATE,
    World,
    project_by_id,
)

BIO = load_sample("create_script_generation.request.json")["parameters"]


async def test_app_users_create_get_update_list_authorize_and_email(api: TakeOneClient) -> None:
    request = load_sample("create_app_user.request.json")
    user = await api.app_users.create(**request)
    assert (user.given_name, user.external_id, user.is_active) == ("John", "0123456789", True)
    assert user.status is not None
    assert user.status.state == AppUserState.NOT_INVITED
    assert await api.app_users.get(user.id) == user
    update = load_sample("update_app_user.request.json")
    updated = await api.app_users.update(user.id, **update)
    assert (updated.external_id, updated.given_name) == ("9876543210", "Jack")
    assert [u.id for u in await api.app_users.list(external_id="9876543210").to_list()] == [user.id]
    assert await api.app_users.list(external_id="0123456789").to_list() == []
    code = await api.app_users.authorize(user.id)
    assert code.startswith("eyJ")
    assert code.count(".") == 2
    assert await api.app_users.send_invitation_email(user.id) is None
    invited = await api.app_users.get(user.id)
    assert invited.status is not None
    assert invited.status.state == AppUserState.PENDING


async def test_get_or_create_finds_the_user_it_made(api: TakeOneClient) -> None:
    first = await api.app_users.get_or_create(external_id="m-7", given_name="Ada")
    again = await api.app_users.get_or_create(external_id="m-7", given_name="Other")
    assert again == first
    assert await api.app_users.find_by_external_id("m-8") is None


async def test_video_container_templates_and_containers(api: TakeOneClient) -> None:
    templates = await api.video_container_templates.list().to_list()
    documented = load_sample("fetch_video_container_templates.response.json")["results"]
    assert [t.id for t in templates] == [t["id"] for t in documented]
    container = await api.video_containers.create(template=PROFILE_TEMPLATE, name="Ada's video")
    assert (container.template_name, container.language, container.allowed_origins) == (
        "Profile Video",
        "en",
        (),
    )
    assert await api.video_containers.list().to_list() == [container]


async def test_projects_create_list_publish_unpublish(
    sandbox: Sandbox, api: TakeOneClient, world: World
) -> None:
    project = world.project
    assert (project.state, project.publishing_status) == ("recording", "cannot_publish")
    other = await api.projects.create(
        user=world.user.id, video_container=world.container.id, organization_display_name="Org"
    )
    assert other.organization_display_name == "Org"
    assert [p.id for p in await api.projects.list(user_id=world.user.id).to_list()] == [
        other.id,
        project.id,
    ]
    assert await api.projects.list(video_container="nope").to_list() == []
    await sandbox.complete_recording(project.id)
    publishing = await api.projects.publish(project.id)
    assert publishing.publishing_status == PublishingStatus.PUBLISHING
    await sandbox.settle()
    published = await project_by_id(api, project.id)
    assert published.publishing_status == PublishingStatus.PUBLISHED
    assert published.state == ProjectState.COMPLETED
    assert list(published.publishing_info or {}) == ["landscape"]
    unpublishing = await api.projects.unpublish(project.id)
    assert unpublishing.publishing_status == PublishingStatus.UNPUBLISHING
    await sandbox.settle()
    back = await project_by_id(api, project.id)
    assert back.publishing_status == PublishingStatus.CAN_PUBLISH
    assert back.publishing_info is None


async def test_script_generation_templates_and_generations(
    sandbox: Sandbox, api: TakeOneClient, world: World
) -> None:
    (template,) = await api.script_generation_templates.list(PROFILE_TEMPLATE).to_list()
    assert template.id == BIO_SCRIPT
    fetched = await api.script_generation_templates.get(PROFILE_TEMPLATE, BIO_SCRIPT)
    assert fetched == template
    assert fetched.prompt_parameters_schema["required"] == ["name", "bio"]
    generation = await api.script_generations.create(
        world.container.id, template=BIO_SCRIPT, parameters=BIO
    )
    assert (generation.state, generation.script, generation.prompt_parameters) == (
        "initialized",
        "",
        BIO,
    )
    done = await api.script_generations.wait(
        world.container.id, generation.id, timeout=5, poll_interval=0.01
    )
    assert done.state == ScriptGenerationState.COMPLETED
    assert done.script is not None
    assert done.script.startswith("Hi, I'm John.")
    assert await api.script_generations.get(world.container.id, generation.id) == done
    assert await api.script_generations.list(world.container.id).to_list() == [done]


async def test_a_failed_generation_ends_in_error(
    sandbox: Sandbox, api: TakeOneClient, world: World
) -> None:
    generation = await api.script_generations.create(
        world.container.id, template=BIO_SCRIPT, parameters=BIO
    )
    failed = await sandbox.fail_script_generation(world.container.id, generation.id)
    assert failed.state == ScriptGenerationState.ERROR
    await sandbox.settle()
    assert (await api.script_generations.get(world.container.id, generation.id)).state == "error"


async def test_headshot_templates_containers_and_projects(
    sandbox: Sandbox, api: TakeOneClient, world: World
) -> None:
    (template,) = await api.headshot_container_templates.list().to_list()
    assert (template.id, template.number_of_shots) == (HEADSHOT_TEMPLATE, 3)
    container = await api.headshot_containers.create(
        template=HEADSHOT_TEMPLATE, user=world.user.id, name="Ada's headshot"
    )
    assert await api.headshot_containers.get(container.id) == container
    assert await api.headshot_containers.list().to_list() == [container]
    project = await api.headshot_projects.create(
        headshot_container=container.id, user=world.user.id
    )
    assert project.state == HeadshotProjectState.CAPTURING
    await sandbox.settle()
    processing = await api.headshot_projects.get(project.id)
    assert processing.state == HeadshotProjectState.PROCESSING
    assert await api.headshot_projects.list().to_list() == [processing]


async def test_bad_requests_raise_the_typed_errors(api: TakeOneClient, world: World) -> None:
    with pytest.raises(BadRequestError) as caught:
        await api.projects.publish(world.project.id)
    assert caught.value.json == {
        "detail": "project cannot be published (publishing_status=cannot_publish)"
    }
    with pytest.raises(BadRequestError, match="template: Invalid pk"):
        await api.video_containers.create(template="nope", name="x")
    with pytest.raises(BadRequestError, match="'bio' is a required property"):
        await api.script_generations.create(
            world.container.id, template=BIO_SCRIPT, parameters={"name": "Ada"}
        )
    with pytest.raises(NotFoundError):
        await api.app_users.get("nope")
    with pytest.raises(NotFoundError):
        await api.script_generation_templates.get(PROFILE_TEMPLATE, "nope")
    with pytest.raises(NotFoundError):
        await api.script_generations.list("nope").to_list()
    with pytest.raises(NotFoundError):
        await api.headshot_projects.get("nope")


async def test_concurrent_creates_all_land(api: TakeOneClient) -> None:
    users = await asyncio.gather(*(api.app_users.create(external_id=f"c-{n}") for n in range(30)))
    assert len({u.id for u in users}) == 30
    listed = await api.app_users.list().to_list()
    assert sorted(u.external_id or "" for u in listed) == sorted(f"c-{n}" for n in range(30))
