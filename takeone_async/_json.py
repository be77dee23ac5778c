"""``loads``: JSON bytes to data, with orjson (``takeone-async[speedups]``) when it is installed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_orjson_loads: Callable[[bytes | str], Any] | None
try:  # the optional ``speedups`` extra
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - orjson is in the dev extra
    _orjson_loads = None

__all__ = ["loads"]


def loads(body: bytes | str) -> Any:
    """Decode a JSON body: with orjson when it is installed, else with ``json.loads``.

    orjson reads a 124 KB page in half the time of ``json.loads``. Whatever orjson refuses
    (``NaN``, a byte order mark, lone surrogates, UTF-16, nesting past 1024 levels) goes to
    ``json.loads``, so the values and errors are the standard library's; the one difference is an
    integer beyond 64 bits, which orjson reads as a float (TakeOne sends none).
    """
    if _orjson_loads is not None:
        try:
            return _orjson_loads(body)
        except ValueError:
            pass
    return json.loads(body)
