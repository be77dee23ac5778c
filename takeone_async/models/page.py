"""One page of a paginated list, Django REST framework style."""

from __future__ import annotations

from typing import Generic, TypeVar

import attrs

__all__ = ["Page"]

T = TypeVar("T")


@attrs.frozen
class Page(Generic[T]):
    """``count`` items in all; ``next``/``previous`` are absolute URLs or None."""

    results: tuple[T, ...]
    count: int | None = None
    next: str | None = None
    previous: str | None = None
