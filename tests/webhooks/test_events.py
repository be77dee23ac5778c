"""Event classes: the type table, summary helpers, subclass relations."""

from __future__ import annotations

import pytest

from takeone_async.models import PublishedVideo, PublishingFormat
from tests.webhooks.conftest import PROJECT_ID, make_event
from webhooks import EVENT_TYPES, ProjectEvent, ProjectSummary, UnknownEvent, WebhookEvent


def test_the_type_table_is_read_only_and_holds_the_three_documented_types() -> None:
    assert set(EVENT_TYPES) == {"project_status_change", "project_published", "project_unpublished"}
    assert all(issubclass(cls, ProjectEvent) for cls in EVENT_TYPES.values())
    with pytest.raises(TypeError):
        EVENT_TYPES["x"] = UnknownEvent  # type: ignore[index]


def test_unknown_event_is_a_webhook_event_but_not_a_project_event() -> None:
    assert issubclass(UnknownEvent, WebhookEvent)
    assert not issubclass(UnknownEvent, ProjectEvent)


@pytest.mark.parametrize(
    ("publishing_info", "expected"),
    [
        (None, None),
        ({}, None),
        ({"landscape": PublishingFormat(video=None)}, None),
        ({"landscape": PublishingFormat(video=PublishedVideo(src=None))}, None),
        ({"landscape": PublishingFormat(video=PublishedVideo(src="https://v"))}, "https://v"),
    ],
)
def test_stream_url_is_none_unless_the_format_has_a_source(
    publishing_info: dict[str, PublishingFormat] | None, expected: str | None
) -> None:
    assert ProjectSummary(id="p", publishing_info=publishing_info).stream_url() == expected


def test_project_id_comes_from_the_project() -> None:
    assert make_event().project_id == PROJECT_ID
