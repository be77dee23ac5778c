"""Pure HTTP helpers: URLs, headers, and turning an answer into data or a typed error."""

from __future__ import annotations

import base64
import html
import json
import re
import string
import typing
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit, urlunsplit

import attrs

from ._json import loads
from ._version import __version__
from .converter import StructureError
from .errors import (
    APIStatusError,
    InvalidResponseError,
    RateLimitError,
    TakeOneValueError,
    status_error_class,
)

USER_AGENT = f"takeone-async/{__version__}"
REQUEST_ID_HEADERS = ("x-request-id", "x-amzn-requestid", "x-amz-cf-id", "cf-ray")
_MAX_SUMMARY = 300
_MARKUP = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.DOTALL | re.IGNORECASE)
CALL_OPTIONS = frozenset({"timeout", "connect_timeout", "deadline", "max_retries"})


class RequestSpec(NamedTuple):
    """What to send: ``route`` names the call in messages (``POST /api/v1/projects/{id}/publish``).

    A named tuple: immutable, and built once per request at a fraction of a frozen class's cost.
    """

    method: str
    route: str
    url: str
    json: Any = None

    @property
    def name(self) -> str:
        return f"{self.method} {self.route}"


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


def redact_url(url: str, *, path_token: bool = False, keep_query: bool = False) -> str:
    """``url`` with the password and every query value hidden: what logs and messages may show.

    ``path_token=True`` hides the final path segment too (the last non-empty one), where a
    receiver authenticating with a path token (``webhooks.PathToken``) keeps its secret:
    ``http://127.0.0.1:8080/hooks/<secret>`` shows as ``http://127.0.0.1:8080/hooks/***``.
    ``keep_query=True`` shows the query as it is (for URLs whose query holds only options).
    A URL too broken to split shows only its scheme and host part, never what may be secret.
    """
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        before_query = url.partition("?")[0].partition("#")[0]
        scheme, sep, rest = before_query.rpartition("://")
        rest = rest.partition("/")[0] if path_token else rest
        return f"{scheme}{sep}{'***@' if '@' in rest else ''}{rest.rpartition('@')[2]}"
    userinfo, at, host = parts.netloc.rpartition("@")
    if at:  # a user name alone may be a token too: only ``user:***`` stays readable
        userinfo = f"{userinfo.partition(':')[0]}:***" if password is not None else "***"
    netloc = f"{userinfo}{at}{host}"
    query = (
        parts.query
        if keep_query
        else "&".join(
            f"{item.partition('=')[0]}=***" if "=" in item else "***"
            for item in parts.query.split("&")
            if item
        )
    )
    path = _hide_final_segment(parts.path) if path_token else parts.path
    if (netloc, path, query) == (parts.netloc, parts.path, parts.query) and not parts.fragment:
        return url  # nothing hidden: as given (urlunsplit would rewrite sqlite:////abs paths)
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def _hide_final_segment(path: str) -> str:
    trimmed = path.rstrip("/")
    head, slash, segment = trimmed.rpartition("/")
    if not segment:
        return path
    return f"{head}{slash}***{path[len(trimmed) :]}"


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


def parse_json(spec: RequestSpec, status: int, body: bytes) -> Any:
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
        f"{spec.name} -> {status}: the body is not valid JSON ({problem}); it starts {snippet!r}",
        method=spec.method,
        url=spec.url,
    )


def shape_error(spec: RequestSpec, exc: StructureError) -> InvalidResponseError:
    """The error for a 2xx body that is not the documented shape, naming the call and field."""
    return InvalidResponseError(
        f"{spec.name}: the response is not the documented shape: {exc}",
        method=spec.method,
        url=spec.url,
        path=exc.where,
    )


def status_error(
    spec: RequestSpec,
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
    message = f"{spec.name} -> {status}: {_summary(text, data)}"
    cls = status_error_class(status)
    kwargs: dict[str, Any] = {
        "status": status,
        "method": spec.method,
        "url": spec.url,
        "body": text,
        "json": data,
        "request_id": request_id(headers),
        "headers": headers,
    }
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)
