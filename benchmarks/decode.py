"""Decode alone (information): bytes to typed objects, ours against orjson (the floor), pydantic v2
and msgspec.

Bodies: a 100-project list page (half fresh, half fully published; ids, dates and URLs varied)
and the documented ``project_published`` webhook event. No budget: what a user feels is the whole
call or the whole request, which the client and receiver benchmarks measure against peers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import msgspec
import orjson
import pydantic

from takeone_async import structure
from takeone_async.models import Page, Project
from webhooks import parse_event

from ._data import event_bytes, page_bytes
from ._equal import check_equal, check_equal_event
from ._peers import MsgspecEvent, MsgspecPage, PydanticEvent, PydanticPage
from ._report import Section, Table, script_main
from ._timing import bench, fmt_ratio, fmt_seconds

__all__ = ["run"]

BASELINE = "pydantic v2 `model_validate_json`"
FLOOR = "`orjson.loads` alone (floor)"
PARSE_EVENT = "`webhooks.parse_event` (checks, delivery key, typed event)"

Loads = Callable[[bytes], Any]


def _page(loads: Loads, body: bytes) -> Page[Project]:
    """The page as the client builds it: each result structured into a ``Project``."""
    data = loads(body)
    return Page(
        results=tuple(structure(item, Project) for item in data["results"]),
        count=data["count"],
        next=data["next"],
        previous=data["previous"],
    )


def _candidates(
    body: bytes, msgspec_type: type[msgspec.Struct], pydantic_type: type[pydantic.BaseModel]
) -> dict[str, Callable[[], object]]:
    decoder = msgspec.json.Decoder(msgspec_type)
    return {
        FLOOR: lambda: orjson.loads(body),
        "`json.loads` alone": lambda: json.loads(body),
        "msgspec typed decode (no `extra`, no open enums)": lambda: decoder.decode(body),
        BASELINE: lambda: pydantic_type.model_validate_json(body),
    }


def _page_candidates(body: bytes) -> dict[str, Callable[[], object]]:
    candidates = _candidates(body, MsgspecPage, PydanticPage)
    candidates["ours: `json.loads` + structuring"] = lambda: _page(json.loads, body)
    candidates["ours with `[speedups]`: `orjson.loads` + structuring"] = lambda: _page(
        orjson.loads, body
    )
    return candidates


def _event_candidates(body: bytes) -> dict[str, Callable[[], object]]:
    candidates = _candidates(body, MsgspecEvent, PydanticEvent)
    candidates[PARSE_EVENT] = lambda: parse_event(body)
    return candidates


def _equal_work(page: bytes, event: bytes) -> str:
    """Check that pydantic parses the bodies into the values we do; say how many were compared."""
    compared = check_equal(
        "pydantic (page)", _page(orjson.loads, page), PydanticPage.model_validate_json(page)
    )
    compared += check_equal_event(
        "pydantic (event)", parse_event(event), PydanticEvent.model_validate_json(event)
    )
    return (
        "Equal work, checked in this run: pydantic's models parse both bodies into the values "
        f"ours do, field by field ({compared:,} values compared)."
    )


def _table(caption: str, times: dict[str, float]) -> Table:
    table = Table(
        ["Decoder", "Median CPU per body", "vs pydantic", "vs orjson.loads"], caption=caption
    )
    for name, seconds in times.items():
        table.rows.append(
            [
                name,
                fmt_seconds(seconds),
                fmt_ratio(seconds / times[BASELINE]),
                fmt_ratio(seconds / times[FLOOR]),
            ]
        )
    return table


def run(quick: bool) -> Section:
    """Measure both bodies (information: no budget)."""
    rounds = 3 if quick else 25
    min_time = 0.005 if quick else 0.03
    page, event = page_bytes(), event_bytes()
    section = Section(
        "Decode alone (information)",
        "Bytes to typed objects: one 100-project list page "
        f"({len(page) / 1000:.0f} KB, half fresh, half fully published) and one "
        f"`project_published` webhook event ({len(event) / 1000:.1f} KB). No budget: the "
        "client and receiver sections measure what a user feels, the whole call or request.",
    )
    section.notes.append(_equal_work(page, event))
    page_times = bench(_page_candidates(page), rounds=rounds, min_time=min_time)
    event_times = bench(_event_candidates(event), rounds=rounds, min_time=min_time)
    section.tables.append(_table("**100-project page**", page_times))
    section.tables.append(_table("**Webhook event**", event_times))
    section.notes += [
        'pydantic models are the equivalent of ours (`benchmarks/_peers.py`): frozen, `extra="allow"`, '
        "enum-or-string unions tried in order (a known value becomes the enum member, as ours "
        "does), aware datetimes, nested publishing and preview mappings. msgspec cannot express "
        "open enums or keep unknown keys, so it is a reference point, not a peer.",
        "`parse_event` does more than a decode: it also checks the body (NaN, nesting) and "
        "builds the event around the two summaries, keeping the body for the delivery key.",
        BEFORE,
    ]
    return section


BEFORE = (
    "Before this release's plain cattrs converter, 0.1 generated structuring code of its own "
    "and scanned webhook bodies for hazards (its RESULTS.md, same machine): the page 0.85x "
    "pydantic with `[speedups]` and 1.21x without, `parse_event` 1.29x."
)
"""The figures of the version this release replaces, for comparison with the tables above."""


if __name__ == "__main__":
    script_main(run)
