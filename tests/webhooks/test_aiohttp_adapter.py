"""The real aiohttp adapter behind a test server: each status on its matching delivery, the
handler called exactly when it should be, ack_first, the inbox path, and set-up errors."""

from __future__ import annotations

import asyncio
import gzip
import io
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.webhooks.conftest import (
    OLD_SECRET,
    PROJECT_ID,
    ROUTE,
    SECRET,
    FakeInbox,
    Recorder,
    basic_header,
    event_body,
    post,
    post_full,
    signed_headers,
)
from webhooks import (
    BasicAuth,
    PathToken,
    ProjectPublished,
    QueryToken,
    RequestView,
    StandardWebhooksSignature,
    WebhookConfigError,
    WebhookEvent,
    WebhookPayloadError,
    WebhookRouter,
)
from webhooks.aiohttp import MAX_BODY_SIZE, add_webhook_route
from webhooks.inbox import InboxError

Serve = Callable[..., Awaitable[TestClient[Any, Any]]]


async def test_a_good_delivery_gets_200_and_one_typed_handler_call(
    serve: Serve, router: WebhookRouter, recorder: Recorder
) -> None:
    client = await serve(router)
    assert await post(client, event_body()) == (200, "")
    assert len(recorder.events) == 1
    event = recorder.events[0]
    assert isinstance(event, ProjectPublished)
    assert event.project.id == PROJECT_ID


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/vnd.takeone+json"]
)
async def test_json_content_types_with_parameters_or_suffixes_are_accepted(
    serve: Serve, router: WebhookRouter, recorder: Recorder, content_type: str
) -> None:
    client = await serve(router)
    assert await post(client, event_body(), content_type=content_type) == (200, "")


async def test_a_bad_payload_gets_400_with_the_reason(
    serve: Serve, router: WebhookRouter, recorder: Recorder
) -> None:
    client = await serve(router)
    assert await post(client, event_body(timestamp="soon")) == (
        400,
        "$.timestamp: expected Unix seconds (a number), got a string",
    )
    assert await post(client, b"[]") == (400, "the body must be a JSON object, got an array")
    assert recorder.events == []


@pytest.mark.parametrize("token", [None, "wrong", OLD_SECRET])
async def test_failed_auth_gets_401_without_detail(
    serve: Serve,
    router: WebhookRouter,
    recorder: Recorder,
    token: str | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await serve(router)
    assert await post(client, event_body(), token=token) == (401, "unauthorized")
    assert recorder.events == []
    assert (
        f"rejected a delivery to {ROUTE} from 127.0.0.1: authentication failed" in caplog.messages
    )


async def test_auth_runs_before_parsing(serve: Serve, router: WebhookRouter) -> None:
    client = await serve(router)
    assert await post(client, b"not json", token="wrong") == (401, "unauthorized")


BOMB = gzip.compress(b"{" + b" " * (2 * MAX_BODY_SIZE) + b"}")  # 2 KiB that inflate to 2 MiB


@pytest.mark.parametrize(
    ("body", "options"),
    [
        (BOMB, {"headers": {"Content-Encoding": "gzip"}}),
        (io.BytesIO(b"{" + b" " * MAX_BODY_SIZE + b"}"), {}),
        (event_body(), {"content_type": "text/plain"}),
    ],
    ids=["gzip-bomb", "oversized", "not-json"],
)
async def test_a_refused_token_is_answered_401_before_the_body_is_read(
    serve: Serve,
    router: WebhookRouter,
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    options: dict[str, Any],
) -> None:
    """A check that needs no body runs first: a refused sender gets 401 whatever its body's
    size, encoding or type (never 413 or 415, which would mean the body was looked at)."""
    client = await serve(router)
    assert await post(client, body, token="wrong", **options) == (401, "unauthorized")
    assert await post(client, event_body()) == (200, "")
    assert len(recorder.events) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_signature_check_reads_the_body_first(
    serve: Serve, router: WebhookRouter, recorder: Recorder
) -> None:
    """A signature covers the body, so the body is read (within the limit) before the check."""
    key = b"relay-signing-key-0123456789abcd"
    client = await serve(router, auth=StandardWebhooksSignature(key), max_body_size=100)
    oversized = b"{" + b" " * 200 + b"}"
    headers = signed_headers([b"another-key-0123456789abcdefghij"], oversized)
    assert (await post(client, oversized, token=None, headers=headers))[0] == 413
    assert recorder.events == []


async def test_a_check_that_reads_no_body_is_given_none(
    serve: Serve, router: WebhookRouter, recorder: Recorder
) -> None:
    seen: list[bytes] = []

    class HeaderCheck:
        reads_body = False

        def verify(self, request: RequestView) -> bool:
            seen.append(request.body)
            return request.headers.get("x-secret") == "s"

    client = await serve(router, auth=HeaderCheck())
    assert await post(client, event_body(), token=None, headers={"X-Secret": "s"}) == (200, "")
    assert (await post(client, event_body(), token=None))[0] == 401
    assert seen == [b"", b""]
    assert len(recorder.events) == 1


async def test_other_methods_get_405(
    serve: Serve, router: WebhookRouter, recorder: Recorder
) -> None:
    client = await serve(router)
    for method in ("GET", "PUT", "DELETE"):
        async with client.request(method, ROUTE, params={"token": SECRET}) as resp:
            assert resp.status == 405
            assert resp.headers["Allow"] == "POST"
    assert recorder.events == []


async def test_a_body_over_the_limit_gets_413(
    serve: Serve, router: WebhookRouter, recorder: Recorder
) -> None:
    client = await serve(router, max_body_size=100)
    assert await post(client, b"{" + b" " * 200 + b"}") == (
        413,
        "the body is larger than 100 bytes",
    )
    assert recorder.events == []


async def test_a_chunked_body_over_the_limit_gets_413(
    serve: Serve, router: WebhookRouter, recorder: Recorder
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            await asyncio.sleep(0)  # each piece arrives on its own
            yield b" " * 40

    client = await serve(router, max_body_size=100)
    assert await post(client, chunks()) == (413, "the body is larger than 100 bytes")  # type: ignore[arg-type]
    assert recorder.events == []


async def test_a_body_sent_in_pieces_is_read_whole(
    serve: Serve, router: WebhookRouter, recorder: Recorder
) -> None:
    body = event_body()

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 500):
            await asyncio.sleep(0)
            yield body[start : start + 500]

    client = await serve(router)
    headers = {"Content-Length": str(len(body))}
    assert await post(client, pieces(), headers=headers) == (200, "")  # type: ignore[arg-type]
    assert [event.raw for event in recorder.events] == [body]


async def test_a_compressed_body_is_limited_by_its_inflated_size(
    serve: Serve, router: WebhookRouter, recorder: Recorder
) -> None:
    client = await serve(router, max_body_size=4096)
    small = event_body()
    large = small[:-1] + b" " * 8192 + b"}"
    gzip_header = {"Content-Encoding": "gzip"}
    assert await post(client, gzip.compress(small), headers=gzip_header) == (200, "")
    assert len(gzip.compress(large)) < 4096
    assert await post(client, gzip.compress(large), headers=gzip_header) == (
        413,
        "the body is larger than 4096 bytes",
    )
    assert [event.raw for event in recorder.events] == [small]


async def test_the_default_limit_is_one_mebibyte(
    serve: Serve, router: WebhookRouter, recorder: Recorder
) -> None:
    assert MAX_BODY_SIZE == 1024 * 1024
    client = await serve(router)
    padded = event_body()[:-1] + b" " * (MAX_BODY_SIZE - len(event_body())) + b"}"
    assert len(padded) == MAX_BODY_SIZE
    assert await post(client, io.BytesIO(padded)) == (200, "")  # type: ignore[arg-type]
    assert await post(client, io.BytesIO(padded + b" ")) == (
        413,
        f"the body is larger than {MAX_BODY_SIZE} bytes",
    )
    assert len(recorder.events) == 1


CORRUPT = {"gzip": b"\x1f\x8b\x08\x00 not a gzip stream", "deflate": b"\x78\x9c not a zlib stream"}


@pytest.mark.parametrize("encoding", CORRUPT)
async def test_a_body_that_does_not_decompress_gets_400_after_authentication(
    serve: Serve,
    router: WebhookRouter,
    recorder: Recorder,
    encoding: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """And the connection closes: its stream is broken, so the client must not reuse it.
    aiohttp's own complaint about the broken stream is one WARNING line, never an ERROR."""
    client = await serve(router)
    headers = {"Content-Encoding": encoding}
    status, text, response_headers = await post_full(client, CORRUPT[encoding], headers=headers)
    assert (status, text) == (400, "the body could not be read (a corrupt Content-Encoding?)")
    assert response_headers["Connection"] == "close"
    assert await post(client, CORRUPT[encoding], headers=headers, token="wrong") == (
        401,
        "unauthorized",
    )
    assert await post(client, event_body()) == (200, "")
    assert len(recorder.events) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "a request body did not decode (corrupt Content-Encoding); connection closed" in (
        caplog.messages
    )


async def test_another_routes_error_over_a_corrupt_body_stays_an_error(
    aiohttp_client: Any, router: WebhookRouter, caplog: pytest.LogCaptureFixture
) -> None:
    """Only aiohttp's drain of an undecodable body becomes a WARNING: a route of the app that
    fails while handling such a body is still logged as an ERROR."""

    async def upload(request: web.Request) -> web.Response:
        try:
            await request.read()
        except Exception as exc:
            raise RuntimeError("the upload handler has a bug") from exc
        return web.Response()

    app = web.Application()
    add_webhook_route(app, ROUTE, router, auth=QueryToken("token", SECRET))
    app.router.add_post("/upload", upload)
    client = await aiohttp_client(app)
    headers = {"Content-Encoding": "gzip"}
    async with client.post("/upload", data=CORRUPT["gzip"], headers=headers) as response:
        assert response.status == 500
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
        "Error handling request from 127.0.0.1"
    ]


async def test_a_normal_delivery_is_answered_while_a_hostile_body_is_parsed(
    serve: Serve, router: WebhookRouter, recorder: Recorder
) -> None:
    """Parsing is linear: a 1 MiB body built to be slow (once quadratic: an unterminated
    string of escaped quotes behind more than 64 brackets) holds the server up for no time."""
    hostile = b'{"x":' + b"[" * 100 + b'"' + b'\\"' * ((MAX_BODY_SIZE - 110) // 2)
    client = await serve(router)
    async with asyncio.timeout(10):
        slow = asyncio.create_task(post(client, io.BytesIO(hostile)))  # type: ignore[arg-type]
        await asyncio.sleep(0.01)
        started = time.perf_counter()
        assert await post(client, event_body()) == (200, "")
        answered_in = time.perf_counter() - started
        status, _ = await slow
    assert status == 400
    assert answered_in < 1.0
    assert len(recorder.events) == 1


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonp", ""]
)
async def test_a_non_json_content_type_gets_415(
    serve: Serve, router: WebhookRouter, recorder: Recorder, content_type: str
) -> None:
    client = await serve(router)
    assert await post(client, event_body(), content_type=content_type) == (
        415,
        "expected Content-Type: application/json",
    )
    assert recorder.events == []


async def test_a_failing_handler_gets_500_and_reaches_on_error(
    serve: Serve, router: WebhookRouter, caplog: pytest.LogCaptureFixture
) -> None:
    boom = RuntimeError("database down")
    router.on(ProjectPublished)(Recorder("store", fail=boom))
    reported: list[BaseException] = []

    @router.on_error
    async def report(event: WebhookEvent, exc: BaseException) -> None:
        reported.append(exc)

    client = await serve(router)
    assert await post(client, event_body()) == (500, "a handler failed")
    assert reported == [boom]
    assert (
        f"handler store failed for project_published event for project {PROJECT_ID}"
        in caplog.messages
    )


class FailingFilter:
    """A filter whose ``admit`` raises ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def admit(self, event: WebhookEvent) -> bool:
        raise self.error

    async def done(self, event: WebhookEvent) -> None: ...
    async def release(self, event: WebhookEvent) -> None: ...


@pytest.mark.parametrize(
    ("error", "answer"),
    [
        (ConnectionError("filter store down"), (500, "a handler failed")),
        (InboxError("the inbox is closed"), (503, "could not store the event")),
        (WebhookPayloadError("nested too deeply for a key"), (400, "nested too deeply for a key")),
    ],
    ids=["any-exception", "an-inbox-error", "a-payload-error"],
)
async def test_a_failing_filter_is_logged_and_answered_with_its_status(
    serve: Serve, caplog: pytest.LogCaptureFixture, error: Exception, answer: tuple[int, str]
) -> None:
    client = await serve(WebhookRouter(filters=[FailingFilter(error)]))
    assert await post(client, event_body()) == answer
    logged = f"dispatching project_published event for project {PROJECT_ID} failed"
    assert (logged in caplog.messages) is (answer[0] != 400)


# ---- ack_first ---------------------------------------------------------------------------


async def test_ack_first_answers_before_a_slow_handler_which_finishes_before_shutdown(
    serve: Serve, router: WebhookRouter
) -> None:
    slow = Recorder("slow")
    slow.release = asyncio.Event()
    router.on_any(slow)
    client = await serve(router, mode="ack_first")
    async with asyncio.timeout(10):
        assert await post(client, event_body()) == (200, "")
        await slow.started.wait()
        assert slow.events == []
        asyncio.get_running_loop().call_later(0.05, slow.release.set)
        await client.close()
    assert len(slow.events) == 1


async def test_ack_first_logs_a_handler_failure_after_the_ack(
    serve: Serve, router: WebhookRouter, caplog: pytest.LogCaptureFixture
) -> None:
    router.on_any(Recorder(fail=ValueError("late")))
    client = await serve(router, mode="ack_first")
    async with asyncio.timeout(10):
        assert await post(client, event_body()) == (200, "")
        await client.close()
    assert (
        f"project_published event for project {PROJECT_ID} failed after it was acknowledged "
        "(mode='ack_first'): it will not be redelivered"
    ) in caplog.messages


async def test_ack_first_logs_an_unexpected_dispatch_error(
    serve: Serve, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    router = WebhookRouter()

    async def broken(event: WebhookEvent) -> bool:
        raise LookupError("router bug")

    monkeypatch.setattr(router, "dispatch", broken)
    client = await serve(router, mode="ack_first")
    async with asyncio.timeout(10):
        assert await post(client, event_body()) == (200, "")
        await client.close()
    assert any(
        m.startswith("dispatching project_published event") and "acknowledged" in m
        for m in caplog.messages
    )


# ---- inbox -------------------------------------------------------------------------------


async def test_inbox_mode_stores_the_event_then_answers_200_and_dispatches_nothing(
    serve: Serve, router: WebhookRouter, recorder: Recorder
) -> None:
    inbox = FakeInbox()
    client = await serve(router, inbox=inbox)
    assert await post(client, event_body()) == (200, "")
    assert await post(client, event_body()) == (200, "")
    assert len(inbox.stored) == 1
    assert isinstance(next(iter(inbox.stored.values())), ProjectPublished)
    assert recorder.events == []


async def test_inbox_mode_needs_no_router(serve: Serve) -> None:
    inbox = FakeInbox()
    client = await serve(None, inbox=inbox)
    assert await post(client, event_body()) == (200, "")
    assert len(inbox.stored) == 1


async def test_inbox_mode_rejects_a_bad_payload_without_storing_it(serve: Serve) -> None:
    inbox = FakeInbox()
    client = await serve(None, inbox=inbox)
    assert (await post(client, b"[]"))[0] == 400
    assert inbox.stored == {}


async def test_inbox_failure_gets_503_and_one_warning_line_with_the_reason(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """The reason at WARNING in one line; the traceback only at DEBUG."""
    caplog.set_level(logging.DEBUG, logger="webhooks")
    client = await serve(None, inbox=FakeInbox(fail=OSError("disk full")))
    assert await post(client, event_body()) == (503, "could not store the event")
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning.getMessage() == (
        f"could not store project_published event for project {PROJECT_ID} in the inbox "
        "(answered 503): OSError: disk full"
    )
    assert warning.exc_info is None
    assert [r.levelno for r in caplog.records if r.exc_info] == [logging.DEBUG]


class UnkeyableInbox:
    """An inbox refusing the payload itself, as ``delivery_key`` does one nested too deeply."""

    async def append(self, event: WebhookEvent) -> bool:
        raise WebhookPayloadError("invalid JSON: nested too deeply for a delivery key")


async def test_an_inbox_refusing_the_payload_gets_400(serve: Serve) -> None:
    client = await serve(None, inbox=UnkeyableInbox())
    assert await post(client, event_body()) == (
        400,
        "invalid JSON: nested too deeply for a delivery key",
    )


class RefusingInbox:
    """An inbox whose append fails when called, before any await."""

    def append(self, event: WebhookEvent) -> Awaitable[bool]:
        raise OSError("no space left on device")


async def test_an_append_that_fails_when_called_gets_503_too(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    client = await serve(None, inbox=RefusingInbox())
    assert await post(client, event_body()) == (503, "could not store the event")
    assert any("could not store" in message for message in caplog.messages)


# ---- other authenticators over HTTP ------------------------------------------------------


async def test_a_path_token_route(serve: Serve, router: WebhookRouter, recorder: Recorder) -> None:
    client = await serve(router, path="/takeone/webhooks/{token}", auth=PathToken(SECRET))
    assert await post(client, event_body(), path=f"/takeone/webhooks/{SECRET}", token=None) == (
        200,
        "",
    )
    assert (await post(client, event_body(), path="/takeone/webhooks/nope", token=None))[0] == 401
    assert len(recorder.events) == 1


async def test_basic_auth_and_its_challenge(
    serve: Serve, router: WebhookRouter, recorder: Recorder
) -> None:
    client = await serve(router, auth=BasicAuth("takeone", SECRET))
    good = basic_header("takeone", SECRET)
    assert await post(client, event_body(), token=None, headers=good) == (200, "")
    status, _, headers = await post_full(client, event_body(), token=None)
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="webhooks"'
    assert len(recorder.events) == 1


async def test_no_challenge_header_without_basic_auth(serve: Serve, router: WebhookRouter) -> None:
    client = await serve(router)
    status, _, headers = await post_full(client, event_body(), token=None)
    assert status == 401
    assert "WWW-Authenticate" not in headers


async def test_a_signed_delivery(serve: Serve, router: WebhookRouter, recorder: Recorder) -> None:
    key = b"relay-signing-key-0123456789abcd"
    client = await serve(router, auth=StandardWebhooksSignature(key))
    body = event_body()
    assert await post(client, body, token=None, headers=signed_headers([key], body)) == (200, "")
    wrong = signed_headers([key], body + b" ")
    assert (await post(client, body, token=None, headers=wrong))[0] == 401
    assert len(recorder.events) == 1


async def test_a_custom_check_sees_the_whole_request(
    serve: Serve, router: WebhookRouter, recorder: Recorder
) -> None:
    seen: list[RequestView] = []

    class Recording:
        def verify(self, request: RequestView) -> bool:
            seen.append(request)
            return True

    client = await serve(
        router, path="/hooks/{name}", auth=[QueryToken("token", SECRET), Recording()]
    )
    body = event_body()
    status, _ = await post(client, body, path="/hooks/x", token="other", headers={"X-Tag": "t"})
    assert status == 200
    [request] = seen
    assert (request.method, request.path, request.query["token"]) == ("POST", "/hooks/x", "other")
    assert request.headers["x-tag"] == "t"
    assert request.body == body


async def test_two_secrets_during_rotation(
    serve: Serve, router: WebhookRouter, recorder: Recorder
) -> None:
    client = await serve(
        router, auth=[QueryToken("token", SECRET), QueryToken("token", OLD_SECRET)]
    )
    assert await post(client, event_body(), token=SECRET) == (200, "")
    assert await post(client, event_body(), token=OLD_SECRET) == (200, "")
    assert (await post(client, event_body(), token="retired"))[0] == 401
    assert len(recorder.events) == 2


# ---- set-up ------------------------------------------------------------------------------


def test_auth_is_a_required_keyword() -> None:
    with pytest.raises(TypeError, match="auth"):
        add_webhook_route(web.Application(), ROUTE, WebhookRouter())  # type: ignore[call-arg]


async def test_auth_none_accepts_anything_but_warns(
    serve: Serve, router: WebhookRouter, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    client = await serve(router, auth=None)
    assert any(
        r.levelno == logging.WARNING
        and "accepts unauthenticated deliveries (auth=None)" in r.getMessage()
        for r in caplog.records
    )
    assert await post(client, event_body(), token=None) == (200, "")
    assert len(recorder.events) == 1


@pytest.mark.parametrize(
    ("path", "options", "message"),
    [
        (
            "/hooks",
            {"auth": PathToken(SECRET)},
            r"PathToken needs a route ending in a variable "
            r"segment, e.g. /hooks/\{token\}",
        ),
        (ROUTE, {"mode": "later"}, "mode must be 'dispatch' or 'ack_first', got 'later'"),
        (ROUTE, {"max_body_size": 0}, "max_body_size must be a positive int"),
        (ROUTE, {"max_body_size": True}, "max_body_size must be a positive int"),
        (ROUTE, {"inbox": FakeInbox(), "mode": "ack_first"}, "does not apply with inbox="),
        (ROUTE, {"inbox": object()}, "inbox 'object' object has no append"),
        (ROUTE, {"router": None}, r"give a router \(or an inbox=\)"),
        (ROUTE, {"auth": SECRET}, "auth must be an authenticator or a list of them, got str"),
    ],
)
def test_bad_set_up_fails_at_once(path: str, options: dict[str, Any], message: str) -> None:
    options.setdefault("auth", QueryToken("token", SECRET))
    router = options.pop("router", WebhookRouter())
    with pytest.raises(WebhookConfigError, match=message) as info:
        add_webhook_route(web.Application(), path, router, **options)
    assert SECRET not in str(info.value)


def test_the_route_is_returned_and_named() -> None:
    app = web.Application()
    route = add_webhook_route(
        app, ROUTE, WebhookRouter(), auth=QueryToken("token", SECRET), name="takeone-webhooks"
    )
    assert route.method == "POST"
    assert app.router["takeone-webhooks"].url_for().path == ROUTE
