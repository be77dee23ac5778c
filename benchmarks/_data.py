"""The benchmark bodies: a 100-project list page (half fresh, half published) and a webhook event.

Built deterministically from the documented samples in tests/samples, with ids and dates varied per
project so no decoder can profit from repeated strings or a cache.
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "samples"
PAGE_SIZE = 100


def load_sample(name: str) -> Any:
    """A documented body from tests/samples."""
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _stamp(rng: random.Random) -> str:
    moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(40_000_000))
    moment += timedelta(microseconds=rng.randrange(1_000_000))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _vary_urls(value: Any, rng: random.Random) -> Any:
    """Replace the samples' placeholder path segments with per-project random ones."""
    if isinstance(value, dict):
        return {k: _vary_urls(v, rng) for k, v in value.items()}
    if isinstance(value, str) and "xxxxxx" in value:
        return value.replace("xxxxxx", rng.getrandbits(64).to_bytes(8, "big").hex())
    if isinstance(value, str) and "xxyyzz" in value:
        return value.replace("xxyyzz", rng.getrandbits(48).to_bytes(6, "big").hex())
    return value


def project(rng: random.Random, published: bool) -> dict[str, Any]:
    """One project: fresh (recording, mostly nulls) or published (streams, publishing, preview)."""
    fresh_sample, published_sample = load_sample("fetch_projects.response.json")["results"]
    body = copy.deepcopy(published_sample if published else fresh_sample)
    body["id"] = _uuid(rng)
    body["video_container"] = _uuid(rng)
    body["user"] = _uuid(rng)
    body["created_date_time"] = _stamp(rng)
    body["modified_date_time"] = _stamp(rng)
    body["organization_display_name"] = f"Member {rng.randrange(10**6)}'s profile video"
    return _vary_urls(body, rng)  # type: ignore[no-any-return]


@cache
def page_bytes(size: int = PAGE_SIZE) -> bytes:
    """A full list page: ``size`` projects alternating fresh and fully published (~124 KB)."""
    rng = random.Random(20240430)
    results = [project(rng, published=i % 2 == 1) for i in range(size)]
    page = {
        "count": 100_000,
        "next": "http://127.0.0.1/api/v1/projects?page=2",
        "previous": None,
        "results": results,
    }
    return json.dumps(page, separators=(",", ":")).encode()


@cache
def event_bytes() -> bytes:
    """The documented ``project_published`` webhook body, compact as senders send it."""
    return json.dumps(load_sample("webhook_project_published.json"), separators=(",", ":")).encode()


@cache
def app_user_bytes() -> bytes:
    """The documented app user: the client benchmark's small body."""
    return json.dumps(load_sample("fetch_app_user.response.json"), separators=(",", ":")).encode()
