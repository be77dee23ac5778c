"""Peer decoders with models derived from ours, field for field: pydantic v2 and msgspec.

The pydantic models keep what ours keep: unknown keys (``extra="allow"``), known enum values as
enum members and unknown ones as plain strings (the same ``Enum | str`` unions, tried left to
right), aware datetimes, nested publishing and preview mappings, frozen instances; ``_equal``
checks in every run that they parse the benchmark bodies into the values ours do. msgspec cannot hold an enum-or-string union nor unknown keys, so its
models read enums as plain strings and drop unknown keys: a reference point for a compiled
decoder, not an equivalent.
"""

from __future__ import annotations

import collections.abc
import enum
import functools
import types
import typing
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any, Union

import attrs
import msgspec
import pydantic

from takeone_async.models import AppUser, Project
from webhooks.events import ProjectSummary, VideoContainerSummary

__all__ = [
    "MsgspecEvent",
    "MsgspecPage",
    "PydanticAppUser",
    "PydanticEvent",
    "PydanticPage",
    "pydantic_model",
]

_CONFIG = pydantic.ConfigDict(extra="allow", frozen=True)


def _translate(tp: Any, model: Any, open_enums: bool) -> Any:
    """``tp`` with attrs classes replaced by ``model(cls)`` and mappings by dicts."""
    if attrs.has(tp):
        return model(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (Union, types.UnionType):
        members = [_translate(a, model, open_enums) for a in args]
        enums = [m for m in members if isinstance(m, type) and issubclass(m, enum.Enum)]
        if enums and not open_enums:
            members = list(dict.fromkeys(str if m in enums else m for m in members))
        union = functools.reduce(lambda a, b: a | b, members)
        if enums and open_enums:
            # pydantic's default "smart" union picks ``str`` for a known value (an exact match);
            # trying members in order gives the enum member, and the string only if none fits.
            return Annotated[union, pydantic.Field(union_mode="left_to_right")]
        return union
    if origin in (collections.abc.Mapping, dict):
        return dict.__class_getitem__((args[0], _translate(args[1], model, open_enums)))
    if origin is tuple:
        return tuple.__class_getitem__((_translate(args[0], model, open_enums), ...))
    if isinstance(tp, type) and issubclass(tp, enum.Enum) and not open_enums:
        return str
    return tp


def _fields(cl: type) -> Iterator[tuple[str, Any, Callable[[], Any] | None, Any]]:
    """(name, type, factory or None, default or ``attrs.NOTHING``) of each field but ``extra``."""
    attrs.resolve_types(cl)
    for f in attrs.fields(cl):
        default: Any = f.default
        if f.name != "extra":
            factory = default.factory if isinstance(default, attrs.Factory) else None  # type: ignore[arg-type]
            yield f.name, f.type, factory, default


@functools.cache
def pydantic_model(cl: type) -> type[pydantic.BaseModel]:
    """The pydantic v2 model equivalent to attrs model ``cl``."""
    fields: dict[str, Any] = {}
    for name, tp, factory, default in _fields(cl):
        translated = _translate(tp, pydantic_model, open_enums=True)
        if factory is not None:
            fields[name] = (translated, pydantic.Field(default_factory=factory))
        else:
            fields[name] = (translated, ... if default is attrs.NOTHING else default)
    model: type[pydantic.BaseModel] = pydantic.create_model(
        f"P{cl.__name__}", __config__=_CONFIG, **fields
    )
    return model


@functools.cache
def msgspec_struct(cl: type) -> type[msgspec.Struct]:
    """The closest msgspec struct to attrs model ``cl`` (enums as strings, no ``extra``)."""
    fields: list[tuple[str, Any, Any]] = []
    for name, tp, factory, default in _fields(cl):
        translated = _translate(tp, msgspec_struct, open_enums=False)
        if factory is not None:
            fields.append((name, translated, msgspec.field(default_factory=factory)))
        else:
            fields.append(
                (name, translated, msgspec.NODEFAULT if default is attrs.NOTHING else default)
            )
    return msgspec.defstruct(f"M{cl.__name__}", fields, frozen=True, kw_only=True)


_P, _PS, _PV = (
    pydantic_model(Project),
    pydantic_model(ProjectSummary),
    pydantic_model(VideoContainerSummary),
)
_M, _MS, _MV = (
    msgspec_struct(Project),
    msgspec_struct(ProjectSummary),
    msgspec_struct(VideoContainerSummary),
)


PydanticAppUser = pydantic_model(AppUser)


class PydanticPage(pydantic.BaseModel):
    model_config = _CONFIG
    count: int | None = None
    next: str | None = None
    previous: str | None = None
    results: tuple[_P, ...]  # type: ignore[valid-type]


class PydanticEvent(pydantic.BaseModel):
    model_config = _CONFIG
    type: str
    timestamp: datetime
    project: _PS | None = None  # type: ignore[valid-type]
    video_container: _PV | None = None  # type: ignore[valid-type]


class MsgspecPage(msgspec.Struct, frozen=True, kw_only=True):
    results: tuple[_M, ...]  # type: ignore[valid-type]
    count: int | None = None
    next: str | None = None
    previous: str | None = None


class MsgspecEvent(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    timestamp: int
    project: _MS | None = None  # type: ignore[valid-type]
    video_container: _MV | None = None  # type: ignore[valid-type]
