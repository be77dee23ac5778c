from __future__ import annotations

from webhooks import ProjectPublished, WebhookEvent, WebhookRouter, parse_event

router = WebhookRouter()


@router.on(ProjectPublished)
async def store_stream(event: ProjectPublished) -> None:
    print("published:", event.project.id, event.project.stream_url("landscape"))


@router.on("project_status_change")
async def track_state(event: WebhookEvent) -> None:
    assert event.project is not None  # only an UnknownEvent may come without a project
    print("now", event.project.state, event.project.publishing_status)


@router.on_any
async def audit(event: WebhookEvent) -> None:
    print("received", event.describe(), "key", event.delivery_key[:12])


@router.on_error
async def report(event: WebhookEvent, exc: BaseException) -> None:
    print("handler failed for", event.describe(), repr(exc))


async def receive(body: bytes) -> None:
    event = parse_event(body)  # WebhookPayloadError (a ValueError) names the bad field
    await router.dispatch(event)  # HandlerError after all handlers ran, if any raised


# ---- the README's "Receiving webhooks" tour block above, run -------------------------------

import pytest  # noqa: E402

from tests.conftest import sample_bytes  # noqa: E402
from tests.webhooks.conftest import PROJECT_ID, SAMPLE, event_body  # noqa: E402
from webhooks import HandlerError, WebhookPayloadError  # noqa: E402

STREAM = "https://customer-xxxxxx.cloudflarestream.com/xxxxxx/manifest/video.m3u8"


async def test_the_tour_routes_the_documented_sample(capsys: pytest.CaptureFixture[str]) -> None:
    await receive(sample_bytes(SAMPLE))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"published: {PROJECT_ID} {STREAM}"
    assert lines[1].startswith(f"received project_published event for project {PROJECT_ID} key ")


async def test_the_tour_routes_a_status_change(capsys: pytest.CaptureFixture[str]) -> None:
    await receive(event_body("project_status_change"))
    assert capsys.readouterr().out.splitlines()[0] == "now completed published"


async def test_the_tour_rejects_a_bad_body() -> None:
    with pytest.raises(WebhookPayloadError, match=r"^\$\.timestamp: "):
        await receive(b'{"type": "project_published"}')


async def test_the_tour_reports_a_failing_handler(capsys: pytest.CaptureFixture[str]) -> None:
    async def broken(event: WebhookEvent) -> None:
        raise RuntimeError("no database")

    router.on("tour_failure")(broken)
    with pytest.raises(HandlerError):
        await receive(b'{"type": "tour_failure", "timestamp": 1}')
    out = capsys.readouterr().out.splitlines()
    assert (
        out[0] == "handler failed for tour_failure event for project - RuntimeError('no database')"
    )
    assert out[1].startswith("received tour_failure event for project - key ")
