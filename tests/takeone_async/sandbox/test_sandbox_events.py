"""Pure webhook bodies: the documented shape, signed the Standard Webhooks way, sample events."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import standardwebhooks

import webhooks
from takeone_async import Project, TakeOneValueError, VideoContainer, signing
from takeone_async.converter import structure
from takeone_async.sandbox import build_event, encode_event, sample_event, stale_event
from takeone_async.sandbox._events import delivery_headers, new_message_id
from takeone_async.sandbox._seed import WEBHOOK_EXAMPLE
from tests.conftest import load_sample, sample_bytes

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DOCUMENTED = load_sample("webhook_project_published.json")


def documented_models() -> tuple[Project, VideoContainer]:
    return (
        structure(DOCUMENTED["project"], Project),
        structure(DOCUMENTED["video_container"], VideoContainer),
    )


def test_a_built_event_is_the_documented_body_exactly() -> None:
    project, container = documented_models()
    event = build_event("project_published", project, container, DOCUMENTED["timestamp"])
    assert event == DOCUMENTED


def test_summaries_carry_only_the_documented_fields() -> None:
    full = structure(load_sample("fetch_projects.response.json")["results"][1], Project)
    container = structure(load_sample("create_video_container.response.json"), VideoContainer)
    event = build_event("project_status_change", full, container, 1)
    assert list(event) == ["type", "timestamp", "project", "video_container"]
    assert set(event["project"]) == set(DOCUMENTED["project"])
    assert set(event["video_container"]) == set(DOCUMENTED["video_container"])


def test_encoding_is_compact_json() -> None:
    assert encode_event({"a": [1, "é"]}) == '{"a":[1,"é"]}'.encode()


def test_signed_headers_verify_with_the_standardwebhooks_package() -> None:
    body = sample_bytes("webhook_project_published.json")
    msg_id, now = new_message_id(), int(datetime.now(UTC).timestamp())
    headers = delivery_headers(
        body, msg_id=msg_id, timestamp=now, keys=[signing.decode_secret(SECRET)]
    )
    assert headers["webhook-id"] == msg_id
    assert msg_id.startswith("msg_")
    assert standardwebhooks.Webhook(SECRET).verify(body, headers) == DOCUMENTED
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(SECRET).verify(body + b" ", headers)


def test_unsigned_headers_carry_no_webhook_headers() -> None:
    headers = delivery_headers(b"{}", msg_id="msg_1", timestamp=1)
    assert headers == {"Content-Type": "application/json", "User-Agent": "takeone-sandbox"}


def test_the_sample_published_event_is_the_documented_example() -> None:
    assert sample_event() == DOCUMENTED
    assert sample_event() is not sample_event()


def test_the_sample_unpublished_event_has_no_streams() -> None:
    event = sample_event("project_unpublished")
    assert event["type"] == "project_unpublished"
    assert event["project"]["publishing_status"] == "can_publish"
    for part in ("project", "video_container"):
        assert event[part]["publishing_info"] is None
    assert event["project"]["published_video_stream"] is None
    assert event["video_container"]["video_stream"] is None


def test_sample_events_take_overrides() -> None:
    when = datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    event = sample_event(
        "project_status_change",
        timestamp=when,
        project_id="p-1",
        modified_date_time=when,
        state="editing",
    )
    assert event["type"] == "project_status_change"
    assert event["timestamp"] == int(when.timestamp())
    assert event["project"]["id"] == "p-1"
    assert event["project"]["modified_date_time"] == "2025-01-02T03:04:05.000006Z"
    assert event["project"]["state"] == "editing"
    assert sample_event("brand_new_type", timestamp=5)["timestamp"] == 5


def test_a_stale_copy_is_older_in_both_clocks_and_leaves_the_original() -> None:
    event = sample_event()
    older = stale_event(event, 60)
    assert older["timestamp"] == event["timestamp"] - 60
    assert older["project"]["modified_date_time"] == "2024-04-30T16:09:59.412675Z"
    assert event == DOCUMENTED
    naive = {"timestamp": "x", "project": {"modified_date_time": "2024-01-01T00:01:00"}}
    assert stale_event(naive, 60) == {
        "timestamp": "x",
        "project": {"modified_date_time": "2024-01-01T00:00:00.000000Z"},
    }


def test_the_seeded_example_is_the_documented_body_and_shares_no_object() -> None:
    """The example is built from small helpers: it must still equal the documented file, and
    no two of its objects may be one object (a change to one stream would change another)."""
    assert WEBHOOK_EXAMPLE == DOCUMENTED
    seen: list[object] = []

    def walk(value: object) -> None:
        if isinstance(value, dict | list):
            assert all(value is not other for other in seen)
            seen.append(value)
            for item in value.values() if isinstance(value, dict) else value:
                walk(item)

    walk(WEBHOOK_EXAMPLE)
    assert len(seen) > 20


def test_a_stale_copy_of_an_event_with_a_bad_date_time_says_so() -> None:
    event = sample_event(modified_date_time="last tuesday")
    with pytest.raises(TakeOneValueError) as caught:
        stale_event(event, 60)
    assert str(caught.value) == (
        "stale_event: project.modified_date_time is not an ISO 8601 date-time: 'last tuesday'"
    )


def test_built_events_parse_as_typed_webhook_events() -> None:
    project, container = documented_models()
    body = encode_event(build_event("project_published", project, container, 1714493662))
    event = webhooks.parse_event(body)
    assert isinstance(event, webhooks.ProjectPublished)
    assert event.project.id == project.id
    assert json.loads(event.raw) == DOCUMENTED
