"""Hardened JSON decoding for untrusted delivery bodies, and the canonical form behind
``delivery_key``.

``json.loads`` alone accepts ``NaN``/``Infinity``, silently keeps the last of duplicate keys,
spends quadratic time on huge integers and raises ``RecursionError`` on deep nesting; here each
of those is a :class:`WebhookPayloadError`, and so is everything else that is not plain JSON.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from itertools import accumulate
from typing import Any, NoReturn

from .errors import WebhookPayloadError

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


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object,
    parse_int=_parse_int,
    parse_float=_parse_float,
    parse_constant=_constant,
)


def decode_object(body: bytes) -> dict[str, Any]:
    """Decode ``body`` as one UTF-8 JSON object; anything else raises WebhookPayloadError."""
    if not body.strip():
        _reject("the body is empty")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        _reject(f"the body is not valid UTF-8 (byte {exc.start})")
    if _depth(text) > MAX_DEPTH:
        _reject(f"invalid JSON: nested deeper than {MAX_DEPTH} levels")
    try:
        data = _DECODER.decode(text)
    except WebhookPayloadError:
        raise
    except json.JSONDecodeError as exc:
        _reject(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except RecursionError:  # pragma: no cover - the depth check above rules it out
        _reject(f"invalid JSON: nested deeper than {MAX_DEPTH} levels")
    if not isinstance(data, dict):
        _reject(f"the body must be a JSON object, got {json_kind(data)}")
    return data


def canonical_json(payload: Any) -> bytes:
    """Keys sorted, no spaces, UTF-8: equal JSON values give equal bytes."""
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
