"""parse_event: every documented shape and variant parses; everything else is a
WebhookPayloadError naming the field, and nothing else ever escapes."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from takeone_async.models import ProjectState, PublishingFormat, PublishingStatus, VideoStream
from tests.conftest import sample_bytes
from tests.webhooks.conftest import DROP, PROJECT_ID, SAMPLE, event_body, event_data
from webhooks import (
    EVENT_TYPES,
    ProjectEvent,
    ProjectPublished,
    ProjectStatusChange,
    ProjectUnpublished,
    UnknownEvent,
    VideoContainerSummary,
    WebhookEvent,
    WebhookPayloadError,
    delivery_key,
    parse_event,
)
from webhooks.events import ProjectSummary


def test_the_documented_sample_parses_to_a_typed_event() -> None:
    raw = sample_bytes(SAMPLE)
    event = parse_event(raw)
    assert isinstance(event, ProjectPublished)
    assert event.type == "project_published"
    assert event.timestamp == datetime(2024, 4, 30, 16, 14, 22, tzinfo=UTC)
    assert event.raw is raw
    assert event.payload == json.loads(raw)
    project = event.project
    assert project.id == PROJECT_ID
    assert project.state is ProjectState.COMPLETED
    assert project.publishing_status is PublishingStatus.PUBLISHED
    assert project.modified_date_time == datetime(2024, 4, 30, 16, 10, 59, 412675, tzinfo=UTC)
    assert project.publishing_info is not None
    landscape = project.publishing_info["landscape"]
    assert isinstance(landscape, PublishingFormat)
    assert landscape.video is not None
    assert landscape.video.src == project.stream_url()
    assert isinstance(project.published_video_stream, VideoStream)
    container = event.video_container
    assert isinstance(container, VideoContainerSummary)
    assert container.id == "7fd3964f-9f4b-49f4-a2d7-74c2927498b7"
    assert container.hotlinking_protection_enabled is False
    assert container.allowed_origins == ()
    assert project.extra == {}
    assert container.extra == {}


@pytest.mark.parametrize(
    ("event_type", "cls"),
    [
        ("project_status_change", ProjectStatusChange),
        ("project_published", ProjectPublished),
        ("project_unpublished", ProjectUnpublished),
    ],
)
def test_each_documented_type_has_its_class(event_type: str, cls: type[WebhookEvent]) -> None:
    event = parse_event(event_body(event_type))
    assert type(event) is cls
    assert isinstance(event, ProjectEvent)
    assert EVENT_TYPES[event_type] is cls
    assert event_type == cls.TYPE


@pytest.mark.parametrize("publishing_info", [None, DROP, {}])
def test_publishing_info_may_be_null_missing_or_empty(publishing_info: Any) -> None:
    event = parse_event(
        event_body(
            "project_status_change",
            project_fields={
                "publishing_info": publishing_info,
                "published_video_stream": None,
            },
        )
    )
    assert event.project is not None
    assert event.project.publishing_info in (None, {})
    assert event.project.published_video_stream is None
    assert event.project.stream_url() is None


def test_unknown_fields_are_kept_in_extra() -> None:
    data = event_data(delivery_attempt=3, project_fields={"archived": True})
    data["project"]["publishing_info"]["square"] = {"video": {"src": "https://s", "codec": "av1"}}
    data["video_container"]["owner"] = {"id": "o1"}
    event = parse_event(json.dumps(data).encode())
    assert event.project is not None
    assert event.project.publishing_info is not None
    assert event.project.extra == {"archived": True}
    square = event.project.publishing_info["square"]
    assert square.video is not None
    assert square.video.extra == {"codec": "av1"}
    assert event.project.stream_url("square") == "https://s"
    assert event.video_container is not None
    assert event.video_container.extra == {"owner": {"id": "o1"}}
    assert event.payload["delivery_attempt"] == 3


def test_unknown_enum_values_stay_plain_strings() -> None:
    event = parse_event(
        event_body(project_fields={"state": "archived", "publishing_status": "queued"})
    )
    assert event.project is not None
    assert event.project.state == "archived"
    assert not isinstance(event.project.state, ProjectState)
    assert event.project.publishing_status == "queued"


def test_an_unknown_type_parses_to_unknown_event_with_its_summaries() -> None:
    event = parse_event(event_body("project_archived"))
    assert type(event) is UnknownEvent
    assert event.type == "project_archived"
    assert event.project is not None
    assert event.project.id == PROJECT_ID
    assert event.payload["type"] == "project_archived"


@pytest.mark.parametrize("project", [DROP, None, "694be4b1", [1], {"no_id": True}])
def test_an_unknown_type_never_fails_on_its_project(project: Any) -> None:
    event = parse_event(event_body("headshot_ready", project=project, video_container=project))
    assert isinstance(event, UnknownEvent)
    assert event.project is None
    assert event.project_id is None
    assert event.video_container is None
    assert event.describe() == "headshot_ready event for project -"


def test_an_unknown_type_needs_no_more_than_type_and_timestamp() -> None:
    event = parse_event(b'{"type": "ping", "timestamp": 1714493662.5}')
    assert isinstance(event, UnknownEvent)
    assert event.timestamp == datetime(2024, 4, 30, 16, 14, 22, 500000, tzinfo=UTC)


def test_video_container_may_be_missing() -> None:
    event = parse_event(event_body(video_container=DROP))
    assert event.video_container is None


def test_delivery_key_is_stable_across_reserialisation() -> None:
    data = event_data()
    compact = json.dumps(data, separators=(",", ":")).encode()
    reordered = json.dumps(dict(reversed(list(data.items()))), indent=4).encode()
    first, second = parse_event(compact), parse_event(reordered)
    assert first.raw != second.raw
    assert first.delivery_key == second.delivery_key
    assert len(first.delivery_key) == 64
    assert int(first.delivery_key, 16) >= 0
    assert parse_event(event_body(timestamp=1)).delivery_key != first.delivery_key


def test_the_delivery_key_hashes_the_canonical_json_of_the_payload() -> None:
    event = parse_event(event_body())
    canonical = json.dumps(
        event_data(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert event.delivery_key == delivery_key(event.payload)
    assert event.delivery_key == hashlib.sha256(canonical).hexdigest()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is empty"),
        (b" \n", "the body is empty"),
        (b"[1]", "the body must be a JSON object, got an array"),
        (b'"x"', "the body must be a JSON object, got a string"),
        (b"3", "the body must be a JSON object, got a number"),
        (b"null", "the body must be a JSON object, got null"),
        (b"true", "the body must be a JSON object, got a boolean"),
        (b'{"type": "x", "timestamp": NaN}', "invalid JSON"),
        (b"{" * 2000, "invalid JSON"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(body: bytes, message: str) -> None:
    with pytest.raises(WebhookPayloadError) as info:
        parse_event(body)
    assert str(info.value).startswith(message)


def test_of_duplicate_keys_the_last_one_wins() -> None:
    event = parse_event(b'{"type": "x", "timestamp": 1, "type": "ping"}')
    assert event.type == "ping"


def test_events_are_frozen_hashable_and_hide_bodies_in_repr() -> None:
    event = parse_event(sample_bytes(SAMPLE))
    assert hash(event) == hash(parse_event(sample_bytes(SAMPLE)))
    assert event == parse_event(sample_bytes(SAMPLE))
    with pytest.raises(AttributeError):
        event.type = "x"  # type: ignore[misc]
    assert "raw=" not in repr(event)
    assert "payload=" not in repr(event)
    assert event.describe() == f"project_published event for project {PROJECT_ID}"


def test_describe_escapes_odd_text_for_log_lines() -> None:
    event = parse_event(event_body("evil\nline" + "x" * 100, project_fields={"id": "a\x1b[31m"}))
    text = event.describe()
    assert "\n" not in text
    assert "\x1b" not in text
    assert "..." in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"type": DROP}, "$.type: required field is missing or null"),
        ({"type": 7}, "$.type: expected a non-empty string, got a number"),
        ({"type": ""}, "$.type: expected a non-empty string, got a string"),
        ({"timestamp": DROP}, "$.timestamp: required field is missing or null"),
        (
            {"timestamp": "1714493662"},
            "$.timestamp: expected Unix seconds (a number), got a string",
        ),
        ({"timestamp": True}, "$.timestamp: expected Unix seconds (a number), got a boolean"),
        ({"timestamp": 10**15}, "$.timestamp: 1000000000000000 is out of range"),
        ({"timestamp": -1e300}, "$.timestamp: -1e+300 is out of range"),
        ({"project": DROP}, "$.project: required field is missing or null"),
        ({"project": "694be4b1"}, "$.project: expected an object, got a string"),
        ({"project": [1]}, "$.project: expected an object, got an array"),
        ({"project": {"state": "x"}}, "$.project.id: required field is missing or null"),
        ({"video_container": 5}, "$.video_container: expected an object, got an integer"),
    ],
)
def test_invalid_events_name_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(WebhookPayloadError) as info:
        parse_event(event_body(**changes))
    assert str(info.value).startswith(message)
    assert isinstance(info.value, ValueError)


def test_a_bad_nested_value_is_located_by_its_path() -> None:
    data = event_data()
    data["project"]["publishing_info"]["landscape"]["video"]["src"] = 42
    with pytest.raises(WebhookPayloadError) as info:
        parse_event(json.dumps(data).encode())
    assert info.value.field == "$.project.publishing_info.landscape.video.src"
    assert str(info.value) == (
        "$.project.publishing_info.landscape.video.src: expected a string, got an integer"
    )


def test_a_bad_date_time_is_reported_with_its_field() -> None:
    with pytest.raises(WebhookPayloadError, match=r"^\$\.project\.modified_date_time: invalid"):
        parse_event(event_body(project_fields={"modified_date_time": "yesterday"}))


# ---- nothing but WebhookPayloadError escapes, whatever the input -----------------------------

_FUZZ = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
_json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_project_fields = [f.name for f in attrs.fields(ProjectSummary) if f.name != "extra"]
_likely_values = (
    _json_values
    | st.sampled_from(["2024-04-30T16:10:59.412675Z", "2024-13-01", "completed", "landscape"])
    | st.fixed_dictionaries(
        {}, optional={"video": _json_values, "images": _json_values, "src": _json_values}
    )
    | st.dictionaries(
        st.sampled_from(["landscape", "portrait"]),
        st.fixed_dictionaries(
            {},
            optional={
                "video": st.fixed_dictionaries(
                    {}, optional={"src": _json_values, "type": _json_values}
                )
            },
        ),
        max_size=2,
    )
)
_summaries = (
    st.fixed_dictionaries(
        {"id": st.text(max_size=8)}, optional={name: _likely_values for name in _project_fields[1:]}
    )
    | _json_values
)
_well_formed_start = st.fixed_dictionaries(
    {
        "type": st.sampled_from([*EVENT_TYPES, "other"]),
        "timestamp": st.integers(0, 2**33) | st.floats(0, 2e9),
        "project": _summaries,
    },
    optional={"video_container": _summaries},
)
_events = _well_formed_start | st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from([*EVENT_TYPES, "other"]) | _json_values,
        "timestamp": st.integers() | st.floats() | _json_values,
        "project": _summaries,
        "video_container": _summaries,
    },
)


def _check(body: bytes) -> None:
    try:
        event = parse_event(body)
    except WebhookPayloadError:
        return
    assert isinstance(event, WebhookEvent)
    assert event.raw is body
    assert event.timestamp.tzinfo is not None
    assert event.project is not None or isinstance(event, UnknownEvent)
    assert isinstance(event.project, ProjectSummary | None)


@_FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_nothing_but_payload_errors(body: bytes) -> None:
    _check(body)


@_FUZZ
@given(_json_values)
def test_arbitrary_json_raises_nothing_but_payload_errors(value: Any) -> None:
    _check(json.dumps(value).encode())


@_FUZZ
@given(_events)
def test_arbitrary_event_shaped_json_raises_nothing_but_payload_errors(value: Any) -> None:
    _check(json.dumps(value).encode())


@_FUZZ
@given(st.text(alphabet='{}[]":,0123456789.eE+-\\ untrflsaNIy', max_size=200))
def test_json_like_text_raises_nothing_but_payload_errors(text: str) -> None:
    _check(text.encode())
