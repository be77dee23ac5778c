"""What every resource group shares: a handle on the client, and calls sent through its one
entry point, :meth:`TakeOneClient.send <takeone_async.TakeOneClient.send>` (the
:class:`~takeone_async._http.Sender` protocol)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._http import Endpoint, check_id, check_optional_text, check_options, check_text
from .._pagination import ListCall

if TYPE_CHECKING:
    from .._http import CallOptions, Sender

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

    def __init__(self, client: Sender) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"

    async def _call(
        self,
        endpoint: Endpoint,
        cls: type[T],
        options: CallOptions,
        *ids: str,
        json: Any = None,
    ) -> T:
        """The call, its answer structured into ``cls``."""
        client = self._client
        result: T = await client.send(endpoint.call(client.base_url, ids, None, json), options, cls)
        return result

    async def _call_raw(
        self, endpoint: Endpoint, options: CallOptions, *ids: str, json: Any = None
    ) -> Any:
        """The call, its answer's JSON data as it is."""
        client = self._client
        return await client.send(endpoint.call(client.base_url, ids, None, json), options)

    def _list(
        self,
        endpoint: Endpoint,
        cls: type[T],
        options: CallOptions,
        *ids: str,
        params: Mapping[str, Any] | None = None,
    ) -> ListCall[T]:
        """The list call, fetching nothing until it is iterated."""
        call = endpoint.call(self._client.base_url, ids, params)
        if options:
            check_options(endpoint.name, options)
        return ListCall(self._client, call, cls, options)


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
