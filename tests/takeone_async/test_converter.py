"""The converter: structure / unstructure, read-only ``extra``, error paths, odd models."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import cattrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import takeone_async
from takeone_async import converter as converter_module
from takeone_async.converter import StructureError, converter, structure, unstructure
from takeone_async.errors import TakeOneError
from takeone_async.models import (
    AppUser,
    AppUserStatus,
    FrozenDict,
    Page,
    PreviewImages,
    Project,
    ProjectState,
    PublishingFormat,
    VideoContainerTemplate,
    extra_field,
)
from tests.conftest import load_sample

PAGE = load_sample("fetch_projects.response.json")
FRESH, PUBLISHED = PAGE["results"]
APP_USER = load_sample("fetch_app_user.response.json")
TEMPLATE = load_sample("fetch_video_container_templates.response.json")["results"][0]


# ---- the public functions ---------------------------------------------------------------------


def test_structure_and_unstructure_are_public_at_the_top_and_in_the_converter_module() -> None:
    assert set(converter_module.__all__) == {
        "StructureError",
        "converter",
        "structure",
        "unstructure",
    }
    for name in ("StructureError", "structure", "unstructure"):
        assert name in takeone_async.__all__
        assert getattr(takeone_async, name) is getattr(converter_module, name)


@pytest.fixture
def project() -> Project:
    return structure({**PUBLISHED, "future_field": {"nested": [1, None]}}, Project)


# ---- the README's Models block, verbatim ----------------------------------------------------


def store_and_load(project: Project) -> Project:
    row = json.dumps(unstructure(project))  # store it: a database column, a cache entry
    again = structure(json.loads(row), Project)  # load it back: an equal model
    assert again == project
    try:
        structure({"id": 7}, Project)
    except StructureError as exc:
        print(exc.where, exc.reason)  # $.id expected a string, got an integer
    return again


def test_a_stored_model_loads_back_equal(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a user stores (``json.dumps`` of ``unstructure``) loads back as the same model,
    unknown fields included, and data that does not fit names its place."""
    assert store_and_load(project).extra == {"future_field": {"nested": [1, None]}}
    assert capsys.readouterr().out == "$.id expected a string, got an integer\n"


def test_unstructure_gives_plain_json_values() -> None:
    data = unstructure(structure(PUBLISHED, Project))
    assert type(data["state"]) is str
    assert type(data["created_date_time"]) is str
    assert type(data["publishing_info"]["landscape"]) is dict
    assert unstructure([structure(FRESH, Project)]) == [FRESH]


def test_date_times_are_written_in_utc_with_z() -> None:
    paris = timezone(timedelta(hours=2))
    assert unstructure(datetime(2024, 4, 30, 21, 14, 41, tzinfo=paris)) == (
        "2024-04-30T19:14:41.000000Z"
    )
    assert unstructure(datetime(2024, 4, 30, 19, 14, 41, 5, tzinfo=UTC)) == (
        "2024-04-30T19:14:41.000005Z"
    )


def test_datetimes_are_aware_with_or_without_an_offset() -> None:
    project = structure({**FRESH, "created_date_time": "2024-04-30T19:14:41"}, Project)
    assert project.created_date_time == datetime(2024, 4, 30, 19, 14, 41, tzinfo=UTC)
    assert project.modified_date_time == datetime(2024, 4, 30, 19, 14, 41, 393421, tzinfo=UTC)
    offset = structure({"id": "p", "created_date_time": "2024-04-30T21:14:41+02:00"}, Project)
    assert offset.created_date_time == datetime(2024, 4, 30, 19, 14, 41, tzinfo=UTC)


def test_the_converter_object_structures_containers_of_models() -> None:
    assert converter.structure([PUBLISHED], list[Project]) == [structure(PUBLISHED, Project)]


def test_structure_error_belongs_to_the_sdk_error_tree() -> None:
    with pytest.raises(StructureError) as caught:
        structure({"id": 7}, Project)
    assert isinstance(caught.value, TakeOneError)
    assert isinstance(caught.value, ValueError)
    assert (caught.value.path, caught.value.reason) == (["id"], "expected a string, got an integer")


# ---- unknown and missing fields ---------------------------------------------------------------


def test_missing_unknown_and_null_fields() -> None:
    data = {k: v for k, v in copy.deepcopy(PUBLISHED).items() if k not in ("script", "language")}
    data["state"] = "archived"
    data["future"] = {"nested": [1, None]}
    data["extra"] = "a field TakeOne may add one day"
    data["publishing_info"]["landscape"]["video"] = None
    project = structure(data, Project)
    assert project.script is None
    assert project.language is None
    assert project.state == "archived"
    assert not isinstance(project.state, ProjectState)
    assert project.extra == {"future": {"nested": [1, None]}, "extra": data["extra"]}
    assert project.publishing_info is not None
    assert project.publishing_info["landscape"].video is None
    assert unstructure(project)["future"] == {"nested": [1, None]}
    assert unstructure(project)["extra"] == data["extra"]


def test_an_unknown_key_in_place_of_a_missing_one() -> None:
    """As many keys as the model has, one of them unknown: the missing field takes its
    default and the unknown key goes to ``extra``, at any depth."""
    data = {k: v for k, v in copy.deepcopy(PUBLISHED).items() if k != "script"}
    data["new_field"] = 1
    data["publishing_info"]["landscape"]["video"] = {"src": "s", "codec": "av1"}
    project = structure(data, Project)
    assert (project.script, project.extra) == (None, {"new_field": 1})
    assert project.publishing_info is not None
    video = project.publishing_info["landscape"].video
    assert video is not None
    assert (video.src, video.type, video.extra) == ("s", None, {"codec": "av1"})
    assert converter.structure(data, Project) == project


def test_a_missing_required_field_deep_inside_a_complete_object_is_named() -> None:
    data = copy.deepcopy(APP_USER)
    del data["projects"][1]["id"]
    data["projects"][1]["new_field"] = 1
    with pytest.raises(StructureError) as caught:
        structure(data, AppUser)
    assert str(caught.value) == "$.projects[1].id: required field is missing or null"


def test_instances_are_of_the_model_class_frozen_and_equal_to_init_built_ones() -> None:
    images = structure({"original": "o", "high_res": "h"}, PreviewImages)
    assert type(images) is PreviewImages
    assert images == PreviewImages(original="o", high_res="h")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        images.original = "changed"  # type: ignore[misc]


def test_extra_survives_a_page_round_trip() -> None:
    page = copy.deepcopy(PAGE)
    page["results"][0]["new_field"] = [1, 2]
    items = structure(page, Page[Project]).results
    assert [unstructure(p) for p in items] == page["results"]


def test_publishing_format_keys_are_kept_even_when_unknown() -> None:
    fmt = PUBLISHED["publishing_info"]["landscape"]
    project = structure({**PUBLISHED, "publishing_info": {"cinema": fmt}}, Project)
    assert project.publishing_info is not None
    assert isinstance(project.publishing_info["cinema"], PublishingFormat)
    assert project.publishing_info["cinema"].video is not None


# ---- extra: one read-only type everywhere -----------------------------------------------------


def _extras() -> dict[str, Mapping[str, Any]]:
    return {
        "structured, no unknown key": structure(FRESH, Project).extra,
        "structured, unknown keys": structure({**FRESH, "new": 1}, Project).extra,
        "nested, structured": structure(APP_USER, AppUser).projects[0].extra,
        "built by hand, default": AppUserStatus().extra,
        "built by hand, from a dict": AppUserStatus(extra={"reason": "left"}).extra,
        "evolved": attrs.evolve(AppUserStatus(), extra={"reason": "left"}).extra,
    }


@pytest.mark.parametrize("case", list(_extras()))
def test_extra_is_one_read_only_mapping_type_however_the_model_was_made(case: str) -> None:
    extra = _extras()[case]
    assert type(extra) is FrozenDict
    for change in (
        lambda: extra.__setitem__("k", 1),  # type: ignore[attr-defined]
        lambda: extra.__delitem__("new"),  # type: ignore[attr-defined]
        lambda: extra.update(k=1),  # type: ignore[attr-defined]
        lambda: extra.setdefault("k", 1),  # type: ignore[attr-defined]
        lambda: extra.pop("k", None),  # type: ignore[attr-defined]
        lambda: extra.popitem(),  # type: ignore[attr-defined]
        lambda: extra.clear(),  # type: ignore[attr-defined]
    ):
        with pytest.raises(TypeError, match="read-only"):
            change()
    with pytest.raises(TypeError, match="read-only"):
        extra |= {"k": 1}  # type: ignore[operator]


def test_a_dict_given_to_a_model_is_copied_not_shared() -> None:
    given_extra = {"reason": "left"}
    status = AppUserStatus(extra=given_extra)
    given_extra["reason"] = "changed"
    assert status.extra == {"reason": "left"}


def test_a_known_field_wins_over_an_extra_key_of_the_same_name() -> None:
    """``extra`` built by hand with a field's name never overwrites that field when written."""
    images = PreviewImages(original="o", high_res="h", extra={"original": "x", "new": 1})
    assert unstructure(images) == {"original": "o", "high_res": "h", "medium_res": None, "new": 1}


def test_extra_reads_like_the_json_it_came_from() -> None:
    project = structure({**FRESH, "new": [1, {"x": None}]}, Project)
    assert project.extra == {"new": [1, {"x": None}]}
    assert repr(project.extra) == "{'new': [1, {'x': None}]}"
    assert json.dumps(project.extra) == '{"new": [1, {"x": null}]}'
    merged = project.extra | {"k": 1}  # type: ignore[operator]
    assert merged == {"new": [1, {"x": None}], "k": 1}
    assert type(merged) is dict
    assert type(dict(project.extra)) is dict


@pytest.mark.parametrize(
    "data", [FRESH, {**PUBLISHED, "new": {"deep": [1]}}], ids=["empty", "full"]
)
def test_models_survive_pickle_and_copy_with_their_extra(data: dict[str, Any]) -> None:
    project = structure(data, Project)
    pickled = pickle.loads(pickle.dumps(project))  # noqa: S301 - our own bytes
    for clone in (pickled, copy.deepcopy(project), copy.copy(project)):
        assert clone == project
        assert type(clone.extra) is FrozenDict
    with pytest.raises(TypeError, match="read-only"):
        pickled.extra["k"] = 1  # type: ignore[index]


def test_a_model_of_your_own_keeps_unknown_keys_through_extra_field() -> None:
    @attrs.frozen
    class Mine:
        name: str
        extra: Mapping[str, Any] = extra_field()

    mine = structure({"name": "n", "later": True}, Mine)
    assert mine.extra == {"later": True}
    assert unstructure(mine) == {"name": "n", "later": True}
    assert type(Mine(name="n").extra) is FrozenDict


@attrs.frozen
class _Base:
    id: str
    name: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class _Child(_Base):
    note: str | None = None


@attrs.frozen
class _Counted:
    id: str
    name: str | None = None
    size: int = attrs.field(default=0, init=False)
    extra: Mapping[str, Any] = extra_field()


@pytest.mark.parametrize("cls", [_Child, _Counted])
def test_an_unknown_key_in_place_of_a_missing_one_lands_in_extra_for_any_model(cls: Any) -> None:
    """As many keys as the model has fields, one unknown and one missing, on models whose
    fields cannot be passed by position (a field after ``extra``, an ``init=False`` field)."""
    model = structure({"id": "1", "name": "n", "bogus": 5}, cls)
    assert (model.id, model.name, model.extra) == ("1", "n", {"bogus": 5})


# ---- error paths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "where", "reason"),
    [
        ({"id": None}, "$.id", "required field is missing or null"),
        ({"state": 3}, "$.state", "expected a string, got an integer"),
        ({"created_date_time": "yesterday"}, "$.created_date_time", "invalid ISO 8601"),
        (
            {"publishing_info": {"landscape": {"video": {"src": 5}}}},
            "$.publishing_info.landscape.video.src",
            "expected a string, got an integer",
        ),
        ({"publishing_info": {"portrait": []}}, "$.publishing_info.portrait", "expected an object"),
        ({"preview_info": "none"}, "$.preview_info", "expected an object, got a string"),
        (
            {"published_video_stream": {"preview_images": {"high_res": False}}},
            "$.published_video_stream.preview_images.high_res",
            "expected a string, got a boolean",
        ),
    ],
)
def test_errors_inside_nested_models_name_the_full_path(
    change: dict[str, Any], where: str, reason: str
) -> None:
    with pytest.raises(StructureError) as caught:
        structure({**PUBLISHED, **change}, Project)
    assert caught.value.where == where
    assert caught.value.reason.startswith(reason)


def test_page_errors_name_the_item_index() -> None:
    page = copy.deepcopy(PAGE)
    page["results"][1]["publishing_info"]["portrait"]["images"]["original"] = 1
    with pytest.raises(StructureError) as caught:
        structure(page, Page[Project])
    assert caught.value.where == "$.results[1].publishing_info.portrait.images.original"


@pytest.mark.parametrize(
    ("data", "where", "reason"),
    [
        ({"id": "u", "projects": [None]}, "$.projects[0]", "expected an object, got null"),
        ({"id": "u", "projects": [{}]}, "$.projects[0].id", "required field is missing or null"),
        ({"id": "u", "projects": "p1"}, "$.projects", "expected an array, got a string"),
        ({"id": "u", "status": {"state": ["active"]}}, "$.status.state", "expected a string"),
        ({"id": "u", "is_active": 1}, "$.is_active", "expected a boolean, got an integer"),
    ],
)
def test_errors_in_arrays_and_nested_objects(data: Any, where: str, reason: str) -> None:
    with pytest.raises(StructureError) as caught:
        structure(data, AppUser)
    assert str(caught.value).startswith(f"{where}: {reason}")


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.text(max_size=8),
    st.floats(allow_nan=False),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _mutations(data: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The body with some keys dropped, some values replaced by any JSON, some keys added."""
    keys = sorted(data)
    return st.tuples(
        st.sets(st.sampled_from(keys)),
        st.dictionaries(st.sampled_from(keys), JSON_VALUES, max_size=3),
        st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=2),
    ).map(
        lambda t: {
            **{k: v for k, v in data.items() if k not in t[0]},
            **t[1],
            **t[2],
        }
    )


def _check_outcome(data: dict[str, Any], cls: type) -> None:
    """Either a model (what the converter object gives too) or a StructureError whose path leads
    to the offending value in ``data`` (its last step may be a missing required key)."""
    try:
        result = structure(data, cls)
    except StructureError as exc:
        error = exc
    else:
        assert converter.structure(data, cls) == result
        return
    with pytest.raises(Exception):  # noqa: B017, PT011 - the converter refuses it too
        converter.structure(data, cls)
    value: Any = data
    for step in error.path[:-1]:
        value = value[step]
    if error.path:
        last = error.path[-1]
        present = last in value if isinstance(value, dict) else last < len(value)
        assert present or error.reason == "required field is missing or null"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([FRESH, PUBLISHED]).flatmap(_mutations)
    | st.sampled_from([PUBLISHED["publishing_info"]["portrait"]])
    .flatmap(_mutations)
    .map(lambda fmt: {**PUBLISHED, "publishing_info": {"square": fmt}})
)
def test_any_mutation_of_a_project_gives_a_model_or_an_error_at_its_path(
    data: dict[str, Any],
) -> None:
    _check_outcome(data, Project)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([APP_USER, TEMPLATE]).flatmap(_mutations))
def test_any_mutation_of_a_user_or_template_gives_a_model_or_an_error_at_its_path(
    data: dict[str, Any],
) -> None:
    cls = AppUser if "email_address" in data or "given_name" in data else VideoContainerTemplate
    _check_outcome(data, cls)


# ---- models beyond ours: validators, factories, recursion -------------------------------------


def _positive(_: attrs.Attribute[Any], __: Any, value: int | None) -> None:
    if value is not None and value < 0:
        raise ValueError("negative")


@attrs.frozen
class Checked:
    """A model whose __init__ does more than store: it must still run."""

    size: int | None = attrs.field(default=None, validator=_positive)
    tags: tuple[str, ...] = ()
    labels: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Node:
    """A self-referencing model."""

    name: str
    children: tuple[Node, ...] = ()
    parent: Node | None = None


def test_models_with_validators_are_built_through_init() -> None:
    assert structure({"size": 3, "tags": None, "labels": None}, Checked) == Checked(3)
    with pytest.raises(StructureError, match="negative") as caught:
        structure({"size": -1}, Checked)
    assert isinstance(caught.value, ValueError)


def test_null_takes_a_fresh_default_from_factories() -> None:
    first, second = structure({"labels": None}, Checked), structure({}, Checked)
    assert first.labels == second.labels == {}
    assert first.labels is not second.labels
    assert first.tags == ()


def test_self_referencing_models_structure_to_any_depth() -> None:
    tree = {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}], "parent": None}
    node = structure(tree, Node)
    assert node.children[0].children[0] == Node("c")
    assert unstructure(node) == {
        "name": "a",
        "children": [
            {
                "name": "b",
                "children": [{"name": "c", "children": [], "parent": None}],
                "parent": None,
            }
        ],
        "parent": None,
    }
    with pytest.raises(StructureError) as caught:
        structure({"name": "a", "children": [{"name": "b", "children": [{"name": 1}]}]}, Node)
    assert caught.value.where == "$.children[0].children[0].name"


@attrs.frozen
class Optional:
    """Fields that may be null without a default of their own kind."""

    codes: tuple[str, ...] | None = None
    when: datetime | None = None


def test_a_nullable_array_stays_null_or_becomes_a_tuple() -> None:
    assert structure({"codes": None}, Optional) == Optional()
    assert structure({"codes": ["a", "b"]}, Optional).codes == ("a", "b")
    with pytest.raises(StructureError, match=r"^\$\.codes\[1\]: expected a string, got null"):
        structure({"codes": ["a", None]}, Optional)


def test_a_model_the_converter_cannot_handle_is_a_programming_error() -> None:
    """A field type with no rule, or a default that needs the instance, fails loudly."""

    @attrs.frozen
    class Ambiguous:
        value: int | str | None = None

    @attrs.frozen
    class SelfDefault:
        size: int = 0
        double: tuple[int, ...] = attrs.field(
            default=attrs.Factory(lambda self: (self.size * 2,), takes_self=True)
        )

    with pytest.raises(cattrs.StructureHandlerNotFoundError):
        structure({"value": 1}, Ambiguous)
    with pytest.raises(cattrs.StructureHandlerNotFoundError, match="takes self"):
        structure({}, SelfDefault)
