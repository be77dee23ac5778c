"""The state store and the pure life cycle, without HTTP: objects, references, transitions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from takeone_async import AppUserState, ProjectState, PublishingStatus
from takeone_async.sandbox import SandboxNotFoundError, SandboxValidationError, Store
from takeone_async.sandbox import _lifecycle as life
from takeone_async.sandbox._store import Clock, write_script
from tests.takeone_async.sandbox.conftest import (
    BIO_SCRIPT,
    HEADSHOT_TEMPLATE,
    PORTRAIT_TEMPLATE,
    PROFILE_TEMPLATE,
)

MEDIA = life.Media("https://media.example")
KEY = b"secret-key"


@pytest.fixture
def store() -> Store:
    return Store(signing_key=KEY)


def user_container_project(store: Store, template: str = PROFILE_TEMPLATE) -> tuple[str, str, str]:
    user = store.create_app_user({"email_address": "a@example.com"})
    container = store.create_video_container({"template": template, "name": "v"})
    project = store.create_project({"user": user.id, "video_container": container.id})
    return user.id, container.id, project.id


def test_the_documented_templates_are_seeded_and_can_be_left_out() -> None:
    seeded = Store(signing_key=KEY)
    assert list(seeded.video_container_templates) == [PORTRAIT_TEMPLATE, PROFILE_TEMPLATE]
    assert list(seeded.script_generation_templates) == [BIO_SCRIPT]
    assert list(seeded.headshot_container_templates) == [HEADSHOT_TEMPLATE]
    assert not Store(signing_key=KEY, seed=False).video_container_templates


def test_the_clock_strictly_increases_even_when_time_stands_still() -> None:
    fixed = datetime(2025, 1, 1, tzinfo=UTC)
    clock = Clock(lambda: fixed)
    assert [clock(), clock(), clock()] == [fixed + timedelta(microseconds=n) for n in range(3)]


def test_a_new_project_records_on_its_user_and_takes_the_container_language(store: Store) -> None:
    user_id, container_id, project_id = user_container_project(store)
    project = store.project(project_id)
    assert (project.state, project.publishing_status) == ("recording", "cannot_publish")
    assert project.language == "en"
    assert project.video_container == container_id
    assert [p.id for p in store.app_user(user_id).projects] == [project_id]


def test_lists_are_newest_first_and_filtered(store: Store) -> None:
    first = store.create_app_user({"external_id": "a"})
    second = store.create_app_user({"external_id": "b"})
    third = store.create_app_user({"external_id": "a"})
    assert store.list_app_users() == [third, second, first]
    assert store.list_app_users("a") == [third, first]
    assert store.list_app_users("zzz") == []


def test_updates_change_only_the_fields_given(store: Store) -> None:
    user = store.create_app_user({"given_name": "Ada", "family_name": "L"})
    updated = store.update_app_user(user.id, {"display_name": "Ada L.", "family_name": None})
    assert (updated.given_name, updated.family_name, updated.display_name) == (
        "Ada",
        None,
        "Ada L.",
    )
    assert updated.modified_date_time > user.modified_date_time  # type: ignore[operator]


def test_the_auth_code_is_a_jwt_signed_with_the_client_secret(store: Store) -> None:
    user = store.create_app_user({})
    header, payload, signature = store.authorize({"user": user.id})["code"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["sub"] == user.id
    assert claims["exp"] - claims["iat"] == 600
    expected = hmac.new(KEY, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)) == expected


def test_an_invitation_makes_the_user_pending_and_needs_an_email(store: Store) -> None:
    with_email = store.create_app_user({"email_address": "a@example.com"})
    assert store.invite({"user": with_email.id}) == {}
    assert store.app_user(with_email.id).status.state == AppUserState.PENDING  # type: ignore[union-attr]
    without = store.create_app_user({})
    with pytest.raises(SandboxValidationError) as caught:
        store.invite({"user": without.id})
    assert caught.value.body == {"detail": "app user has no email address"}


def test_unknown_ids_are_404_and_unknown_references_400(store: Store) -> None:
    with pytest.raises(SandboxNotFoundError, match="project 'nope' not found"):
        store.project("nope")
    with pytest.raises(SandboxValidationError) as caught:
        store.create_project({"user": "u", "video_container": "c"})
    assert caught.value.body == {
        "user": ['Invalid pk "u" - object does not exist.'],
        "video_container": ['Invalid pk "c" - object does not exist.'],
    }
    assert str(caught.value).startswith('user: Invalid pk "u"')


def test_the_full_life_cycle_fills_previews_then_streams_then_clears_them(store: Store) -> None:
    _, container_id, project_id = user_container_project(store)
    project = store.project(project_id)
    with pytest.raises(SandboxValidationError, match="cannot be published"):
        life.publishing(project, store.clock())
    project = life.editing(project, store.clock())
    with pytest.raises(SandboxValidationError, match=r"not recording \(state=editing\)"):
        life.editing(project, store.clock())
    project = life.completed(project, MEDIA, store.formats(project), store.clock())
    assert project.publishing_status == PublishingStatus.CAN_PUBLISH
    assert project.preview_info["landscape"].video_url.endswith("/preview/landscape.mov")  # type: ignore[index,union-attr]
    project = life.publishing(project, store.clock())
    with pytest.raises(
        SandboxValidationError, match=r"unpublished \(publishing_status=publishing\)"
    ):
        life.unpublishing(project, store.clock())
    project = life.published(project, MEDIA, store.formats(project), store.clock())
    container = store.save_project(project)
    src = project.publishing_info["landscape"].video.src  # type: ignore[index,union-attr]
    assert src == f"https://media.example/{project_id}/landscape/manifest/video.m3u8"
    assert container.publishing_info == project.publishing_info
    assert container.video_stream == project.published_video_stream
    project = life.unpublished(life.unpublishing(project, store.clock()), store.clock())
    container = store.save_project(project)
    assert project.publishing_status == PublishingStatus.CAN_PUBLISH
    assert container.publishing_info is None
    assert container.video_stream is None
    assert store.video_container(container_id) == container


def test_another_projects_change_leaves_the_container_streams(store: Store) -> None:
    user_id, container_id, project_id = user_container_project(store)
    other = store.create_project({"user": user_id, "video_container": container_id})
    published = life.published(store.project(project_id), MEDIA, ["landscape"], store.clock())
    store.save_project(published)
    container = store.save_project(life.editing(other, store.clock()))
    assert container.publishing_info == published.publishing_info


def test_formats_come_from_the_container_template(store: Store) -> None:
    _, _, project_id = user_container_project(store, PORTRAIT_TEMPLATE)
    assert store.formats(store.project(project_id)) == ["portrait"]


def test_script_generations_check_the_template_belongs_to_the_container(store: Store) -> None:
    _, portrait, _ = user_container_project(store, PORTRAIT_TEMPLATE)
    with pytest.raises(SandboxValidationError) as caught:
        store.create_script_generation(portrait, {"template": BIO_SCRIPT, "parameters": {}})
    assert caught.value.body == {
        "template": [f'Invalid pk "{BIO_SCRIPT}" - object does not exist.']
    }


def test_a_generation_finishes_once(store: Store) -> None:
    _, container_id, _ = user_container_project(store)
    params = {"name": "Ada", "bio": "Ada writes programs."}
    generation = store.create_script_generation(
        container_id, {"template": BIO_SCRIPT, "parameters": params}
    )
    assert (generation.state, generation.script) == ("initialized", "")
    done = store.finish_script_generation(container_id, generation.id)
    assert (done.state, done.script) == ("completed", "Hi, I'm Ada. Ada writes programs.")
    with pytest.raises(SandboxValidationError, match="already completed"):
        store.finish_script_generation(container_id, generation.id, failed=True)


def test_the_stand_in_script_uses_whatever_parameters_it_gets() -> None:
    assert write_script({"topic": "cats", "tone": "warm"}) == (
        "Hi, this is my profile video. tone: warm, topic: cats"
    )
    assert write_script(None) == "Hi, this is my profile video."


def test_headshot_projects_take_the_template_title_and_process_once(store: Store) -> None:
    user = store.create_app_user({})
    container = store.create_headshot_container(
        {"template": HEADSHOT_TEMPLATE, "user": user.id, "name": "h"}
    )
    assert container.template_name == "Headshot"
    project = store.create_headshot_project({"headshot_container": container.id, "user": user.id})
    assert (project.state, project.user_provided_title) == ("capturing", "Headshot")
    assert store.process_headshot_project(project.id).state == "processing"
    with pytest.raises(SandboxValidationError, match="not capturing"):
        store.process_headshot_project(project.id)


def test_a_project_whose_template_vanished_still_has_a_format(store: Store) -> None:
    _, _, project_id = user_container_project(store)
    store.video_container_templates.clear()
    assert store.formats(store.project(project_id)) == ["landscape"]
    assert store.project(project_id).state == ProjectState.RECORDING
