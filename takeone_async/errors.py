"""Every error the SDK raises, rooted in :class:`TakeOneError`.

::

    TakeOneError
    ├── TakeOneValueError (also ValueError)   bad arguments, raised before any request
    ├── APIStatusError                        the API answered a non-2xx status
    │   ├── BadRequestError        400
    │   ├── AuthenticationError    401
    │   ├── PermissionDeniedError  403
    │   ├── NotFoundError          404
    │   ├── ConflictError          409
    │   ├── RateLimitError         429
    │   └── ServerError            5xx
    ├── APIConnectionError                    the request did not get an answer (or could not be sent)
    │   └── APITimeoutError (also TimeoutError)
    ├── InvalidResponseError                  a 2xx whose body is not JSON or not the documented shape
    ├── PaginationError                       a ``next`` link that loops, leaves the base URL's origin
    │                                         or carries credentials of its own
    ├── StructureError (also ValueError)      data that does not fit a model (``takeone_async.converter``)
    └── WaitTimeoutError (also TimeoutError)  a polling helper gave up

:func:`status_error_class` maps an HTTP status to its :class:`APIStatusError` subclass. No error
chains an exception of the transport's (aiohttp's may hold the request headers), and none shows
a credential in its message, ``repr`` or arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InvalidResponseError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "TakeOneError",
    "TakeOneValueError",
    "WaitTimeoutError",
    "status_error_class",
]


class TakeOneError(Exception):
    """Base class of every error raised by ``takeone_async``."""


class TakeOneValueError(TakeOneError, ValueError):
    """An argument was rejected before any request was sent."""


class APIStatusError(TakeOneError):
    """The API answered with a non-2xx status; carries what it said."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        method: str,
        url: str,
        body: str,
        json: Any = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.url = url
        self.body = body
        self.json = json
        self.request_id = request_id
        self.headers: Mapping[str, str] = dict(headers or {})


class BadRequestError(APIStatusError):
    """400: the body was invalid or the resource is in the wrong state."""


class AuthenticationError(APIStatusError):
    """401: the client id or secret was rejected."""


class PermissionDeniedError(APIStatusError):
    """403: the credentials may not do this."""


class NotFoundError(APIStatusError):
    """404: no resource has that id."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the resource's current state."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` holds the server's hint in seconds, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """5xx: the API failed."""


class APIConnectionError(TakeOneError):
    """The request got no HTTP answer (DNS, refused, reset, dropped connection), or could not be
    sent as it was (a URL or header aiohttp refuses, a closed session of the caller's)."""

    def __init__(self, message: str, *, method: str, url: str) -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class APITimeoutError(APIConnectionError, TimeoutError):
    """An attempt, or the whole call's ``deadline``, ran out of time."""


class InvalidResponseError(TakeOneError):
    """A 2xx answer whose body is not JSON, or not the documented shape."""

    def __init__(self, message: str, *, method: str = "", url: str = "", path: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.path = path


class PaginationError(TakeOneError):
    """A ``next`` link repeated a page, pointed away from the base URL's origin, carried
    credentials of its own or was not a URL."""


class WaitTimeoutError(TakeOneError, TimeoutError):
    """A polling helper such as ``script_generations.wait`` ran out of time."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The most specific :class:`APIStatusError` subclass for an HTTP status."""
    if status >= 500:
        return ServerError
    return _STATUS_CLASSES.get(status, APIStatusError)
