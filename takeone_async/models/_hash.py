"""Hashing for the frozen models: equal models hash equal, and a hash never changes.

The models compare equal field by field, ``extra`` and the mappings included. Their hash leaves
out every field that may hold a mutable container (``extra``, ``publishing_info``,
``preview_info``, raw JSON ``Any`` fields such as ``parameters``): those are dicts, which cannot
be hashed and can change. The fields left in (ids, strings, enum values, date-times, nested
models, tuples of them) are enough to tell models apart, and two equal models always share them,
so ``set(users)`` and ``{user: ...}`` work with the usual meaning: equal models are one key.
"""

from __future__ import annotations

import collections.abc
import operator
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar, Union

import attrs

__all__ = ["hash_by_value"]

T = TypeVar("T")


def hash_by_value(cls: type[T]) -> type[T]:
    """Give an attrs model a ``__hash__`` over the fields that cannot hold a mutable container
    (worked out on first use, once the forward references resolve)."""
    getter: Callable[[Any], Any] | None = None

    def __hash__(self: Any) -> int:
        nonlocal getter
        if getter is None:
            getter = _getter(cls)
        return hash(getter(self))

    __hash__.__qualname__ = f"{cls.__qualname__}.__hash__"
    setattr(cls, "__hash__", __hash__)  # noqa: B010 - mypy refuses assigning to a method
    return cls


def _getter(cls: type) -> Callable[[Any], Any]:
    attrs.resolve_types(cls)
    names = [f.name for f in attrs.fields(cls) if not _may_hold_a_container(f.type)]
    fields = operator.attrgetter(*names)
    return lambda obj: (cls, fields(obj))


def _may_hold_a_container(tp: Any) -> bool:
    """Whether a field of type ``tp`` may hold a dict or a list (unhashable, mutable)."""
    if tp is Any or isinstance(tp, TypeVar):
        return True
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType, tuple):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return any(_may_hold_a_container(a) for a in args)
    return origin in (collections.abc.Mapping, dict, list) or tp in (dict, list)
