"""pytest plugin (entry point ``takeone``): a running sandbox, a client pointed at it, and helpers
that POST documented-shape webhook events to your receiver the way deliveries really arrive
(signed or not, repeated, out of order, stale).

Fixtures (function scope; they are pytest-asyncio fixtures, so they work in its strict mode, where
your test carries ``@pytest.mark.asyncio``, and in its auto mode):

- ``takeone_sandbox``: a :class:`~takeone_async.sandbox.Sandbox` on a free loopback port, with
  short delays; configure it per test with ``@pytest.mark.takeone_sandbox(publish_delay=..., ...)``
  (any ``Sandbox`` keyword argument).
- ``takeone_client``: a :class:`~takeone_async.TakeOneClient` for that sandbox.

The sandbox itself is imported only when a fixture or helper is used, so loading the plugin
costs nothing more than ``import takeone_async``.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pytest

from .errors import TakeOneValueError

if TYPE_CHECKING:
    from ._client import TakeOneClient
    from .sandbox import Sandbox

try:
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover - run in a venv without it (test_plugin_in_a_fresh_project)
    _async_fixture = pytest.fixture  # type: ignore[assignment]

__all__ = [
    "FIXTURE_DEFAULTS",
    "post_events",
    "sample_event",
    "stale_event",
    "takeone_client",
    "takeone_sandbox",
]

FIXTURE_DEFAULTS: Mapping[str, Any] = {
    "publish_delay": 0.05,
    "script_delay": 0.05,
    "headshot_delay": 0.05,
    "webhook_backoff": 0.05,
    "webhook_timeout": 2.0,
}
"""The ``takeone_sandbox`` fixture's settings, before the test's marker overrides them."""

ORDERS = ("given", "reversed", "shuffled")

_MISSING_PYTEST_ASYNCIO = (
    "the takeone fixtures (takeone_sandbox, takeone_client) need pytest-asyncio, which is not "
    "installed or is disabled (-p no:asyncio): pip install pytest-asyncio, or install "
    "takeone-async with its testing extra: pip install '<your takeone-async clone>[testing]'"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "takeone_sandbox(**options): Sandbox keyword arguments for the takeone_sandbox fixture",
    )


@pytest.fixture
def _takeone_needs_pytest_asyncio(request: pytest.FixtureRequest) -> None:
    """Fails the test in one line, naming pytest-asyncio, before an async fixture could run."""
    if not request.config.pluginmanager.has_plugin("asyncio"):
        pytest.fail(_MISSING_PYTEST_ASYNCIO, pytrace=False)


@_async_fixture
async def takeone_sandbox(
    request: pytest.FixtureRequest, _takeone_needs_pytest_asyncio: None
) -> AsyncIterator[Sandbox]:
    """A running sandbox on 127.0.0.1 (free port), closed after the test."""
    from .sandbox import Sandbox

    marker = request.node.get_closest_marker("takeone_sandbox")
    options = {**FIXTURE_DEFAULTS, **(marker.kwargs if marker else {})}
    async with Sandbox(**options) as sandbox:
        yield sandbox


@_async_fixture
async def takeone_client(takeone_sandbox: Sandbox) -> AsyncIterator[TakeOneClient]:
    """A client with the sandbox's credentials and a short back-off."""
    async with takeone_sandbox.client(backoff_base=0.01, backoff_cap=0.1) as client:
        yield client


def sample_event(event_type: str = "project_published", **changes: Any) -> dict[str, Any]:
    """A documented-shape event (see :func:`takeone_async.sandbox.sample_event`)."""
    from .sandbox import sample_event as build

    return build(event_type, **changes)


def stale_event(event: Mapping[str, Any], seconds: float = 3600.0) -> dict[str, Any]:
    """A copy of ``event`` that looks ``seconds`` older (``timestamp``, ``modified_date_time``)."""
    from .sandbox import stale_event as age

    return age(event, seconds)


async def post_events(
    url: str,
    events: Iterable[Mapping[str, Any]],
    *,
    secret: str | None = None,
    repeat: int = 1,
    order: str = "given",
    seed: int = 0,
    timeout: float = 5.0,  # noqa: ASYNC109 - per POST, passed on to aiohttp
) -> list[int]:
    """POST each event to ``url`` and return the statuses, in the order sent.

    ``secret`` (``whsec_...``) signs them the Standard Webhooks way; ``repeat`` sends each one
    that many times in a row (same ``webhook-id``, as a redelivery); ``order`` is ``"given"``,
    ``"reversed"`` or ``"shuffled"`` (with ``seed``).
    """
    import time

    import aiohttp

    from . import signing
    from .sandbox import delivery_headers, encode_event, new_message_id, post_event

    if order not in ORDERS:
        raise TakeOneValueError(
            f"post_events: order must be one of {', '.join(ORDERS)}, got {order!r:.40}"
        )
    if repeat < 1:
        raise TakeOneValueError(f"post_events: repeat must be >= 1, got {repeat}")
    keys = []
    if secret is not None:
        try:
            keys.append(signing.decode_secret(secret))
        except ValueError as exc:
            raise TakeOneValueError(f"post_events: secret: {exc}") from None
    batch = list(events)
    if order == "reversed":
        batch.reverse()
    elif order == "shuffled":
        random.Random(seed).shuffle(batch)
    statuses = []
    async with aiohttp.ClientSession() as session:
        for event in batch:
            body, msg_id = encode_event(event), new_message_id()
            for _ in range(repeat):
                headers = delivery_headers(
                    body, msg_id=msg_id, timestamp=int(time.time()), keys=keys
                )
                statuses.append(await post_event(session, url, body, headers, timeout))
    return statuses
