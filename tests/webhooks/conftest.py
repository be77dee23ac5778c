"""Helpers for the webhooks tests: event bodies built from the documented sample, recording
handlers, a fake inbox, and the adapter's test client."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from takeone_async.signing import decode_secret, signature_header
from tests.conftest import load_sample
from webhooks import QueryToken, WebhookEvent, WebhookRouter, parse_event
from webhooks.aiohttp import add_webhook_route

SAMPLE = "webhook_project_published.json"
PROJECT_ID = "694be4b1-ef0b-4a73-8b39-bba8915fa13f"
SECRET = "s3cr3t-Token-do-not-log-7f2c"
OLD_SECRET = "old-s3cr3t-Token-do-not-log-91ab"
ROUTE = "/takeone/webhooks"
DROP = object()
"""Pass as a field value to remove the field."""


def _apply(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if value is DROP:
            target.pop(key, None)
        else:
            target[key] = value


def event_data(
    event_type: str = "project_published",
    *,
    project_fields: dict[str, Any] | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """The documented sample with ``type`` set, then ``project_fields`` and top-level
    ``changes`` applied."""
    data: dict[str, Any] = copy.deepcopy(load_sample(SAMPLE))
    data["type"] = event_type
    _apply(data["project"], project_fields or {})
    _apply(data, changes)
    return data


def event_body(event_type: str = "project_published", **changes: Any) -> bytes:
    """``event_data`` serialised as a delivery body."""
    return json.dumps(event_data(event_type, **changes)).encode()


def make_event(event_type: str = "project_published", **changes: Any) -> WebhookEvent:
    """A parsed event built from the sample."""
    return parse_event(event_body(event_type, **changes))


def basic_header(username: str, password: str) -> dict[str, str]:
    """An ``Authorization`` header carrying HTTP Basic credentials."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def signed_headers(
    secrets: list[str | bytes], body: bytes, *, msg_id: str = "msg_1", timestamp: int | None = None
) -> dict[str, str]:
    """Standard Webhooks headers signing ``body`` with each secret, stamped now by default."""
    stamp = int(time.time()) if timestamp is None else timestamp
    keys = [decode_secret(secret) for secret in secrets]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature_header(keys, msg_id, stamp, body),
    }


class Recorder:
    """An async handler that records its calls and can fail or wait first."""

    def __init__(
        self,
        name: str = "handler",
        *,
        fail: BaseException | None = None,
        log: list[str] | None = None,
    ) -> None:
        self.__qualname__ = name
        self.name = name
        self.fail = fail
        self.log = log if log is not None else []
        self.events: list[WebhookEvent] = []
        self.release: asyncio.Event | None = None
        self.started = asyncio.Event()

    async def __call__(self, event: WebhookEvent) -> None:
        self.started.set()
        if self.release is not None:
            await self.release.wait()
        self.events.append(event)
        self.log.append(self.name)
        if self.fail is not None:
            raise self.fail


class FakeInbox:
    """The inbox protocol in a dict: True when newly stored, False for a duplicate."""

    def __init__(self, *, fail: Exception | None = None) -> None:
        self.fail = fail
        self.stored: dict[str, WebhookEvent] = {}

    async def append(self, event: WebhookEvent) -> bool:
        if self.fail is not None:
            raise self.fail
        if event.delivery_key in self.stored:
            return False
        self.stored[event.delivery_key] = event
        return True


AiohttpClient = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def router() -> WebhookRouter:
    return WebhookRouter()


@pytest.fixture
def recorder(router: WebhookRouter) -> Recorder:
    """A handler registered on ``router`` for every event."""
    handler = Recorder()
    router.on_any(handler)
    return handler


@pytest.fixture
def serve(aiohttp_client: Any) -> Callable[..., Awaitable[TestClient[Any, Any]]]:
    """``await serve(router, path=ROUTE, **route_options)``: a test client for an app with one
    webhook route (query-token auth with SECRET unless ``auth=`` is given)."""

    async def start(
        router: WebhookRouter | None, path: str = ROUTE, **options: Any
    ) -> TestClient[Any, Any]:
        options.setdefault("auth", QueryToken("token", SECRET))
        app = web.Application()
        add_webhook_route(app, path, router, **options)
        client: TestClient[Any, Any] = await aiohttp_client(app)
        return client

    return start


async def post_full(
    client: TestClient[Any, Any],
    body: bytes,
    *,
    path: str = ROUTE,
    token: str | None = SECRET,
    content_type: str = "application/json",
    **kwargs: Any,
) -> tuple[int, str, Mapping[str, str]]:
    """POST a delivery (with ``?token=`` unless None); returns (status, body text, headers)."""
    params = {"token": token} if token is not None else None
    headers = {"Content-Type": content_type, **kwargs.pop("headers", {})}
    async with client.post(path, data=body, params=params, headers=headers, **kwargs) as resp:
        return resp.status, await resp.text(), resp.headers


async def post(client: TestClient[Any, Any], body: bytes, **options: Any) -> tuple[int, str]:
    """POST a delivery as ``post_full`` does; returns (status, body text)."""
    status, text, _ = await post_full(client, body, **options)
    return status, text
