"""WebhookRouter: registration, order, error handling, and the filter protocol."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from tests.webhooks.conftest import PROJECT_ID, Recorder, make_event
from webhooks import (
    HandlerError,
    ProjectEvent,
    ProjectPublished,
    ProjectUnpublished,
    UnknownEvent,
    WebhookConfigError,
    WebhookError,
    WebhookEvent,
    WebhookRouter,
)


class Gate:
    """A filter that admits according to ``answer`` and records the protocol calls."""

    def __init__(
        self, name: str, log: list[str], answer: bool = True, fail: Exception | None = None
    ) -> None:
        self.name, self.log, self.answer, self.fail = name, log, answer, fail

    def __repr__(self) -> str:
        return f"Gate({self.name})"

    async def admit(self, event: WebhookEvent) -> bool:
        self.log.append(f"{self.name}.admit")
        if self.fail is not None:
            raise self.fail
        return self.answer

    async def done(self, event: WebhookEvent) -> None:
        self.log.append(f"{self.name}.done")

    async def release(self, event: WebhookEvent) -> None:
        self.log.append(f"{self.name}.release")


async def test_matching_handlers_run_in_registration_order_then_on_any(
    router: WebhookRouter,
) -> None:
    log: list[str] = []
    router.on_any(Recorder("any", log=log))
    router.on(ProjectPublished)(Recorder("by-class", log=log))
    router.on(ProjectUnpublished)(Recorder("other-class", log=log))
    router.on("project_published")(Recorder("by-string", log=log))
    router.on(ProjectEvent)(Recorder("by-base-class", log=log))
    assert await router.dispatch(make_event("project_published")) is True
    assert log == ["by-class", "by-string", "by-base-class", "any"]


async def test_handlers_receive_the_typed_event_once(
    router: WebhookRouter, recorder: Recorder
) -> None:
    event = make_event()
    await router.dispatch(event)
    assert recorder.events == [event]


async def test_unknown_types_reach_string_handlers_and_on_any(router: WebhookRouter) -> None:
    log: list[str] = []
    router.on(ProjectEvent)(Recorder("project", log=log))
    router.on("project_archived")(Recorder("archived", log=log))
    router.on(UnknownEvent)(Recorder("unknown", log=log))
    router.on_any(Recorder("any", log=log))
    await router.dispatch(make_event("project_archived"))
    assert log == ["archived", "unknown", "any"]


async def test_handlers_registered_after_a_dispatch_run_next_time(router: WebhookRouter) -> None:
    log: list[str] = []
    router.on(ProjectPublished)(Recorder("first", log=log))
    await router.dispatch(make_event())
    router.on("project_published")(Recorder("second", log=log))
    router.on_any(Recorder("any", log=log))
    await router.dispatch(make_event())
    assert log == ["first", "first", "second", "any"]


async def test_many_unknown_types_keep_reaching_their_handlers(router: WebhookRouter) -> None:
    log: list[str] = []
    router.on("kind-7")(Recorder("seven", log=log))
    for round_ in range(2):
        for number in range(1500):
            await router.dispatch(make_event(f"kind-{number}"))
        assert log == ["seven"] * (round_ + 1)
    assert len(router.handlers_for(make_event("kind-7"))) == 1


async def test_an_event_without_handlers_is_fine(router: WebhookRouter) -> None:
    assert await router.dispatch(make_event()) is True


async def test_every_handler_runs_and_failures_become_one_handler_error(
    router: WebhookRouter, caplog: pytest.LogCaptureFixture
) -> None:
    log: list[str] = []
    first, second = ValueError("first"), KeyError("second")
    router.on(ProjectPublished)(Recorder("a", fail=first, log=log))
    router.on(ProjectPublished)(Recorder("b", log=log))
    router.on_any(Recorder("c", fail=second, log=log))
    reported: list[tuple[WebhookEvent, BaseException]] = []

    @router.on_error
    async def report(event: WebhookEvent, exc: BaseException) -> None:
        reported.append((event, exc))

    event = make_event()
    with pytest.raises(HandlerError) as info:
        await router.dispatch(event)
    assert log == ["a", "b", "c"]
    assert info.value.errors == (first, second)
    assert info.value.__cause__ is first
    assert info.value.event is event
    assert isinstance(info.value, WebhookError)
    assert (
        str(info.value) == "2 handler(s) failed for 'project_published' event: ValueError, KeyError"
    )
    assert reported == [(event, first), (event, second)]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        f"handler a failed for project_published event for project {PROJECT_ID}",
        f"handler c failed for project_published event for project {PROJECT_ID}",
    ]
    assert errors[0].exc_info is not None
    assert errors[0].exc_info[1] is first


async def test_a_failing_error_handler_is_logged_and_the_others_still_run(
    router: WebhookRouter, caplog: pytest.LogCaptureFixture
) -> None:
    router.on_any(Recorder(fail=RuntimeError("handler")))
    router.on_error(Recorder("broken-report", fail=RuntimeError("report")))  # type: ignore[arg-type]
    calls: list[BaseException] = []

    @router.on_error
    async def report(event: WebhookEvent, exc: BaseException) -> None:
        calls.append(exc)

    with pytest.raises(HandlerError):
        await router.dispatch(make_event())
    assert len(calls) == 1
    assert any(
        r.getMessage().startswith("on_error handler broken-report failed") for r in caplog.records
    )


async def test_cancellation_is_not_swallowed(router: WebhookRouter) -> None:
    log: list[str] = []
    gate = Gate("g", log)
    router.use(gate)
    router.on_any(Recorder(fail=asyncio.CancelledError()))
    with pytest.raises(asyncio.CancelledError):
        await router.dispatch(make_event())
    assert log == ["g.admit", "g.release"]


@pytest.mark.parametrize("bad", [int, object(), WebhookRouter, ""])
def test_on_rejects_what_is_not_an_event_class_or_type(router: WebhookRouter, bad: Any) -> None:
    with pytest.raises(WebhookConfigError, match=r"^WebhookRouter\.on: "):
        router.on(bad)


def test_sync_handlers_are_rejected_at_registration(router: WebhookRouter) -> None:
    def handler(event: WebhookEvent) -> None: ...

    for register in (router.on(ProjectPublished), router.on_any, router.on_error):
        with pytest.raises(WebhookConfigError, match="must be an async function"):
            register(handler)  # type: ignore[arg-type]


def test_decorators_return_the_handler(router: WebhookRouter) -> None:
    handler = Recorder()
    assert router.on("x")(handler) is handler
    assert router.on_any(handler) is handler
    assert router.handlers_for(make_event("x")) == [handler, handler]
    assert repr(router) == "<WebhookRouter 1 handlers, 1 on_any, 0 on_error, filters=[]>"


# ---- filters -------------------------------------------------------------------------------


async def test_filters_admit_in_order_and_hear_done_after_success() -> None:
    log: list[str] = []
    router = WebhookRouter(filters=[Gate("a", log)])
    router.use(Gate("b", log))
    router.on_any(Recorder("handler", log=log))
    assert await router.dispatch(make_event()) is True
    assert log == ["a.admit", "b.admit", "handler", "a.done", "b.done"]


async def test_a_filter_that_says_no_skips_the_handlers_and_releases_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="webhooks.router")
    log: list[str] = []
    router = WebhookRouter(filters=[Gate("a", log), Gate("b", log, answer=False), Gate("c", log)])
    router.on_any(Recorder("handler", log=log))
    assert await router.dispatch(make_event()) is False
    assert log == ["a.admit", "b.admit", "a.release"]
    assert caplog.messages == [
        f"skipped project_published event for project {PROJECT_ID}: Gate(b) did not admit it"
    ]


async def test_failed_handlers_release_the_filters() -> None:
    log: list[str] = []
    router = WebhookRouter(filters=[Gate("a", log), Gate("b", log)])
    router.on_any(Recorder("handler", fail=ValueError(), log=log))
    with pytest.raises(HandlerError):
        await router.dispatch(make_event())
    assert log == ["a.admit", "b.admit", "handler", "b.release", "a.release"]


async def test_a_failing_filter_propagates_its_error_and_releases_earlier_ones() -> None:
    log: list[str] = []
    boom = ConnectionError("store down")
    router = WebhookRouter(filters=[Gate("a", log), Gate("b", log, fail=boom)])
    router.on_any(Recorder("handler", log=log))
    with pytest.raises(ConnectionError) as info:
        await router.dispatch(make_event())
    assert info.value is boom
    assert log == ["a.admit", "b.admit", "a.release"]


def test_use_rejects_objects_missing_the_protocol(router: WebhookRouter) -> None:
    class HalfFilter:
        async def admit(self, event: WebhookEvent) -> bool:
            return True

    with pytest.raises(WebhookConfigError, match="'HalfFilter' object has no done"):
        router.use(HalfFilter())  # type: ignore[arg-type]
