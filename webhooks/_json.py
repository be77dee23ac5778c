"""Hardened JSON decoding for untrusted delivery bodies, and the canonical form behind
``delivery_key``.

``json.loads`` alone accepts ``NaN``/``Infinity``, silently keeps the last of duplicate keys,
spends quadratic time on huge integers, raises ``RecursionError`` on deep nesting and lets
unpaired surrogate escapes through; here each of those is a :class:`WebhookPayloadError`, and so
is everything else that is not plain JSON. With orjson installed (``takeone-async[speedups]``)
a body orjson accepts is checked by a few byte scans instead of Python hooks; anything those
scans cannot vouch for goes through the standard-library path, which alone words the errors, so
results and messages are the same with or without orjson.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from itertools import accumulate
from typing import Any, NoReturn

from .errors import WebhookPayloadError

_orjson_loads: Callable[[bytes], Any] | None
try:
    from orjson import OPT_SORT_KEYS as _SORT_KEYS
    from orjson import JSONDecodeError as _OrjsonDecodeError
    from orjson import dumps as _orjson_dumps
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - orjson is in the dev extra
    _orjson_loads = None

__all__ = [
    "MAX_DEPTH",
    "MAX_NUMBER_LENGTH",
    "canonical_json",
    "decode_object",
    "delivery_key",
    "json_kind",
]

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted (a TakeOne event nests 5 deep)."""

MAX_NUMBER_LENGTH = 64
"""Longest number literal accepted, in characters."""

_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONG_DIGITS = b"0" * 19
"""orjson reads an integer of 19 digits or more as a float when it exceeds 64 bits."""
_DIGITS_ONLY = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_PLAIN = frozenset({str, int, bool, type(None)})
_NOT_OPENER = bytes(byte for byte in range(256) if byte not in b"[{")


def _reject(message: str) -> NoReturn:
    raise WebhookPayloadError(message)


def _constant(name: str) -> NoReturn:
    _reject(f"invalid JSON: {name} is not a JSON number")


def _parse_int(literal: str) -> int:
    if len(literal) > MAX_NUMBER_LENGTH:
        _reject(f"invalid JSON: a number of {len(literal)} digits (at most {MAX_NUMBER_LENGTH})")
    return int(literal)


def _parse_float(literal: str) -> float:
    if len(literal) > MAX_NUMBER_LENGTH:
        _reject(f"invalid JSON: a number of {len(literal)} digits (at most {MAX_NUMBER_LENGTH})")
    value = float(literal)
    if not math.isfinite(value):
        _reject(f"invalid JSON: {literal[:20]} is too large for a number")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        duplicate = next(key for key, count in counts.items() if count > 1)
        _reject(f"invalid JSON: duplicate key {duplicate[:64]!r} in an object")
    return result


def _depth(text: str) -> int:
    """The deepest bracket nesting outside strings, computed without recursion."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text)).encode("ascii")
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _may_nest_too_deep(body: bytes) -> bool:
    """False when ``body`` has too few brackets to nest deeper than MAX_DEPTH: one cheap scan
    that spares the exact (slower) measurement for every TakeOne event."""
    return len(body.translate(None, _NOT_OPENER)) > MAX_DEPTH


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object,
    parse_int=_parse_int,
    parse_float=_parse_float,
    parse_constant=_constant,
)


def decode_object(body: bytes) -> dict[str, Any]:
    """Decode ``body`` as one UTF-8 JSON object; anything else raises WebhookPayloadError."""
    data = _decode_fast(body) if _orjson_loads is not None else None
    if data is None:
        data = _decode_strict(body)
    if not isinstance(data, dict):
        _reject(f"the body must be a JSON object, got {json_kind(data)}")
    return data


def _decode_fast(body: bytes) -> Any:
    """orjson's reading of ``body`` when byte scans prove the strict path would read the same,
    else None (the strict path then decides, and words any error).

    orjson rejects NaN, infinities, invalid UTF-8, unpaired surrogates and nesting beyond 1024;
    what it lets through is checked here: nesting beyond MAX_DEPTH, duplicate keys (it keeps the
    last), and number literals it would round (integers beyond 64 bits, literals of more than
    MAX_NUMBER_LENGTH characters).
    """
    assert _orjson_loads is not None
    try:
        data = _orjson_loads(body)
    except _OrjsonDecodeError:
        return None
    if _may_nest_too_deep(body):
        return None
    again = _orjson_dumps(data)
    if again == body:
        return data  # compact as orjson writes it: nothing was dropped or rounded
    if b"\\" in body and b"\\u003" in body:
        return None  # an escaped ':' would upset the count below
    if body.count(b":") != again.count(b":"):
        return None  # a duplicate key dropped a member (and its ':')
    if _LONG_DIGITS in body.translate(_DIGITS_ONLY):
        return None
    return data


def _decode_strict(body: bytes) -> Any:
    """The standard library's reading of ``body``, every hazard a WebhookPayloadError."""
    if not body.strip():
        _reject("the body is empty")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        _reject(f"the body is not valid UTF-8 (byte {exc.start})")
    if _may_nest_too_deep(body) and _depth(text) > MAX_DEPTH:
        _reject(f"invalid JSON: nested deeper than {MAX_DEPTH} levels")
    try:
        data = _DECODER.decode(text)
    except WebhookPayloadError:
        raise
    except json.JSONDecodeError as exc:
        _reject(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except RecursionError:  # pragma: no cover - the depth check above rules it out
        _reject(f"invalid JSON: nested deeper than {MAX_DEPTH} levels")
    if b"\\" in body and _SURROGATE_ESCAPE.search(body):
        _canonical_stdlib(data)  # rejects an unpaired one
    return data


def canonical_json(payload: Any) -> bytes:
    """Keys sorted, no spaces, UTF-8: equal JSON values give equal bytes."""
    if _orjson_loads is not None and _plain(payload):
        try:
            return _orjson_dumps(payload, option=_SORT_KEYS)
        except TypeError:  # an integer beyond 64 bits, an unpaired surrogate
            pass
    return _canonical_stdlib(payload)


def _plain(payload: Any) -> bool:
    """Whether ``payload`` is a dict or list of only dicts, lists, strings, integers, booleans
    and None: the values whose orjson form is byte for byte the standard library's (floats
    are not: ``1e-05`` against ``0.00001``)."""
    if type(payload) is not dict and type(payload) is not list:
        return False
    stack = [payload]
    while stack:
        container = stack.pop()
        for item in container.values() if type(container) is dict else container:
            kind = type(item)
            if kind is dict or kind is list:
                stack.append(item)
            elif kind not in _PLAIN:
                return False
    return True


def _canonical_stdlib(payload: Any) -> bytes:
    try:
        return json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode("utf-8")
    except UnicodeEncodeError:
        _reject("invalid JSON: a string holds an unpaired surrogate escape (\\ud800-\\udfff)")


def delivery_key(payload: Any) -> str:
    """Hex SHA-256 of the payload's canonical JSON: the same event re-serialised gives the
    same key, so it serves as an idempotency key (TakeOne sends no delivery id)."""
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def json_kind(value: Any) -> str:
    """How JSON would name ``value``'s type, for error messages."""
    return _KINDS.get(type(value), "a number")


_KINDS = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    type(None): "null",
}
