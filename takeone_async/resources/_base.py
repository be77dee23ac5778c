"""What every resource group shares: a handle on the client and the request-decode path."""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._http import Endpoint, check_id, check_optional_text, check_options, check_text
from .._pagination import ListCall

if TYPE_CHECKING:
    from .._client import CallOptions, TakeOneClient

T = TypeVar("T")
API = "/api/v1"


class _Unset:
    """Marks a keyword argument the caller did not give (distinct from an explicit None)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def given(**fields: Any) -> dict[str, Any]:
    """The keyword arguments the caller actually passed, None included."""
    return {k: v for k, v in fields.items() if v is not UNSET}


class Resource:
    """Base of the resource groups (``client.app_users``, ``client.projects``, ...)."""

    def __init__(self, client: TakeOneClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"

    def _call(
        self,
        endpoint: Endpoint,
        cls: type[T],
        options: CallOptions,
        *ids: str,
        json: Any = None,
    ) -> Coroutine[Any, Any, T]:
        """The request, structured into ``cls``: awaited directly by the public method, so a
        call runs through two coroutines (that method and the request loop), not four."""
        client = self._client
        exchange: Coroutine[Any, Any, T] = client._exchange(
            client._spec(endpoint, ids, None, json), options, cls
        )
        return exchange

    def _call_raw(
        self, endpoint: Endpoint, options: CallOptions, *ids: str, json: Any = None
    ) -> Coroutine[Any, Any, Any]:
        return self._client._exchange(self._client._spec(endpoint, ids, None, json), options)

    def _list(
        self,
        endpoint: Endpoint,
        cls: type[T],
        options: CallOptions,
        *ids: str,
        params: Mapping[str, Any] | None = None,
    ) -> ListCall[T]:
        spec = self._client._spec(endpoint, ids, params)
        if options:
            check_options(endpoint.name, options)
        return ListCall(self._client, spec, cls, options)


def optional_id(value: object, name: str) -> str | None:
    """A filter id: None (no filter) or a valid id."""
    return None if value is None else check_id(value, name)


def body(**fields: Any) -> dict[str, Any]:
    """A JSON body of text fields from keyword arguments, dropping the ones left UNSET."""
    return {k: check_optional_text(v, k) for k, v in given(**fields).items()}


__all__ = [
    "API",
    "UNSET",
    "Endpoint",
    "Resource",
    "body",
    "check_id",
    "check_optional_text",
    "check_text",
    "given",
    "optional_id",
]
