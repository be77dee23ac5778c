"""examples/aiohttp_app.py works as its docstring says: deliveries in, stream URLs out."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.webhooks.conftest import PROJECT_ID, SECRET, event_body, post

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "aiohttp_app.py"
STREAM = "https://customer-xxxxxx.cloudflarestream.com/xxxxxx/manifest/video.m3u8"


@pytest.fixture
def example() -> ModuleType:
    """A fresh copy of the example module (its router and store are module globals)."""
    spec = importlib.util.spec_from_file_location("aiohttp_app_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_a_published_project_is_served_then_forgotten_when_unpublished(
    example: ModuleType, aiohttp_client: Any
) -> None:
    client = await aiohttp_client(example.make_app(SECRET))
    async with client.get(f"/videos/{PROJECT_ID}") as resp:
        assert resp.status == 404
    assert await post(client, event_body("project_published")) == (200, "")
    async with client.get(f"/videos/{PROJECT_ID}") as resp:
        assert resp.status == 200
        assert await resp.json() == {"project_id": PROJECT_ID, "src": STREAM}
    unpublished = event_body(
        "project_unpublished",
        project_fields={
            "modified_date_time": "2024-05-02T00:00:00Z",
            "publishing_status": "can_publish",
            "publishing_info": None,
        },
    )
    assert await post(client, unpublished) == (200, "")
    async with client.get(f"/videos/{PROJECT_ID}") as resp:
        assert resp.status == 404


async def test_a_late_older_publish_does_not_resurrect_an_unpublished_video(
    example: ModuleType, aiohttp_client: Any
) -> None:
    client = await aiohttp_client(example.make_app(SECRET))
    newer = event_body(
        "project_unpublished",
        project_fields={"modified_date_time": "2024-05-02T00:00:00Z", "publishing_info": None},
    )
    assert await post(client, newer) == (200, "")
    assert await post(client, event_body("project_published")) == (200, "")
    async with client.get(f"/videos/{PROJECT_ID}") as resp:
        assert resp.status == 404


async def test_the_example_rejects_a_wrong_token(example: ModuleType, aiohttp_client: Any) -> None:
    client = await aiohttp_client(example.make_app(SECRET))
    assert (await post(client, event_body(), token="guess"))[0] == 401
    assert example.streams == {}


def test_main_refuses_to_start_without_a_token(
    example: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEBHOOK_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="set WEBHOOK_TOKEN"):
        example.main()
