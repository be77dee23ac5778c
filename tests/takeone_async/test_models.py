"""Models: every documented answer structures and unstructures back; the unknown survives."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from takeone_async import (
    AppUser,
    AppUserState,
    HeadshotContainer,
    HeadshotContainerTemplate,
    HeadshotProject,
    Project,
    PublishingFormat,
    PublishingStatus,
    ScriptGeneration,
    ScriptGenerationTemplate,
    VideoContainer,
    VideoContainerTemplate,
    VideoFormat,
)
from takeone_async import models as models_module
from takeone_async.converter import StructureError, structure, unstructure
from takeone_async.models import AuthCode
from tests.conftest import SAMPLES, load_sample


@attrs.frozen
class Sample:
    """A documented answer: its model, whether it is a page, and where an enum value sits."""

    model: type
    page: bool = False
    enum_path: tuple[str, ...] = ()


RESPONSE_SAMPLES = {
    "create_app_user.response.json": Sample(AppUser, enum_path=("status", "state")),
    "fetch_app_user.response.json": Sample(AppUser, enum_path=("status", "state")),
    "update_app_user.response.json": Sample(AppUser, enum_path=("status", "state")),
    "fetch_app_users.response.json": Sample(AppUser, True, ("status", "state")),
    "create_user_auth_code.response.json": Sample(AuthCode),
    "fetch_video_container_templates.response.json": Sample(
        VideoContainerTemplate, True, ("container_type",)
    ),
    "create_video_container.response.json": Sample(VideoContainer),
    "fetch_video_containers.response.json": Sample(VideoContainer, True),
    "create_project.response.json": Sample(Project, enum_path=("state",)),
    "fetch_projects.response.json": Sample(Project, True, ("publishing_status",)),
    "publish_project.response.json": Sample(Project, enum_path=("state",)),
    "unpublish_project.response.json": Sample(Project, enum_path=("publishing_status",)),
    "fetch_script_generation_template.response.json": Sample(ScriptGenerationTemplate),
    "fetch_script_generation_templates.response.json": Sample(ScriptGenerationTemplate, True),
    "create_script_generation.response.json": Sample(ScriptGeneration, enum_path=("state",)),
    "get_script_generations.response.json": Sample(ScriptGeneration, True, ("state",)),
    "get_script_generations_by_id.response.json": Sample(ScriptGeneration, enum_path=("state",)),
    "fetch_headshot_container_templates.response.json": Sample(
        HeadshotContainerTemplate, True, ("container_type",)
    ),
    "create_headshot_container.response.json": Sample(HeadshotContainer),
    "fetch_headshot_container.response.json": Sample(HeadshotContainer),
    "fetch_headshot_containers.response.json": Sample(HeadshotContainer, True),
    "create_headshot_project.response.json": Sample(HeadshotProject, enum_path=("state",)),
    "fetch_headshot_project.response.json": Sample(HeadshotProject, enum_path=("state",)),
    "fetch_headshot_projects.response.json": Sample(HeadshotProject, True, ("state",)),
}
NO_MODEL = {"send_user_invitation_email.response.json": {}}
UNKNOWN = {"future_field": {"nested": [1, {"x": None}], "flag": True}}


def _objects(name: str) -> list[Any]:
    data = load_sample(name)
    return data["results"] if RESPONSE_SAMPLES[name].page else [data]


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        data = data[key] if isinstance(data, dict) else getattr(data, key)
    return data


def test_every_response_sample_is_covered() -> None:
    on_disk = {p.name for p in SAMPLES.glob("*.response.json")}
    assert on_disk == set(RESPONSE_SAMPLES) | set(NO_MODEL)
    for name, body in NO_MODEL.items():
        assert load_sample(name) == body


@pytest.mark.parametrize("name", RESPONSE_SAMPLES)
def test_sample_structures_and_unstructures_to_the_same_json(name: str) -> None:
    model = RESPONSE_SAMPLES[name].model
    for data in _objects(name):
        obj = structure(data, model)
        assert isinstance(obj, model)
        assert unstructure(obj) == data


@pytest.mark.parametrize("name", RESPONSE_SAMPLES)
def test_unknown_fields_and_enum_values_survive_a_round_trip(name: str) -> None:
    sample = RESPONSE_SAMPLES[name]
    for data in _objects(name):
        data = {**copy.deepcopy(data), **UNKNOWN}
        if sample.enum_path:
            _dig(data, sample.enum_path[:-1])[sample.enum_path[-1]] = "archived"

        obj = structure(data, sample.model)

        assert obj.extra == UNKNOWN
        if sample.enum_path:
            value = _dig(obj, sample.enum_path)
            assert value == "archived"
            assert type(value) is str
        assert unstructure(obj) == data


def test_known_enum_values_become_members_and_compare_as_strings() -> None:
    project = structure(load_sample("publish_project.response.json"), Project)
    assert project.publishing_status is PublishingStatus.PUBLISHING
    assert project.publishing_status == "publishing"
    user = structure(load_sample("create_app_user.response.json"), AppUser)
    assert user.status is not None
    assert user.status.state is AppUserState.NOT_INVITED


def test_unknown_values_in_an_enum_list_and_nested_unknown_fields_survive() -> None:
    data = copy.deepcopy(load_sample("fetch_video_container_templates.response.json")["results"][0])
    data["video_formats"] = ["portrait", "cinema"]
    template = structure(data, VideoContainerTemplate)
    assert template.video_formats == (VideoFormat.PORTRAIT, "cinema")
    assert unstructure(template) == data

    data = copy.deepcopy(load_sample("fetch_app_user.response.json"))
    data["status"]["reason"] = "left the company"
    data["projects"][0]["thumbnail"] = "https://example.com/t.png"
    user = structure(data, AppUser)
    assert user.status is not None
    assert user.status.extra == {"reason": "left the company"}
    assert user.projects[0].extra == {"thumbnail": "https://example.com/t.png"}
    assert unstructure(user) == data


def test_date_times_are_aware_datetimes() -> None:
    user = structure(load_sample("create_app_user.response.json"), AppUser)
    assert user.created_date_time == datetime(2025, 7, 25, 20, 50, 22, 459687, tzinfo=UTC)
    assert user.status is not None
    assert user.status.date_time is not None
    assert user.status.date_time.tzinfo is not None


def test_publishing_and_preview_info_are_maps_of_small_classes() -> None:
    project = structure(load_sample("fetch_projects.response.json")["results"][1], Project)
    assert project.publishing_info is not None
    assert project.preview_info is not None
    landscape = project.publishing_info["landscape"]
    assert landscape.video is not None
    assert landscape.images is not None
    assert landscape.video.src == (
        "https://customer-xxxxxx.cloudflarestream.com/xxxxxx/manifest/video.m3u8"
    )
    assert landscape.images.high_res == "https://imagedelivery.net/xxxxxx/xxxxxx/3840"
    assert project.preview_info["landscape"].video_url == "https://example.com/xxyyzz.mov"
    assert project.preview_info["landscape"].image_url == "https://example.com/xxyyzz.png"
    assert project.published_video_stream is not None
    assert project.published_video_stream.video_format is VideoFormat.LANDSCAPE


def test_a_format_the_sdk_does_not_know_is_kept() -> None:
    data = copy.deepcopy(load_sample("fetch_projects.response.json")["results"][1])
    data["publishing_info"]["cinema"] = {"video": {"src": "https://x/c.m3u8", "type": "t"}}
    project = structure(data, Project)
    assert project.publishing_info is not None
    video = project.publishing_info["cinema"].video
    assert video is not None
    assert video.src == "https://x/c.m3u8"


def test_raw_json_fields_stay_raw() -> None:
    template = structure(
        load_sample("fetch_script_generation_template.response.json"), ScriptGenerationTemplate
    )
    assert template.prompt_parameters_schema["required"] == ["name", "bio"]
    generation = structure(load_sample("create_script_generation.response.json"), ScriptGeneration)
    assert generation.prompt_parameters["name"] == "John"
    shots = [{"url": "https://x/1.png", "anything": [1, 2]}]
    headshot = structure({"id": "h1", "shots": shots}, HeadshotProject)
    assert headshot.shots == shots


def test_missing_and_null_documented_fields_do_not_fail() -> None:
    project = structure({"id": "p1", "state": None, "publishing_info": None}, Project)
    assert (project.state, project.publishing_info, project.created_date_time) == (None, None, None)
    user = structure({"id": "u1", "projects": None, "status": None}, AppUser)
    assert (user.projects, user.status) == ((), None)


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"state": "recording"}, "$.id"),
        ({"id": "p1", "created_date_time": "yesterday"}, "$.created_date_time"),
        (
            {"id": "p1", "publishing_info": {"landscape": {"video": {"src": 5}}}},
            "$.publishing_info.landscape.video.src",
        ),
        ({"id": "p1", "state": 3}, "$.state"),
        (["not", "an", "object"], "$"),
    ],
)
def test_a_wrong_shape_names_the_json_path(data: Any, where: str) -> None:
    with pytest.raises(StructureError) as info:
        structure(data, Project)
    assert info.value.where == where
    assert str(info.value).startswith(where + ": ")


@pytest.mark.parametrize("model", [s.model for s in RESPONSE_SAMPLES.values()])
def test_models_are_frozen_and_slotted(model: type) -> None:
    obj = model(id="x") if "id" in attrs.fields_dict(model) else model(code="c")
    assert not hasattr(obj, "__dict__")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        obj.id = "y"


def test_a_null_format_entry_does_not_fail_the_project() -> None:
    """A format entry that is null (not ready yet) is left out of the mapping."""
    data = copy.deepcopy(load_sample("fetch_projects.response.json")["results"][1])
    data["publishing_info"]["square"] = None
    data["preview_info"]["portrait"] = None
    project = structure(data, Project)
    assert project.publishing_info is not None
    assert project.publishing_info.get("square") is None
    assert project.publishing_info["landscape"].video is not None
    assert project.preview_info is not None
    assert project.preview_info.get("portrait") is None


MODELS = sorted(
    {
        cls
        for cls in vars(models_module).values()
        if isinstance(cls, type) and attrs.has(cls) and cls is not models_module.Page
    },
    key=lambda cls: cls.__name__,
)


@pytest.mark.parametrize("model", MODELS, ids=lambda cls: cls.__name__)
def test_every_model_is_hashable_even_with_its_mappings_filled(model: type) -> None:
    required = {f.name: "x" for f in attrs.fields(model) if f.default is attrs.NOTHING}
    mappings = {
        f.name: {"k": [1, {"deep": True}]}
        for f in attrs.fields(model)
        if f.name == "extra" or "Mapping" in str(f.type)
    }
    assert "extra" in mappings
    obj = model(**required, **mappings)
    again = model(**required, **copy.deepcopy(mappings))
    assert obj == again
    assert hash(obj) == hash(again)
    assert {obj, again} == {obj}


@pytest.mark.parametrize("name", RESPONSE_SAMPLES)
def test_structured_answers_hash_equal_when_equal(name: str) -> None:
    model = RESPONSE_SAMPLES[name].model
    for data in _objects(name):
        first, second = structure(data, model), structure(copy.deepcopy(data), model)
        assert first == second
        assert hash(first) == hash(second)
        assert len({first, second}) == 1


def test_models_as_set_members_and_dict_keys_keep_equality_semantics() -> None:
    """Equal models are one key; the same id with other fields is another model. The hash
    leaves out ``extra`` (read-only) and the mappings (dicts, which can change), so changing one
    in place does not lose the model in a set."""
    ada = AppUser(id="u1", given_name="Ada", extra={"tier": "gold"})
    renamed = attrs.evolve(ada, given_name="Augusta")
    other_extra = attrs.evolve(ada, extra={"tier": "silver"})
    users = {ada, AppUser(id="u1", given_name="Ada", extra={"tier": "gold"}), renamed, other_extra}
    assert len(users) == 3
    assert {ada: 1}[AppUser(id="u1", given_name="Ada", extra={"tier": "gold"})] == 1
    with pytest.raises(TypeError, match="read-only"):
        ada.extra["tier"] = "platinum"  # type: ignore[index]
    project = Project(id="p1", publishing_info={"landscape": PublishingFormat()})
    projects = {project}
    before = hash(project)
    project.publishing_info["square"] = PublishingFormat()  # type: ignore[index]
    assert hash(project) == before
    assert project in projects


@pytest.mark.parametrize("model", [Project, VideoContainer])
def test_stream_url_is_the_published_formats_hls_manifest(model: type) -> None:
    """``stream_url`` reads ``publishing_info`` like the webhook summaries do; a format that
    is missing, or published without a video, is None."""
    published = structure(
        {
            "id": "x1",
            "publishing_info": {
                "landscape": {"video": {"src": "https://cdn/l.m3u8"}},
                "portrait": {"images": {"high_res": "https://cdn/p.jpg"}},
            },
        },
        model,
    )
    assert published.stream_url() == "https://cdn/l.m3u8"
    assert published.stream_url("portrait") is None
    assert published.stream_url("square") is None
    assert structure({"id": "x2", "publishing_info": None}, model).stream_url() is None
