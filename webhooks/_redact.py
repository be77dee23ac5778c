"""Keeps webhook URL secrets out of log records. Pure: stdlib only, no aiohttp.

aiohttp's access log writes every request line, path and query included, so a token in the
webhook URL would land in the log; and when its HTTP parser refuses a malformed request, the
exception it logs quotes the raw request line or header. :meth:`LogRedactor.redact` rewrites a
record of either kind before any handler sees it:

- a request line (the message, and the ``first_request_line`` field structured formatters
  print): on a protected route, everything after the route's static prefix and every query value
  become ``***``; on any other path, the protected query parameters and any path segment that is
  a path token are masked (a mistyped URL carries the secret too);
- an exception of a ``withhold`` type (the parser's), anywhere in the record's exception chain:
  the record keeps its type and drops its message and traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from urllib.parse import unquote, unquote_plus

__all__ = ["MASK", "LogRedactor"]

MASK = "***"


class LogRedactor:
    """Redacts log records; routes are added with :meth:`protect`."""

    def __init__(self, *, withhold: tuple[type[BaseException], ...] = ()) -> None:
        self._withhold = withhold
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
        on_route = any(path.endswith(exact) for exact in self._exact)
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

    def redact(self, record: logging.LogRecord) -> None:
        """Rewrite ``record`` in place: its request line, and a withheld exception."""
        line = getattr(record, "first_request_line", None)
        if isinstance(line, str):
            safe = self.redact_line(line)
            if safe != line:
                record.first_request_line = safe
                if isinstance(record.msg, str):
                    record.msg = record.msg.replace(line, safe)
        withheld = self._withheld(record.exc_info[1] if record.exc_info else None)
        if withheld is not None:
            name = f"{type(withheld).__module__}.{type(withheld).__qualname__}"
            record.exc_info = None
            record.exc_text = f"{name} (details withheld: a malformed request may hold a secret)"

    def _withheld(self, exc: BaseException | None) -> BaseException | None:
        """The first exception of a withheld type in ``exc``'s chain, if any."""
        seen: set[int] = set()
        while exc is not None and id(exc) not in seen:
            if isinstance(exc, self._withhold):
                return exc
            seen.add(id(exc))
            exc = exc.__cause__ or exc.__context__
        return None
