"""Equal work: the values a peer parsed must equal ours, field by field, before it is timed.

Ours are attrs models, a peer's pydantic models; both hold the same fields (the peers' models are
derived from ours in ``_peers``). Scalars must match in type as well as value (an open enum member
is not its plain string, ``True`` is not ``1``), datetimes in their UTC offset as well as their
instant, and ``extra`` must hold the same unknown keys as pydantic's ``model_extra``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs
import pydantic

__all__ = ["EVENT_FIELDS", "check_equal", "check_equal_event", "count_values", "differences"]

_MISSING = object()

EVENT_FIELDS = ("type", "timestamp", "project", "video_container")
"""What a webhook event and its pydantic peer both hold (ours also keeps the raw body)."""


def _is_model(value: Any) -> bool:
    return attrs.has(type(value))


def _model_fields(ours: Any, theirs: Any) -> list[tuple[str, Any, Any]]:
    """(name, our value, their value) of each field of our model, ``extra`` as mappings."""
    pairs = []
    for field in attrs.fields(type(ours)):
        mine = getattr(ours, field.name)
        if field.name == "extra":
            pairs.append(("extra", dict(mine), dict(getattr(theirs, "model_extra", None) or {})))
        else:
            pairs.append((field.name, mine, getattr(theirs, field.name, _MISSING)))
    return pairs


def differences(ours: Any, theirs: Any, path: str = "$") -> list[str]:
    """Where ``theirs`` differs from ``ours``: one line per differing value, with its JSON path."""
    if theirs is _MISSING:
        return [f"{path}: missing from the peer's model"]
    if _is_model(ours):
        if not isinstance(theirs, pydantic.BaseModel):
            return [f"{path}: ours a {type(ours).__name__}, theirs {_show(theirs)}"]
        found: list[str] = []
        for name, mine, other in _model_fields(ours, theirs):
            found += differences(mine, other, f"{path}.{name}")
        return found
    if isinstance(ours, Mapping):
        if not isinstance(theirs, Mapping):
            return [f"{path}: ours a mapping, theirs {type(theirs).__name__}"]
        if set(ours) != set(theirs):
            return [f"{path}: keys {sorted(ours)} against {sorted(theirs)}"]
        found = []
        for key in ours:
            found += differences(ours[key], theirs[key], f"{path}.{key}")
        return found
    if isinstance(ours, tuple | list):
        if not isinstance(theirs, tuple | list) or len(ours) != len(theirs):
            return [f"{path}: {_show(ours)} against {_show(theirs)}"]
        found = []
        for index, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
            found += differences(mine, other, f"{path}[{index}]")
        return found
    if type(ours) is not type(theirs) or ours != theirs:
        return [f"{path}: {_show(ours)} against {_show(theirs)}"]
    if isinstance(ours, datetime) and ours.utcoffset() != theirs.utcoffset():
        return [f"{path}: UTC offset {ours.utcoffset()} against {theirs.utcoffset()}"]
    return []


def _show(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def count_values(ours: Any) -> int:
    """How many scalar values ``differences`` compares in ``ours``."""
    if _is_model(ours):
        return sum(count_values(getattr(ours, f.name)) for f in attrs.fields(type(ours)))
    if isinstance(ours, Mapping):
        return sum(count_values(v) for v in ours.values())
    if isinstance(ours, tuple | list):
        return sum(count_values(v) for v in ours)
    return 1


def check_equal(label: str, ours: Any, theirs: Any, path: str = "$") -> int:
    """Raise if ``theirs`` differs from ``ours``; else return how many values were compared."""
    found = differences(ours, theirs, path)
    if found:
        shown = "\n  ".join(found[:10])
        raise AssertionError(f"{label} parsed other values than ours:\n  {shown}")
    return count_values(ours)


def check_equal_event(label: str, ours: Any, theirs: Any) -> int:
    """``check_equal`` over the fields a webhook event shares with its pydantic peer."""
    return sum(
        check_equal(label, getattr(ours, name), getattr(theirs, name), f"$.{name}")
        for name in EVENT_FIELDS
    )
