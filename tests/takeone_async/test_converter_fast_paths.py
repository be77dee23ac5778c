"""The converter's fast path: same results and errors as the careful path, on every kind of body."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from takeone_async import _converter
from takeone_async._converter import StructureError, loads, structure, structure_page, unstructure
from takeone_async.models import (
    AppUser,
    PreviewImages,
    Project,
    ProjectState,
    PublishingFormat,
    VideoContainerTemplate,
)
from tests.conftest import load_sample

FRESH, PUBLISHED = load_sample("fetch_projects.response.json")["results"]
APP_USER = load_sample("fetch_app_user.response.json")
TEMPLATE = load_sample("fetch_video_container_templates.response.json")["results"][0]


def careful(data: Any, cls: type) -> Any:
    """Structure with the field-by-field reference path only."""
    structure(PUBLISHED, Project)  # makes sure the functions exist
    return _converter._GENERATOR.careful[cls](data)


def outcome(fn: Any, data: Any, cls: type) -> Any:
    """What a structuring function gives: the unstructured result, or the error's place and text."""
    try:
        return ("ok", unstructure(fn(data, cls)))
    except StructureError as exc:
        return ("error", exc.where, exc.reason)


@pytest.fixture
def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any fast path hands its value to the careful path."""
    structure(PUBLISHED, Project)
    structure(APP_USER, AppUser)
    structure(TEMPLATE, VideoContainerTemplate)

    def refuse(data: Any, _: Any = None) -> Any:
        raise AssertionError(f"fell back to the careful path for {str(data)[:80]}")

    for fn in _converter._GENERATOR.structurers.values():
        if "_careful" in getattr(fn, "__globals__", {}):
            monkeypatch.setitem(fn.__globals__, "_careful", refuse)


@pytest.mark.usefixtures("no_fallback")
@pytest.mark.parametrize(
    ("data", "cls"),
    [
        (FRESH, Project),
        (PUBLISHED, Project),
        (APP_USER, AppUser),
        (TEMPLATE, VideoContainerTemplate),
    ],
    ids=["fresh project", "published project", "app user", "container template"],
)
def test_documented_bodies_take_the_fast_path(data: Any, cls: type) -> None:
    assert unstructure(structure(data, cls)) == data


@pytest.mark.usefixtures("no_fallback")
def test_missing_unknown_and_null_fields_take_the_fast_path() -> None:
    data = {k: v for k, v in copy.deepcopy(PUBLISHED).items() if k not in ("script", "language")}
    data["state"] = "archived"
    data["future"] = {"nested": [1, None]}
    data["publishing_info"]["landscape"]["video"] = None
    project = structure(data, Project)
    assert project.script is None
    assert project.language is None
    assert project.state == "archived"
    assert not isinstance(project.state, ProjectState)
    assert project.extra == {"future": {"nested": [1, None]}}
    assert project.publishing_info is not None
    assert project.publishing_info["landscape"].video is None
    assert unstructure(project)["future"] == {"nested": [1, None]}


def test_instances_are_of_the_model_class_frozen_and_equal_to_init_built_ones() -> None:
    images = structure({"original": "o", "high_res": "h"}, PreviewImages)
    assert type(images) is PreviewImages
    assert images == PreviewImages(original="o", high_res="h")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        images.original = "changed"  # type: ignore[misc]


def test_an_empty_extra_is_shared_but_no_change_can_leak_between_models() -> None:
    first, second = structure_page(load_sample("fetch_projects.response.json"), Project)[0]
    assert first.extra == second.extra == {}
    assert repr(first.extra) == "{}"
    for change in (
        lambda: first.extra.__setitem__("k", 1),  # type: ignore[attr-defined]
        lambda: first.extra.update(k=1),  # type: ignore[attr-defined]
        lambda: first.extra.setdefault("k", 1),  # type: ignore[attr-defined]
        lambda: first.extra.pop("k", None),  # type: ignore[attr-defined]
        lambda: first.extra.clear(),  # type: ignore[attr-defined]
    ):
        with pytest.raises(TypeError, match="cannot be changed"):
            change()
    assert second.extra == {}


def test_a_shared_empty_extra_survives_pickle_and_copy_and_merges_into_a_plain_dict() -> None:
    project = structure(FRESH, Project)
    pickled = pickle.loads(pickle.dumps(project))  # noqa: S301 - our own bytes
    for clone in (pickled, copy.deepcopy(project), copy.copy(project)):
        assert clone == project
        assert clone.extra is project.extra
    merged = project.extra | {"k": 1}  # type: ignore[operator]
    assert merged == {"k": 1}
    assert type(merged) is dict


def test_datetimes_are_aware_with_or_without_an_offset() -> None:
    project = structure({**FRESH, "created_date_time": "2024-04-30T19:14:41"}, Project)
    assert project.created_date_time == datetime(2024, 4, 30, 19, 14, 41, tzinfo=UTC)
    assert project.modified_date_time == datetime(2024, 4, 30, 19, 14, 41, 393421, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"id": None}, "$.id"),
        ({"state": 3}, "$.state"),
        ({"created_date_time": "yesterday"}, "$.created_date_time"),
        (
            {"publishing_info": {"landscape": {"video": {"src": 5}}}},
            "$.publishing_info.landscape.video.src",
        ),
        ({"publishing_info": {"portrait": []}}, "$.publishing_info.portrait"),
        ({"preview_info": "none"}, "$.preview_info"),
        (
            {"published_video_stream": {"preview_images": {"high_res": False}}},
            "$.published_video_stream.preview_images.high_res",
        ),
    ],
)
def test_errors_inside_inlined_models_name_the_full_path(
    change: dict[str, Any], where: str
) -> None:
    with pytest.raises(StructureError) as caught:
        structure({**PUBLISHED, **change}, Project)
    assert caught.value.where == where


def test_page_errors_name_the_item_index() -> None:
    page = copy.deepcopy(load_sample("fetch_projects.response.json"))
    page["results"][1]["publishing_info"]["portrait"]["images"]["original"] = 1
    with pytest.raises(StructureError) as caught:
        structure_page(page, Project)
    assert caught.value.where == "$.results[1].publishing_info.portrait.images.original"


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


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([FRESH, PUBLISHED]).flatmap(_mutations)
    | st.sampled_from([PUBLISHED["publishing_info"]["portrait"]])
    .flatmap(_mutations)
    .map(lambda fmt: {**PUBLISHED, "publishing_info": {"square": fmt}})
)
def test_fast_and_careful_paths_agree_on_any_mutation_of_a_project(data: dict[str, Any]) -> None:
    assert outcome(structure, data, Project) == outcome(careful, data, Project)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([APP_USER, TEMPLATE]).flatmap(_mutations))
def test_fast_and_careful_paths_agree_on_users_and_templates(data: dict[str, Any]) -> None:
    cls = AppUser if "email_address" in data or "given_name" in data else VideoContainerTemplate
    assert outcome(structure, data, cls) == outcome(careful, data, cls)


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
    with pytest.raises(ValueError, match="negative"):
        structure({"size": -1}, Checked)


def test_null_takes_a_fresh_default_from_factories() -> None:
    first, second = structure({"labels": None}, Checked), structure({}, Checked)
    assert first.labels == second.labels == {}
    assert first.labels is not second.labels
    assert first.tags == ()


def test_self_referencing_models_structure_to_any_depth() -> None:
    tree = {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}], "parent": None}
    node = structure(tree, Node)
    assert node.children[0].children[0] == Node("c")
    with pytest.raises(StructureError) as caught:
        structure({"name": "a", "children": [{"name": "b", "children": [{"name": 1}]}]}, Node)
    assert caught.value.where == "$.children[0].children[0].name"


def _decoded(fn: Any, body: bytes) -> Any:
    try:
        return ("ok", repr(fn(body)))
    except (ValueError, RecursionError) as exc:
        return ("error", type(exc), str(exc)[:60])


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1, "a": 2}',
        b'{"x": [1.5, -0.0, 1e300, 18446744073709551615, -9223372036854775808, "\\u00e9\\n"]}',
        b"NaN",
        b"[Infinity, -Infinity]",
        b"1e400",
        b'"\\ud800"',
        b"\xef\xbb\xbf{}",
        '{"utf16": true}'.encode("utf-16"),
        b"[" * 2000 + b"]" * 2000,
        b"",
        b"{",
        b"[1,]",
        b"\xff",
    ],
    ids=[
        "duplicate keys",
        "numbers and strings",
        "NaN",
        "infinities",
        "overflow",
        "lone surrogate",
        "byte order mark",
        "utf-16",
        "deep nesting",
        "empty",
        "truncated",
        "trailing comma",
        "not utf-8",
    ],
)
def test_loads_gives_what_json_loads_gives(body: bytes) -> None:
    """Values, and for bad bodies the error class and message, are the standard library's."""
    assert _decoded(loads, body) == _decoded(json.loads, body)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_loads_round_trips_any_json_like_json_loads(value: Any) -> None:
    body = json.dumps(value).encode()
    assert repr(loads(body)) == repr(json.loads(body))


def test_extra_survives_a_page_round_trip() -> None:
    page = load_sample("fetch_projects.response.json")
    page["results"][0]["new_field"] = [1, 2]
    items = structure_page(page, Project)[0]
    assert [unstructure(p) for p in items] == page["results"]


def test_publishing_format_keys_are_kept_even_when_unknown() -> None:
    fmt = PUBLISHED["publishing_info"]["landscape"]
    project = structure({**PUBLISHED, "publishing_info": {"cinema": fmt}}, Project)
    assert project.publishing_info is not None
    assert isinstance(project.publishing_info["cinema"], PublishingFormat)
    assert project.publishing_info["cinema"].video is not None


def test_the_cattrs_converter_structures_through_the_generated_functions() -> None:
    hook = _converter.CONVERTER.get_structure_hook(Project)
    assert hook is _converter._GENERATOR.structurer(Project)
    assert _converter.CONVERTER.structure([PUBLISHED], list[Project]) == [
        structure(PUBLISHED, Project)
    ]
