"""Keeps webhook URL secrets out of access logs. Pure: stdlib only, no aiohttp.

aiohttp's access log writes every request line, path and query included, so a token in the
webhook URL would land in the log. :class:`AccessLogRedactor` is a ``logging.Filter`` for the
access logger: it rewrites the request line of each record (the message and the
``first_request_line`` attribute that structured formatters print) before any handler sees it.
On a protected route it replaces everything after the route's static prefix and every query
value with ``***``; on any other path it still masks the protected query parameters and any path
segment that is a protected path token (a mistyped URL carries the secret too).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from urllib.parse import unquote, unquote_plus

__all__ = ["MASK", "AccessLogRedactor"]

MASK = "***"


class AccessLogRedactor(logging.Filter):
    """Rewrites request lines in access-log records; routes are added with :meth:`protect`."""

    def __init__(self) -> None:
        super().__init__()
        self._exact: set[str] = set()
        self._prefixes: set[str] = set()
        self._params: set[str] = set()
        self._segment_checks: list[Callable[[str], bool]] = []

    def protect(
        self,
        route_path: str,
        *,
        query_params: Iterable[str] = (),
        secret_segment: Callable[[str], bool] | None = None,
    ) -> None:
        """Redact requests to ``route_path`` (an aiohttp path, variables in braces), the
        ``query_params`` everywhere, and path segments for which ``secret_segment`` is true."""
        static, brace, _ = route_path.partition("{")
        if brace:
            self._prefixes.add(static)
        else:
            self._exact.add(route_path)
        self._params.update(query_params)
        if secret_segment is not None:
            self._segment_checks.append(secret_segment)

    def redact_target(self, target: str) -> str:
        """``path?query`` with its secrets masked."""
        raw_path, question, query = target.partition("?")
        path = unquote(raw_path)
        on_route = False
        for exact in self._exact:
            if path.endswith(exact):
                on_route = True
                break
        for prefix in self._prefixes:
            at = path.find(prefix)
            if at >= 0:
                path, on_route = path[: at + len(prefix)] + MASK, True
                break
        else:
            if self._segment_checks:
                path = "/".join(
                    MASK if self._secret_segment(part) else part for part in path.split("/")
                )
        if question and (on_route or self._params):
            query = "&".join(self._redact_pair(pair, on_route) for pair in query.split("&"))
        return path + question + query

    def _secret_segment(self, part: str) -> bool:
        return any(check(part) for check in self._segment_checks)

    def _redact_pair(self, pair: str, on_route: bool) -> str:
        name, equals, value = pair.partition("=")
        if on_route:
            return f"{name}={MASK}" if equals else MASK
        return f"{name}={MASK}" if value and unquote_plus(name) in self._params else pair

    def redact_line(self, line: str) -> str:
        """A request line (``POST /path?query HTTP/1.1``) with its secrets masked."""
        method, space, rest = line.partition(" ")
        target, space2, version = rest.rpartition(" ")
        if not (space and space2):
            return f"{method} {MASK}" if space else line
        return f"{method} {self.redact_target(target)} {version}"

    def filter(self, record: logging.LogRecord) -> bool:
        line = getattr(record, "first_request_line", None)
        if isinstance(line, str):
            safe = self.redact_line(line)
            if safe != line:
                record.first_request_line = safe
                if isinstance(record.msg, str):
                    record.msg = record.msg.replace(line, safe)
        return True
