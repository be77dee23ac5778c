"""Lazy pagination over Django-REST-style pages: one page in memory, whatever the total."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._http import Call, decode_page, next_page_call
from .errors import PaginationError, TakeOneValueError
from .models.page import Page
from .urls import redact_url

if TYPE_CHECKING:
    from ._http import CallOptions, Sender

__all__ = ["ListCall"]

T = TypeVar("T")


class ListCall(Generic[T]):
    """The result of a ``list(...)`` call: iterate it for items, or ask for pages.

    Nothing is fetched until it is iterated or awaited through one of its methods; every
    iteration starts again from the first page. Each page is one ``client.send``.
    """

    def __init__(
        self,
        client: Sender,
        call: Call,
        item_type: type[T],
        options: CallOptions,
    ) -> None:
        self._client = client
        self._call = call
        self._item_type = item_type
        self._options = options

    def __repr__(self) -> str:
        return f"<ListCall {self._call.name} of {self._item_type.__name__}>"

    async def _fetch(self, call: Call) -> Page[T]:
        data = await self._client.send(call, self._options)
        return decode_page(call, data, self._item_type)

    async def first_page(self) -> Page[T]:
        """The first page: ``count``, ``next``, ``previous`` and ``results``."""
        return await self._fetch(self._call)

    def pages(self) -> AsyncIterator[Page[T]]:
        """Every page in turn, following ``next`` links safely."""
        return _PageIterator(self)

    def __aiter__(self) -> AsyncIterator[T]:
        return _ItemIterator(_PageIterator(self))

    async def to_list(self, limit: int | None = None) -> list[T]:
        """Collect the items (at most ``limit``), fetching no page beyond what is needed."""
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise TakeOneValueError(
                f"{self._call.name}: to_list limit must be an integer >= 0 or None, "
                f"got {limit!r:.40}"
            )
        out: list[T] = []
        if limit == 0:
            return out
        async for page in self.pages():
            for item in page.results:
                out.append(item)
                if limit is not None and len(out) >= limit:
                    return out
        return out


class _PageIterator(Generic[T]):
    """Fetches pages in turn; a ``next`` link is checked only when its page is wanted, so the
    items of a page always come out before an error about the link that follows it."""

    def __init__(self, list_call: ListCall[T]) -> None:
        self._list_call = list_call
        self._pending: Call | None = list_call._call
        self._next_url: str | None = None
        self._current = list_call._call.url
        self._seen = {list_call._call.url}

    def __aiter__(self) -> _PageIterator[T]:
        return self

    async def __anext__(self) -> Page[T]:
        call, self._pending = self._pending, None
        if call is None:
            if not self._next_url:
                raise StopAsyncIteration
            call = self._follow(self._next_url)
        page = await self._list_call._fetch(call)
        self._next_url = page.next
        self._current = call.url
        return page

    def _follow(self, link: str) -> Call:
        first = self._list_call._call
        call = next_page_call(first, self._current, link, self._list_call._client.base_url)
        if call.url in self._seen:
            raise PaginationError(
                f"{first.name}: the next page link {redact_url(link, keep_query=True)!r} repeats a "
                "page already read; "
                "stopping instead of looping forever"
            )
        self._seen.add(call.url)
        return call


class _ItemIterator(Generic[T]):
    def __init__(self, pages: _PageIterator[T]) -> None:
        self._pages = pages
        self._items: tuple[T, ...] = ()
        self._index = 0

    def __aiter__(self) -> _ItemIterator[T]:
        return self

    async def __anext__(self) -> T:
        while self._index >= len(self._items):
            page: Page[Any] = await self._pages.__anext__()
            self._items, self._index = page.results, 0
        item = self._items[self._index]
        self._index += 1
        return item
