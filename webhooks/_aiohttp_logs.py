"""Keeps each app's webhook secrets out of aiohttp's logs, for as long as the app runs.

aiohttp's access log prints every request line, and when its HTTP parser refuses a malformed
request, the error it logs quotes the raw request line or header: either may hold a token. The
first webhook route of an app gives the app a :class:`logging.Filter` (under a ``web.AppKey``)
holding its routes' rules; the app's start-up puts it on aiohttp's loggers and its cleanup takes
it off. While several apps run in one process, each app's rules apply to every record of those
loggers: a record cannot tell reliably which app's server wrote it, and masking another app's
query value costs nothing, while missing one's own secret would leak it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.http import HttpProcessingError
from aiohttp.http_exceptions import ContentEncodingError
from aiohttp.log import access_logger, server_logger, web_logger

from ._redact import LogRedactor
from .auth import Authenticator, PathToken, QueryToken, iter_authenticators

__all__ = ["protect_access_log", "redaction"]

_LOGGERS = [access_logger, server_logger, web_logger]
"""The loggers redacted: aiohttp's access log and the error paths of a malformed request, and
any logger given to :func:`protect_access_log`."""


class _Redaction(logging.Filter):
    """One app's webhook secrets, masked in the records aiohttp logs for that app's server."""

    def __init__(self, app: web.Application) -> None:
        super().__init__()
        self.app = app
        self.rules = LogRedactor(withhold=(HttpProcessingError,))

    def protect(self, path: str, auth: Authenticator | None) -> None:
        checks = list(iter_authenticators(auth)) if auth is not None else []
        path_tokens = [check for check in checks if isinstance(check, PathToken)]
        self.rules.protect(
            path,
            query_params=[check.name for check in checks if isinstance(check, QueryToken)],
            secret_segment=(
                (lambda segment: any(token.matches(segment) for token in path_tokens))
                if path_tokens
                else None
            ),
        )

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "Unhandled exception" and _broken_body(record):
            _as_one_warning(record)
        self.rules.redact(record)
        return True


def _broken_body(record: logging.LogRecord) -> bool:
    """Whether ``record`` is aiohttp failing to drain a body whose ``Content-Encoding`` does not
    decode, after the route answered it (aiohttp logs it as "Unhandled exception"): the
    sender's fault, not the server's. A route's own errors are logged otherwise and stay ERROR."""
    exc = record.exc_info[1] if record.exc_info else None
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, ContentEncodingError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _as_one_warning(record: logging.LogRecord) -> None:
    """The record as one WARNING line without a traceback (aiohttp logs it as an ERROR)."""
    record.levelno, record.levelname = logging.WARNING, "WARNING"
    record.msg = "a request body did not decode (corrupt Content-Encoding); connection closed"
    record.args, record.exc_info, record.exc_text = (), None, None


_REDACTION = web.AppKey("webhooks_log_redaction", _Redaction)


def redaction(app: web.Application) -> _Redaction:
    """The app's redaction, made with its first webhook route and active while it runs."""
    if _REDACTION not in app:
        app[_REDACTION] = _Redaction(app)
        app.cleanup_ctx.append(_redact_while_running)
    return app[_REDACTION]


async def _redact_while_running(app: web.Application) -> AsyncIterator[None]:
    own = app[_REDACTION]
    for log in _LOGGERS:
        log.addFilter(own)
    yield
    for log in _LOGGERS:
        log.removeFilter(own)


def protect_access_log(access_log: logging.Logger) -> None:
    """Redact webhook secrets in ``access_log`` too, for a runner given its own ``access_log=``
    logger (aiohttp's own loggers are covered by ``add_webhook_route``). Call it before the
    apps start: from then on, every app with webhook routes filters it while it runs."""
    if access_log not in _LOGGERS:
        _LOGGERS.append(access_log)
