"""Deduplicate and DropStale, driven through the router as a user would."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from tests.webhooks.conftest import PROJECT_ID, Recorder, make_event
from webhooks import (
    Deduplicate,
    DropStale,
    EventFilter,
    HandlerError,
    ProjectPublished,
    ProjectStatusChange,
    WebhookConfigError,
    WebhookEvent,
    WebhookRouter,
)
from webhooks.filters import fact_family


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def routed(event_filter: EventFilter) -> tuple[WebhookRouter, Recorder]:
    router = WebhookRouter(filters=[event_filter])
    handler = Recorder()
    router.on_any(handler)
    return router, handler


def at(modified: str, **changes: object) -> WebhookEvent:
    return make_event(project_fields={"modified_date_time": modified}, **changes)


def test_the_filters_implement_the_protocol() -> None:
    assert isinstance(Deduplicate(), EventFilter)
    assert isinstance(DropStale(), EventFilter)


# ---- Deduplicate ---------------------------------------------------------------------------


async def test_deduplicate_skips_a_repeat_within_the_window_and_admits_it_after() -> None:
    clock = Clock()
    router, handler = routed(Deduplicate(window=timedelta(seconds=60), clock=clock))
    assert await router.dispatch(make_event()) is True
    clock.now += 59
    assert await router.dispatch(make_event()) is False
    clock.now += 2
    assert await router.dispatch(make_event()) is True
    assert len(handler.events) == 2


async def test_deduplicate_tells_different_events_apart() -> None:
    router, handler = routed(Deduplicate())
    await router.dispatch(make_event(timestamp=1))
    await router.dispatch(make_event(timestamp=2))
    assert len(handler.events) == 2


async def test_deduplicate_admits_a_redelivery_after_a_failure() -> None:
    dedupe = Deduplicate()
    router, handler = routed(dedupe)
    handler.fail = ValueError("first attempt")
    with pytest.raises(HandlerError):
        await router.dispatch(make_event())
    handler.fail = None
    assert await router.dispatch(make_event()) is True
    assert await router.dispatch(make_event()) is False


async def test_deduplicate_skips_a_concurrent_redelivery() -> None:
    router, handler = routed(Deduplicate())
    handler.release = asyncio.Event()
    async with asyncio.timeout(5):
        first = asyncio.create_task(router.dispatch(make_event()))
        await handler.started.wait()
        assert await router.dispatch(make_event()) is False
        handler.release.set()
        assert await first is True
    assert len(handler.events) == 1


@pytest.mark.parametrize(("level", "logged"), [(logging.DEBUG, True), (logging.INFO, False)])
async def test_deduplicate_explains_a_skip_at_debug_only(
    caplog: pytest.LogCaptureFixture, level: int, logged: bool
) -> None:
    caplog.set_level(level, logger="webhooks.filters")
    router, _ = routed(Deduplicate())
    await router.dispatch(make_event())
    assert await router.dispatch(make_event()) is False
    messages = [r.getMessage() for r in caplog.records if r.name == "webhooks.filters"]
    expected = f"duplicate delivery of project_published event for project {PROJECT_ID}"
    assert messages == ([f"{expected} (already handled)"] if logged else [])


async def test_deduplicate_forgets_the_oldest_beyond_max_entries() -> None:
    dedupe = Deduplicate(max_entries=2)
    router, _ = routed(dedupe)
    for stamp in (1, 2, 3):
        await router.dispatch(make_event(timestamp=stamp))
    assert repr(dedupe) == "Deduplicate(window=3600s, remembered=2)"
    assert await router.dispatch(make_event(timestamp=1)) is True
    assert await router.dispatch(make_event(timestamp=3)) is False


@pytest.mark.parametrize(
    "options", [{"window": 0}, {"window": timedelta(seconds=-1)}, {"max_entries": 0}]
)
def test_deduplicate_rejects_nonsense_settings(options: dict[str, object]) -> None:
    with pytest.raises(WebhookConfigError, match="Deduplicate"):
        Deduplicate(**options)  # type: ignore[arg-type]


# ---- DropStale -----------------------------------------------------------------------------


async def test_drop_stale_skips_an_older_state_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="webhooks.filters")
    router, handler = routed(DropStale())
    assert await router.dispatch(at("2024-05-01T10:00:00Z", type="project_unpublished")) is True
    assert await router.dispatch(at("2024-05-01T09:00:00Z")) is False
    assert [e.type for e in handler.events] == ["project_unpublished"]
    stale = [r.getMessage() for r in caplog.records if r.name == "webhooks.filters"]
    assert stale == [
        f"dropping stale project_published event for project {PROJECT_ID}: modified "
        "2024-05-01T09:00:00+00:00, older than the publishing fact 2024-05-01T10:00:00+00:00 "
        "already handled"
    ]


async def test_drop_stale_admits_equal_and_newer_states_and_other_projects() -> None:
    router, _handler = routed(DropStale())
    await router.dispatch(at("2024-05-01T10:00:00Z"))
    assert await router.dispatch(at("2024-05-01T10:00:00Z", timestamp=2)) is True
    assert await router.dispatch(at("2024-05-01T11:00:00Z")) is True
    other = make_event(project_fields={"id": "other", "modified_date_time": "2024-01-01T00:00:00Z"})
    assert await router.dispatch(other) is True
    assert await router.dispatch(at("2024-05-01T10:30:00Z")) is False


async def test_drop_stale_only_remembers_handled_events() -> None:
    router, handler = routed(DropStale())
    handler.fail = ValueError()
    with pytest.raises(HandlerError):
        await router.dispatch(at("2024-05-01T10:00:00Z"))
    handler.fail = None
    assert await router.dispatch(at("2024-05-01T09:00:00Z")) is True


async def test_drop_stale_admits_events_it_cannot_date() -> None:
    router, _ = routed(DropStale())
    await router.dispatch(at("2024-05-01T10:00:00Z"))
    assert await router.dispatch(make_event(project_fields={"modified_date_time": None})) is True
    assert await router.dispatch(make_event("ping", project=None)) is True


async def test_drop_stale_forgets_the_least_recent_project_beyond_max_projects() -> None:
    drop = DropStale(max_projects=1)
    router, _ = routed(drop)
    await router.dispatch(at("2024-05-01T10:00:00Z"))
    await router.dispatch(
        make_event(project_fields={"id": "b", "modified_date_time": "2024-05-01T10:00:00Z"})
    )
    assert repr(drop) == "DropStale(remembered=1)"
    assert await router.dispatch(at("2024-05-01T09:00:00Z")) is True


async def test_drop_stale_judges_staleness_within_a_family_of_related_facts() -> None:
    """(a) a handler of ProjectPublished alone gets every publish no newer publish or unpublish
    superseded; (b) a mirror of the status changes never goes back to an older state; a type
    of its own is judged only against itself."""
    router = WebhookRouter(filters=[DropStale()])
    publishes, states = Recorder(), Recorder()
    router.on(ProjectPublished)(publishes)
    router.on(ProjectStatusChange)(states)

    async def deliver(event_type: str, modified: str) -> bool:
        return await router.dispatch(at(f"2024-05-01T{modified}:00Z", type=event_type))

    assert await deliver("project_status_change", "10:30") is True
    assert await deliver("project_published", "10:10") is True  # a fact, not hidden
    assert await deliver("project_unpublished", "10:40") is True
    assert await deliver("project_published", "10:20") is False  # superseded by the unpublish
    assert await deliver("project_status_change", "10:20") is False  # an older state
    assert await deliver("project_status_change", "10:35") is True
    assert await deliver("project_renamed", "10:00") is True  # its own family
    assert await deliver("project_renamed", "09:00") is False
    assert [e.project.modified_date_time.strftime("%H:%M") for e in publishes.events] == ["10:10"]
    assert [e.project.modified_date_time.strftime("%H:%M") for e in states.events] == [
        "10:30",
        "10:35",
    ]


@pytest.mark.parametrize(
    ("event_type", "family"),
    [
        ("project_status_change", "status"),
        ("project_published", "publishing"),
        ("project_unpublished", "publishing"),
        ("project_renamed", "type:project_renamed"),
        ("status", "type:status"),  # an unknown type never joins a documented family
        ("publishing", "type:publishing"),
    ],
)
def test_fact_family_groups_the_publishing_events_and_keeps_others_apart(
    event_type: str, family: str
) -> None:
    assert fact_family(event_type) == family


def test_drop_stale_rejects_nonsense_settings() -> None:
    with pytest.raises(WebhookConfigError, match="max_projects"):
        DropStale(max_projects=0)
