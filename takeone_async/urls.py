"""URL helpers shared by the client, the sandbox and the ``webhooks`` package.

:func:`redact_url` is the one rule for showing a URL in a log line, a record or an error
message; :func:`is_http_url` says whether a string can be a webhook or API address. Pure.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit, urlunsplit

__all__ = ["is_http_url", "redact_url"]


def redact_url(
    url: str, *, path_token: bool | None = False, keep_query: bool | Collection[str] = False
) -> str:
    """``url`` with the password and every query value hidden: what logs and messages may show.

    ``path_token=True`` hides the final path segment too (the last non-empty one), where a
    receiver authenticating with a path token (``webhooks.PathToken``) keeps its secret:
    ``http://127.0.0.1:8080/hooks/<secret>`` shows as ``http://127.0.0.1:8080/hooks/***``.
    ``path_token=None`` does so only for a URL with neither a query nor credentials, where a
    webhook secret can only be in the path (for a webhook URL whose receiver is unknown).
    ``keep_query=True`` shows the query as it is (for URLs whose query holds only options); a
    collection of names shows the values of those parameters only (known options), every other
    value hidden (a ``?password=`` that redis-py would read, say).
    A URL too broken to split shows only its scheme and host part, never what may be secret.
    """
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        before_query = url.partition("?")[0].partition("#")[0]
        scheme, sep, rest = before_query.rpartition("://")
        if path_token is None:
            path_token = not ("?" in url or "@" in rest)
        rest = rest.partition("/")[0] if path_token else rest
        return f"{scheme}{sep}{'***@' if '@' in rest else ''}{rest.rpartition('@')[2]}"
    userinfo, at, host = parts.netloc.rpartition("@")
    if at:  # a user name alone may be a token too: only ``user:***`` stays readable
        userinfo = f"{userinfo.partition(':')[0]}:***" if password is not None else "***"
    netloc = f"{userinfo}{at}{host}"
    shown = () if isinstance(keep_query, bool) else keep_query
    query = (
        parts.query
        if keep_query is True
        else "&".join(
            item
            if item.partition("=")[0] in shown
            else f"{item.partition('=')[0]}=***"
            if "=" in item
            else "***"
            for item in parts.query.split("&")
            if item
        )
    )
    if path_token is None:
        path_token = not (parts.query or at)
    path = _hide_final_segment(parts.path) if path_token else parts.path
    if (netloc, path, query) == (parts.netloc, parts.path, parts.query) and not parts.fragment:
        return url  # nothing hidden: as given (urlunsplit would rewrite sqlite:////abs paths)
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def _hide_final_segment(path: str) -> str:
    trimmed = path.rstrip("/")
    head, slash, segment = trimmed.rpartition("/")
    if not (slash and segment):  # no path segment at all ("not a url"): nothing to hide
        return path
    return f"{head}{slash}***{path[len(trimmed) :]}"


def is_http_url(url: object) -> bool:
    """Whether ``url`` is an absolute http(s) URL with a host (and a port other than 0)."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number or out of range
        return False
