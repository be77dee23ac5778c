"""Delivery bodies as JSON: one decode, the same in every process.

The decode is orjson's ``loads`` when ``takeone-async[speedups]`` is installed, else the standard
library's ``json.loads``, each with its own limits: nesting (orjson stops at 1024 levels,
``json.loads`` at the interpreter's recursion limit) and integers (``json.loads`` refuses more
than 4300 digits, orjson reads one beyond 64 bits as a float). Both refuse invalid UTF-8, NaN,
Infinity, numbers too large for a float and unpaired surrogate escapes; of duplicate keys the
last one wins. Every step takes time linear in the body's size.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from .errors import WebhookPayloadError

_orjson: Callable[[bytes], Any] | None
try:
    from orjson import JSONDecodeError as _OrjsonDecodeError
    from orjson import loads as _orjson
except ImportError:  # pragma: no cover - orjson is in the dev extra
    _orjson = None

__all__ = ["UNPAIRED", "loads", "orjson_loads", "stdlib_loads"]

UNPAIRED = "invalid JSON: a string holds an unpaired surrogate escape (\\ud800-\\udfff)"


def _refuse(message: str) -> NoReturn:
    raise WebhookPayloadError(message)


def _not_a_number(name: str) -> NoReturn:
    _refuse(f"invalid JSON: {name} is not a JSON number")


def _finite(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        _refuse(f"invalid JSON: {literal[:20]} is too large for a number")
    return value


def stdlib_loads(body: bytes) -> Any:
    """``json.loads`` of a UTF-8 body; every error a WebhookPayloadError."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        _refuse(f"the body is not valid UTF-8 (byte {exc.start})")
    try:
        data = json.loads(text, parse_constant=_not_a_number, parse_float=_finite)
    except WebhookPayloadError:
        raise
    except json.JSONDecodeError as exc:
        _refuse(f"invalid JSON: {exc}")
    except ValueError:  # the interpreter's limit on integer digits
        _refuse(f"invalid JSON: a number of more than {sys.get_int_max_str_digits()} digits")
    except RecursionError:
        _refuse("invalid JSON: nested too deeply")
    if b"\\ud" in body or b"\\uD" in body:  # where a surrogate escape can hide
        _refuse_unpaired_surrogates(data)
    return data


def _refuse_unpaired_surrogates(data: Any) -> None:
    """orjson refuses ``"\\ud800"``; ``json.loads`` makes it a str that UTF-8 cannot encode, which
    no inbox could store and no delivery key could hash, so it is refused here too."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                _refuse(UNPAIRED)


def orjson_loads(body: bytes) -> Any:
    """orjson's ``loads``; every error a WebhookPayloadError."""
    assert _orjson is not None
    try:
        return _orjson(body)
    except _OrjsonDecodeError as exc:
        _refuse(f"invalid JSON: {exc}")


loads: Callable[[bytes], Any] = orjson_loads if _orjson is not None else stdlib_loads
"""The decode ``parse_event`` uses: orjson's when installed."""
