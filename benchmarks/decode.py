"""Decode: bytes to typed objects, ours against orjson (the floor), pydantic v2 and msgspec.

Bodies: a 100-project list page (half fresh, half fully published; ids, dates and URLs varied)
and the documented ``project_published`` webhook event. Goal: ours <= 1.0x pydantic for both.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
import orjson
import pydantic

from takeone_async._json import loads as speedups_loads
from takeone_async.converter import structure
from takeone_async.models import Page, Project

from ._data import event_bytes, page_bytes
from ._peers import MsgspecEvent, MsgspecPage, PydanticEvent, PydanticPage
from ._profile import workload_note
from ._report import Goal, Section, Table, script_main
from ._timing import bench, fmt_ratio, fmt_seconds

__all__ = ["run"]

BASELINE = "pydantic v2 `model_validate_json`"
FLOOR = "`orjson.loads` alone (floor)"
OURS_STDLIB = "ours: `json.loads` + converter"
OURS_SPEEDUPS = "ours with `[speedups]`: `loads` (orjson) + converter"


Loads = Callable[[bytes], Any]


def _candidates(
    body: bytes,
    msgspec_type: type[msgspec.Struct],
    pydantic_type: type[pydantic.BaseModel],
    ours: Callable[[Loads], Callable[[], object]],
) -> dict[str, Callable[[], object]]:
    decoder = msgspec.json.Decoder(msgspec_type)
    return {
        FLOOR: lambda: orjson.loads(body),
        "`json.loads` alone": lambda: json.loads(body),
        "msgspec typed decode (no `extra`, no open enums)": lambda: decoder.decode(body),
        BASELINE: lambda: pydantic_type.model_validate_json(body),
        OURS_STDLIB: ours(json.loads),
        OURS_SPEEDUPS: ours(speedups_loads),
    }


def _page_candidates(body: bytes) -> dict[str, Callable[[], object]]:
    def ours(loads: Loads) -> Callable[[], object]:
        return lambda: structure(loads(body), Page[Project])

    return _candidates(body, MsgspecPage, PydanticPage, ours)


def _event_candidates(body: bytes) -> dict[str, Callable[[], object]]:
    from webhooks import parse_event
    from webhooks.events import ProjectSummary, VideoContainerSummary

    def ours(loads: Loads) -> Callable[[], object]:
        def decode() -> object:
            payload = loads(body)
            return (
                payload["type"],
                datetime.fromtimestamp(payload["timestamp"], UTC),
                structure(payload["project"], ProjectSummary),
                structure(payload["video_container"], VideoContainerSummary),
            )

        return decode

    candidates = _candidates(body, MsgspecEvent, PydanticEvent, ours)
    candidates["`webhooks.parse_event` (hardened JSON, delivery key, typed event)"] = lambda: (
        parse_event(body)
    )
    return candidates


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
    """Measure both bodies; goals on ours with and without the speedups extra."""
    rounds = 3 if quick else 25
    min_time = 0.005 if quick else 0.03
    page, event = page_bytes(), event_bytes()
    section = Section(
        "Decode",
        "Bytes to typed objects: one 100-project list page "
        f"({len(page) / 1000:.0f} KB, half fresh, half fully published) and one "
        f"`project_published` webhook event ({len(event) / 1000:.1f} KB). "
        "Goal: ours <= 1.0x pydantic v2 for both.",
    )
    page_times = bench(_page_candidates(page), rounds=rounds, min_time=min_time)
    event_times = bench(_event_candidates(event), rounds=rounds, min_time=min_time)
    section.tables.append(_table("**100-project page**", page_times))
    section.tables.append(_table("**Webhook event**", event_times))
    for body, times in (("page", page_times), ("event", event_times)):
        for label, name in (("stdlib json", OURS_STDLIB), ("[speedups]", OURS_SPEEDUPS)):
            section.goals.append(
                Goal(f"{body}, ours ({label}) vs pydantic", times[name] / times[BASELINE], 1.0)
            )
    parse_event = event_times[next(k for k in event_times if "parse_event" in k)]
    section.goals.append(
        Goal("event, `parse_event` vs pydantic", parse_event / event_times[BASELINE], 1.0)
    )
    if not quick:
        _explain(section)
    section.notes += [
        'pydantic models are the equivalent of ours: frozen, `extra="allow"`, enum-or-string '
        "unions, aware datetimes, nested publishing and preview mappings. msgspec cannot express "
        "open enums or keep unknown keys, so it is a reference point, not a peer.",
        "The converter is a plain `cattrs.Converter`: one `cattrs.gen` function per model, "
        "one registered hook per field type, each model built through its `__init__`; "
        "`[speedups]` adds only orjson for the bytes-to-dict step (`takeone_async._json.loads`), "
        "whose values and errors are the standard library's.",
    ]
    return section


def _explain(section: Section) -> None:
    """Profiles and what would close the gap, for each goal not met."""
    missed = {goal.item for goal in section.goals if not goal.met}
    if any("stdlib" in item for item in missed):
        section.notes.append(
            "Without `[speedups]`, `json.loads` alone costs about half of pydantic's whole "
            "decode, and the converter's structuring (per object: a `cattrs.gen` function, a "
            "hook call per field, the model's `__init__`) more again. A faster bytes-to-dict "
            "step narrows it: `pip install 'takeone-async[speedups]'` (orjson). Structuring "
            "is plain cattrs by choice (issue 10): the generated fast path that beat pydantic "
            "was removed."
        )
        section.notes.append(workload_note("the page without speedups", "decode-page"))
    if any("parse_event" in item for item in missed):
        section.notes.append(
            "`parse_event` does more than a decode, by design: it proves the body free of the "
            "hazards the webhook issue lists (duplicate keys, nesting beyond 64 levels, numbers "
            "of more than 64 digits, NaN), which pydantic's `model_validate_json` does not check "
            "(it keeps the last of duplicate keys), and builds the event around two summaries. "
            "Already done: orjson reads first and byte scans vouch for its reading (re-encode "
            "and compare, count the colons), the exact depth pass runs only for bodies with more "
            "than 64 brackets, and the delivery key is computed on first use. The profile splits "
            "the rest roughly into thirds: orjson plus the scans, structuring the two "
            "summaries, and the event itself. What would close it: a C decoder that rejects "
            "duplicate keys and bounds nesting itself, so the re-encode-and-compare scan goes "
            "(none of orjson, msgspec, ujson does today)."
        )
        section.notes.append(workload_note("`parse_event`", "parse-event"))


if __name__ == "__main__":
    script_main(run)
