"""What every resource group shares: a handle on the client and the request-decode path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._http import check_id, check_optional_text, check_options, check_text
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

    async def _call(
        self,
        method: str,
        route: str,
        cls: type[T],
        options: CallOptions,
        *,
        ids: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> T:
        spec = self._client._spec(method, route, _fill(method, route, ids), json=json)
        data = await self._client.request(spec, **options)
        return self._client.decode(spec, data, cls)

    async def _call_raw(
        self,
        method: str,
        route: str,
        options: CallOptions,
        *,
        ids: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> Any:
        spec = self._client._spec(method, route, _fill(method, route, ids), json=json)
        return await self._client.request(spec, **options)

    def _list(
        self,
        route: str,
        cls: type[T],
        options: CallOptions,
        *,
        ids: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> ListCall[T]:
        spec = self._client._spec("GET", route, _fill("GET", route, ids), params=params)
        check_options(spec.name, options)
        return ListCall(self._client, spec, cls, options)


def _fill(method: str, route: str, ids: Mapping[str, str] | None) -> str:
    """Put checked ids into a route template such as ``/api/v1/projects/{id}/publish``."""
    if not ids:
        return route
    call = f"{method} {route}"
    return route.format(**{name: check_id(value, f"{call}: {name}") for name, value in ids.items()})


def optional_id(value: object, name: str) -> str | None:
    """A filter id: None (no filter) or a valid id."""
    return None if value is None else check_id(value, name)


def body(**fields: Any) -> dict[str, Any]:
    """A JSON body of text fields from keyword arguments, dropping the ones left UNSET."""
    return {k: check_optional_text(v, k) for k, v in given(**fields).items()}


__all__ = [
    "API",
    "UNSET",
    "Resource",
    "body",
    "check_id",
    "check_optional_text",
    "check_text",
    "given",
    "optional_id",
]
