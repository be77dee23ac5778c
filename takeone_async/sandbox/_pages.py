"""Pure page-number pagination, as Django REST framework's ``PageNumberPagination`` answers it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from ._errors import SandboxNotFoundError

__all__ = ["paginate"]


def paginate(
    items: Sequence[Any],
    url: str,
    query: Sequence[tuple[str, str]],
    *,
    page_size: int,
    max_page_size: int,
) -> dict[str, Any]:
    """One page of ``items`` with absolute ``next``/``previous`` links built on ``url``.

    ``page_size`` in the query overrides the default up to ``max_page_size`` (an invalid value is
    ignored); a page number that is not a positive integer or lies past the end is a 404.
    """
    size = _page_size(query, page_size, max_page_size)
    pages = max(1, -(-len(items) // size))
    raw = _last(query, "page")
    number = 1 if raw is None or raw == "last" else _page_number(raw)
    if raw == "last":
        number = pages
    if number > pages:
        raise SandboxNotFoundError(f"page {raw}", detail="Invalid page.")
    start = (number - 1) * size
    return {
        "count": len(items),
        "next": _link(url, query, number + 1) if number < pages else None,
        "previous": _link(url, query, number - 1) if number > 1 else None,
        "results": list(items[start : start + size]),
    }


def _last(query: Sequence[tuple[str, str]], name: str) -> str | None:
    values = [value for key, value in query if key == name]
    return values[-1] if values else None


def _page_size(query: Sequence[tuple[str, str]], default: int, maximum: int) -> int:
    raw = _last(query, "page_size")
    try:
        size = int(raw) if raw is not None else default
    except ValueError:
        return default
    return min(size, maximum) if size > 0 else default


def _page_number(raw: str) -> int:
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if number < 1:
        raise SandboxNotFoundError(f"page {raw!r}", detail="Invalid page.")
    return number


def _link(url: str, query: Sequence[tuple[str, str]], number: int) -> str:
    """``url`` with the query kept and ``page`` set (dropped for page 1), keys sorted as DRF does."""
    params = {key: value for key, value in query if key != "page"}
    if number > 1:
        params["page"] = str(number)
    encoded = urlencode(sorted(params.items()))
    return f"{url}?{encoded}" if encoded else url
