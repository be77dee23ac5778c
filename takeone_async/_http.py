"""The client's sans-I/O core: a call becomes a :class:`~takeone_async.transport.Request`, and a
:class:`~takeone_async.transport.Response` becomes data, a model or a typed error.

Pure: no aiohttp, no clock, no sleeping. The request loop in ``_client`` drives these functions
and the retry rules of :mod:`takeone_async.retry`; the resource groups and pagination build
:class:`Call` values with :meth:`Endpoint.call` and :func:`next_page_call`.
"""

from __future__ import annotations

import base64
import html
import json
import re
import string
import typing
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol, TypedDict, TypeVar
from urllib.parse import urlencode, urljoin, urlsplit

import attrs

from . import converter
from ._json import loads
from ._version import __version__
from .converter import StructureError
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InvalidResponseError,
    PaginationError,
    RateLimitError,
    TakeOneValueError,
    status_error_class,
)
from .models.page import Page
from .retry import Failure, RetryPolicy, parse_retry_after
from .transport import Request, Response, TransportError
from .urls import redact_url

T = TypeVar("T")

USER_AGENT = f"takeone-async/{__version__}"
REQUEST_ID_HEADERS = ("x-request-id", "x-amzn-requestid", "x-amz-cf-id", "cf-ray")
_MAX_SUMMARY = 300
_MARKUP = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.DOTALL | re.IGNORECASE)
CALL_OPTIONS = frozenset({"timeout", "connect_timeout", "deadline", "max_retries"})


class CallOptions(TypedDict, total=False):
    """Per-call overrides of the client's settings."""

    timeout: float
    connect_timeout: float
    deadline: float | None
    max_retries: int


class Call(NamedTuple):
    """One API call: ``route`` names it in messages (``POST /api/v1/projects/{id}/publish``),
    ``json`` is the body to send as JSON (None: no body).

    A named tuple: immutable and light, built once per call.
    """

    method: str
    route: str
    url: str
    json: Any = None

    @property
    def name(self) -> str:
        return f"{self.method} {self.route}"


class Sender(Protocol):
    """What the resource groups and list calls need of the client (:class:`TakeOneClient` is
    one): its base URL, its settings, and ``send``, the one way a call reaches the API."""

    @property
    def base_url(self) -> str: ...

    @property
    def deadline(self) -> float | None: ...

    @property
    def retry_policy(self) -> RetryPolicy: ...

    async def send(
        self, call: Call, options: CallOptions | None = None, into: type[T] | None = None
    ) -> Any: ...


@attrs.frozen
class Endpoint:
    """One documented call, its route template parsed once: ``Endpoint("GET", f"{API}/x/{{id}}")``.

    ``path(ids)`` fills the placeholders in order with checked ids by joining precomputed pieces,
    so a call pays neither ``str.format`` nor building its own name.
    """

    method: str
    route: str
    name: str = attrs.field(init=False)
    placeholders: tuple[str, ...] = attrs.field(init=False)
    _pieces: tuple[str, ...] = attrs.field(init=False, alias="_pieces", repr=False)

    def __attrs_post_init__(self) -> None:
        pieces, names = [], []
        for text, name, _, _ in string.Formatter().parse(self.route):
            pieces.append(text)
            if name is not None:
                names.append(name)
        if len(pieces) == len(names):  # the route ends with a placeholder
            pieces.append("")
        object.__setattr__(self, "name", f"{self.method} {self.route}")
        object.__setattr__(self, "placeholders", tuple(names))
        object.__setattr__(self, "_pieces", tuple(pieces))

    def call(
        self,
        base_url: str,
        ids: Sequence[object] = (),
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Call:
        """This endpoint on ``base_url``: its ids filled in (checked), the query added."""
        path = self.path(ids)
        url = base_url + path if params is None else build_url(base_url, path, params)
        return Call(self.method, self.route, url, json)

    def path(self, ids: Sequence[object] = ()) -> str:
        """The route with its placeholders filled by ``ids`` (checked, in order)."""
        pieces, names = self._pieces, self.placeholders
        if len(ids) != len(names):
            raise TypeError(f"{self.name} takes {len(names)} id(s), got {len(ids)}")
        out = pieces[0]
        for index, value in enumerate(ids):
            out += check_id(value, names[index], self.name) + pieces[index + 1]
        return out


def check_id(value: object, name: str, call: str | None = None) -> str:
    """Reject an empty or non-string id before any request is made (``call`` prefixes the name)."""
    problem = _id_problem(value)
    if problem is not None:
        raise TakeOneValueError(f"{name if call is None else f'{call}: {name}'} {problem}")
    return typing.cast(str, value)


def _id_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return f"must be a string id, got {type(value).__name__}"
    stripped = value.strip()
    if not stripped:
        return "must be a non-empty id"
    if "/" in value or "?" in value or "#" in value:
        return f"must not contain '/', '?' or '#': {value[:40]!r}"
    if stripped in (".", ".."):
        return f"must not be {value!r}: it would change the path"
    return None


def check_optional_text(value: object, name: str) -> str | None:
    """Reject a text field that is neither a string nor None before any request is made."""
    if value is not None and not isinstance(value, str):
        raise TakeOneValueError(f"{name} must be a string or None, got {type(value).__name__}")
    return value


def check_options(call: str, options: Mapping[str, Any]) -> None:
    """Reject unknown or invalid per-call options (a misspelt field would land here silently)."""
    unknown = sorted(set(options) - CALL_OPTIONS)
    if unknown:
        raise TakeOneValueError(
            f"{call}: unknown argument(s) {', '.join(unknown)}; "
            f"the call options are {', '.join(sorted(CALL_OPTIONS))}"
        )
    for name, value in options.items():
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if name == "max_retries":
            ok, need = number and isinstance(value, int) and value >= 0, "an integer >= 0"
        elif name == "deadline":
            ok, need = value is None or (number and value > 0), "a number > 0 or None"
        else:
            ok, need = number and value > 0, "a number > 0"
        if not ok:
            raise TakeOneValueError(f"{call}: {name} must be {need}, got {value!r:.40}")


def check_text(value: object, name: str) -> str:
    """Reject an empty or non-string required text field before any request is made."""
    if not isinstance(value, str) or not value.strip():
        raise TakeOneValueError(f"{name} must be a non-empty string, got {value!r:.40}")
    return value


def build_url(base_url: str, path: str, params: Mapping[str, Any] | None = None) -> str:
    """Join the base URL, an API path and the query parameters that are not None."""
    url = base_url.rstrip("/") + path
    query = {k: v for k, v in (params or {}).items() if v is not None}
    return f"{url}?{urlencode(query)}" if query else url


def origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) with the default port filled in: what credentials are bound to.

    None for a URL that cannot be parsed (a port out of range): it matches no origin.
    """
    try:
        parts = urlsplit(url)
        explicit_port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    port = explicit_port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def base_url_problem(base_url: object) -> str | None:
    """Why ``base_url`` cannot be the API's base URL, or None: an http(s) URL with a host, and
    nothing the client's own authentication and query strings would clash with."""
    if not isinstance(base_url, str):
        return "must be an http(s) URL"
    found = origin(base_url)
    if found is None or found[0] not in ("http", "https") or not found[1]:
        return "must be an http(s) URL"
    parts = urlsplit(base_url)
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials (give client_id and client_secret)"
    if parts.query or parts.fragment:
        return "must not carry a query or a fragment"
    return None


def basic_auth(client_id: str, client_secret: str) -> str:
    """The ``Authorization`` header value for HTTP Basic."""
    token = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
    return f"Basic {token}"


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` in any case (a transport may give a plain dict)."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value


def request_id(headers: Mapping[str, str]) -> str | None:
    """The first request-id-like header the server sent, for support tickets (any case)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    for name in REQUEST_ID_HEADERS:
        value = lowered.get(name)
        if value:
            return value
    return None


def _summary(text: str, data: Any) -> str:
    """What the error body says, in one line: its detail, its field errors, or its visible text."""
    if isinstance(data, list) and data and all(isinstance(v, str) for v in data):
        return "; ".join(data)[:_MAX_SUMMARY]
    if isinstance(data, dict):
        for key in ("detail", "message", "error", "non_field_errors"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, list) and value:
                return "; ".join(str(v) for v in value)
        parts = []
        for key, value in data.items():
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value)
            parts.append(f"{key}: {value}")
        if parts:
            return "; ".join(parts)[:_MAX_SUMMARY]
    if data is None and text.lstrip().startswith("<"):
        text = html.unescape(_MARKUP.sub(" ", text))
    text = " ".join(text.split())
    return text[:_MAX_SUMMARY] or "(empty body)"


def parse_json(call: Call, status: int, body: bytes) -> Any:
    """Decode a 2xx JSON body; an empty (or blank) body is ``None``."""
    if not body:
        return None
    try:
        return loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        if not body.strip():
            return None
        problem = str(exc)
    except RecursionError:  # json.loads on nesting deeper than the interpreter's stack allows
        problem = "nested too deeply to decode"
    snippet = body[:80].decode("utf-8", "replace")
    raise InvalidResponseError(
        f"{call.name} -> {status}: the body is not valid JSON ({problem}); it starts {snippet!r}",
        method=call.method,
        url=call.url,
    )


def shape_error(call: Call, exc: StructureError) -> InvalidResponseError:
    """The error for a 2xx body that is not the documented shape, naming the call and field."""
    return InvalidResponseError(
        f"{call.name}: the response is not the documented shape: {exc}",
        method=call.method,
        url=call.url,
        path=exc.where,
    )


def _server(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, without credentials: which server answered."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def status_error(
    call: Call,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    retry_after: float | None = None,
) -> APIStatusError:
    """The typed error for a non-2xx answer, its message naming the call and what the body said."""
    text = body.decode("utf-8", "replace")
    try:
        data: Any = json.loads(text) if text.strip() else None
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the stack allows
        data = None
    where = ""
    if status == 404:  # which URL was not found
        where = f" at {call.url}"
    elif status == 401:  # which server refused the credentials (the sandbox, production?)
        where = f" by {_server(call.url)}"
    message = f"{call.name} -> {status}{where}: {_summary(text, data)}"
    cls = status_error_class(status)
    kwargs: dict[str, Any] = {
        "status": status,
        "method": call.method,
        "url": call.url,
        "body": text,
        "json": data,
        "request_id": request_id(headers),
        "headers": headers,
    }
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


# -- a call becomes a request ---------------------------------------------------------------


def default_headers(client_id: str, client_secret: str, user_agent: str) -> dict[str, str]:
    """The headers of every request: Basic credentials, the user agent, JSON wanted."""
    return {
        "Authorization": basic_auth(client_id, client_secret),
        "User-Agent": user_agent,
        "Accept": "application/json",
    }


def encode_body(call: Call) -> bytes | None:
    """The call's JSON body as bytes (None: no body); a value JSON cannot hold is named."""
    if call.json is None:
        return None
    try:
        return json.dumps(call.json, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        problem = str(exc)
    raise TakeOneValueError(f"{call.name}: the body cannot be sent as JSON ({problem})")


def build_request(
    call: Call,
    headers: Mapping[str, str],
    json_headers: Mapping[str, str],
    timeout: float,
    connect_timeout: float,
) -> Request:
    """The request for ``call``: ``json_headers`` (with ``Content-Type``) when it has a body."""
    body = encode_body(call)
    return Request(
        call.method,
        call.url,
        headers if body is None else json_headers,
        body,
        timeout,
        connect_timeout,
    )


def next_page_call(first: Call, current_url: str, link: str, base_url: str) -> Call:
    """The call that reads the page ``link`` points at (relative to ``current_url``), or
    :class:`PaginationError` if following it would send the credentials elsewhere: to another
    scheme, host or port than ``base_url``, or with other credentials in the link itself."""
    shown = redact_url(link, keep_query=True)
    try:
        url = urljoin(current_url, link)
        parts = urlsplit(url)
    except ValueError:  # such as a bracket left open
        raise PaginationError(
            f"{first.name}: the next page link {shown!r} is not a URL; refusing to follow it"
        ) from None
    if parts.username is not None or parts.password is not None:
        raise PaginationError(
            f"{first.name}: the next page link {shown!r} carries credentials of its own; "
            "refusing to follow it"
        )
    if origin(url) != origin(base_url):
        raise PaginationError(
            f"{first.name}: the next page link {shown!r} leaves the base URL's origin "
            f"({base_url}); refusing to send credentials there"
        )
    return Call("GET", first.route, url)


# -- a response becomes data, a model or a typed error --------------------------------------


def decode(call: Call, response: Response, into: type[T] | None = None) -> Any:
    """The data of a 2xx answer, structured into ``into`` when given."""
    data = parse_json(call, response.status, response.body)
    return data if into is None else structure(call, data, into)


def structure(call: Call, data: Any, into: type[T]) -> T:
    """``data`` structured into the model ``into``, or the error naming the call and field."""
    try:
        result: T = converter.structure(data, into)
    except StructureError as exc:
        raise shape_error(call, exc) from None
    return result


def decode_page(call: Call, data: Any, item_type: type[T]) -> Page[T]:
    """A list page's data structured into a :class:`Page` of ``item_type``."""
    page: Page[T] = structure(call, data, Page[item_type])  # type: ignore[valid-type]
    return page


class Failed(NamedTuple):
    """A failed attempt: the error to raise, classified for the retry rules."""

    error: APIStatusError | APIConnectionError
    failure: Failure
    status: int | None = None
    retry_after: float | None = None


def status_failure(call: Call, response: Response) -> Failed:
    """A non-2xx answer as its typed error, with the server's ``Retry-After`` hint."""
    retry_after = parse_retry_after(header(response.headers, "Retry-After"))
    error = status_error(call, response.status, response.headers, response.body, retry_after)
    return Failed(error, Failure.STATUS, response.status, retry_after)


def transport_failure(call: Call, exc: TransportError) -> Failed:
    """An attempt without an answer as :class:`APIConnectionError` (or its timeout subclass),
    its message naming the call; nothing of the transport's own exceptions is kept."""
    cls = APITimeoutError if exc.timed_out else APIConnectionError
    return Failed(cls(f"{call.name}: {exc}", method=call.method, url=call.url), exc.failure)


def deadline_error(
    name: str, deadline: float | None, attempts: int, method: str = "", url: str = ""
) -> APITimeoutError:
    """The error of an operation whose ``deadline`` passed before its next attempt."""
    return APITimeoutError(
        f"{name}: deadline of {deadline}s exceeded after {attempts} attempt(s)",
        method=method,
        url=url,
    )
