"""JSON for delivery bodies: the two decoders (orjson's and the standard library's) refuse the
same hazards, read the same values, and take time linear in the body; delivery_key keeps its
values."""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import load_sample
from tests.webhooks.conftest import SAMPLE
from webhooks import WebhookPayloadError, delivery_key, parse_event
from webhooks._json import orjson_loads, stdlib_loads

Decode = Callable[[bytes], Any]
DECODERS = pytest.mark.parametrize("decode", [orjson_loads, stdlib_loads], ids=["orjson", "stdlib"])
MiB = 1024 * 1024


@DECODERS
def test_decodes_json(decode: Decode) -> None:
    assert decode(b' {"a": [1, 2.5, "x", null, true, -0, 1E2]} ') == {
        "a": [1, 2.5, "x", None, True, 0, 100.0]
    }


@DECODERS
def test_of_duplicate_keys_the_last_one_wins(decode: Decode) -> None:
    assert decode(b'{"a": 1, "b": 2, "a": 3}') == {"a": 3, "b": 2}


@DECODERS
@pytest.mark.parametrize(
    "body",
    [
        b'{"a": "\xff"}',
        b"\xed\xa0\x80",  # a UTF-8-encoded surrogate
        b"\xef\xbb\xbf{}",  # a byte order mark
        b"{",
        b"{} {}",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b'{"a": 1e999}',
        b'{"a": -1e999}',
        b'{"s": "\\ud800"}',
        b'{"s": "x\\uDC00y"}',
        b'{"s": "\\ud83d\\u0041"}',
        b'{"n": ' + b"1" * 5000 + b"}",
        b"[" * 100_000,
        b'{"a": {"b": ' * 1100,
    ],
)
def test_refuses_every_hazard(decode: Decode, body: bytes) -> None:
    with pytest.raises(WebhookPayloadError, match=r"^(invalid JSON: |the body is not valid UTF-8)"):
        decode(body)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a": "\xff"}', "the body is not valid UTF-8 (byte 7)"),
        (b"{", "invalid JSON: Expecting property name enclosed in double quotes: line 1"),
        (b'{"a": -Infinity}', "invalid JSON: -Infinity is not a JSON number"),
        (b'{"a": 1e999}', "invalid JSON: 1e999 is too large for a number"),
        (b'{"s": "\\ud800"}', "invalid JSON: a string holds an unpaired surrogate escape"),
        (b'{"n": ' + b"1" * 5000 + b"}", "invalid JSON: a number of more than 4300 digits"),
        (b"[" * 100_000, "invalid JSON: nested too deeply"),
    ],
)
def test_the_standard_library_path_words_its_errors(body: bytes, message: str) -> None:
    with pytest.raises(WebhookPayloadError) as info:
        stdlib_loads(body)
    assert str(info.value).startswith(message)


@DECODERS
def test_nesting_is_bounded_by_the_decoder_alone(decode: Decode) -> None:
    assert decode(b"[" * 200 + b"]" * 200) == json.loads(b"[" * 200 + b"]" * 200)


def test_paired_surrogate_escapes_decode_to_one_character() -> None:
    body = b'{"s": "\\ud83d\\ude00", "t": "\\u00e9"}'
    assert stdlib_loads(body) == orjson_loads(body) == {"s": "\U0001f600", "t": "\xe9"}


def test_orjson_reads_an_integer_beyond_64_bits_as_a_float() -> None:
    body = b'{"n": %d}' % (2**70 + 1)
    assert stdlib_loads(body) == {"n": 2**70 + 1}
    assert orjson_loads(body) == {"n": float(2**70)}


# ---- the two decoders agree ------------------------------------------------------------------

_FUZZ = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def _outcome(decode: Decode, body: bytes) -> str:
    try:
        return "value " + repr(decode(body))
    except WebhookPayloadError:
        return "refused"


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=25,
)


@_FUZZ
@given(_values, st.booleans())
def test_both_decoders_read_the_same_values(value: Any, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    assert _outcome(orjson_loads, body) == _outcome(stdlib_loads, body)


@_FUZZ
@given(st.text(alphabet='{}[]":,0123456789.eE+-\\ untrflsaNIyud8D', max_size=200))
def test_both_decoders_accept_and_refuse_the_same_text(text: str) -> None:
    body = text.encode()
    assert (_outcome(orjson_loads, body) == "refused") == (
        _outcome(stdlib_loads, body) == "refused"
    )


@_FUZZ
@given(st.binary(max_size=200))
def test_both_decoders_accept_and_refuse_the_same_bytes(body: bytes) -> None:
    assert (_outcome(orjson_loads, body) == "refused") == (
        _outcome(stdlib_loads, body) == "refused"
    )


# ---- linear time: hostile bodies up to the 1 MiB limit ---------------------------------------

HOSTILE = {
    # once quadratic: an unterminated string of escaped quotes behind more than 64 brackets
    "open string of escaped quotes": b'{"x":' + b"[" * 100 + b'"' + b'\\"' * ((MiB - 110) // 2),
    "500k nested brackets": b"[" * 500_000 + b"]" * 500_000,
    "200k nested objects": b'{"a":' * 200_000,
    "1 MiB string of escapes": b'{"s":"' + b"\\n" * ((MiB - 8) // 2) + b'"}',
    "1 MiB string of unicode escapes": b'{"s":"' + b"\\u00e9" * ((MiB - 8) // 6) + b'"}',
    "1 MiB string of surrogate pairs": b'{"s":"' + b"\\ud83d\\ude00" * ((MiB - 8) // 12) + b'"}',
    "1 MiB string of unpaired surrogates": b'{"s":"' + b"\\ud800" * ((MiB - 8) // 6) + b'"}',
    "100k-digit integer": b'{"n":' + b"7" * 100_000 + b"}",
    "100k-digit fraction": b'{"n":0.' + b"7" * 100_000 + b"}",
    "100k-digit exponent": b'{"n":1e' + b"7" * 100_000 + b"}",
    "1 MiB of 4300-digit integers": b'{"n":[' + b",".join([b"9" * 4300] * 240) + b"]}",
    "100k keys": b"{" + b",".join(b'"%x":0' % i for i in range(100_000)) + b"}",
    "150k duplicate keys": b"{" + b",".join([b'"a":0'] * 150_000) + b"}",
    "130k large floats": b'{"f":[' + b",".join([b"1.5e300"] * 130_000) + b"]}",
}
BOUND = 2.0
"""Seconds of CPU for one body: linear code takes milliseconds, quadratic code minutes."""


def _parse(body: bytes) -> Any:
    return parse_event(body).payload


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("decode", [orjson_loads, stdlib_loads, _parse])
def test_a_hostile_body_is_parsed_or_refused_in_linear_time(decode: Decode, body: bytes) -> None:
    assert len(body) <= MiB
    started = time.process_time()
    with contextlib.suppress(WebhookPayloadError):
        delivery_key(decode(body))
    assert time.process_time() - started < BOUND


# ---- delivery_key -----------------------------------------------------------------------------


def test_delivery_key_is_the_sha256_of_the_canonical_json() -> None:
    a = stdlib_loads(b'{"b": 1, "a": {"y": "\xc3\xa9", "x": [1, 2.5e-05]}}')
    b = orjson_loads(b'{"a":{"x":[1,0.000025],"y":"\\u00e9"},"b":1}')
    canonical = '{"a":{"x":[1,2.5e-05],"y":"é"},"b":1}'.encode()
    assert delivery_key(a) == delivery_key(b) == hashlib.sha256(canonical).hexdigest()
    assert delivery_key({"a": 1}) != delivery_key({"a": 2})


def test_delivery_key_values_stay_as_inboxes_stored_them() -> None:
    """Keys computed by earlier versions (stored in inboxes) for the same payloads."""
    assert delivery_key({"type": "ping", "n": [1, None, True], "s": "é", "f": 0.5}) == (
        "dc2d62c33f589123916a2d76bf0f296633387c3cd0026c9dee46836379b6fd2e"
    )
    assert delivery_key(load_sample(SAMPLE)) == (
        "8360f6b6834920b4ce1e997a948cd283a6f49eaae7cb6ef50a12e089a1f7f778"
    )


def test_delivery_key_refuses_what_it_cannot_hash() -> None:
    with pytest.raises(WebhookPayloadError, match="unpaired surrogate"):
        delivery_key({"s": "\ud800"})
    deep: Any = []
    for _ in range(100_000):  # deeper than any Python's encoder goes (orjson reads 1024 levels)
        deep = [deep]
    with pytest.raises(WebhookPayloadError, match="nested too deeply for a delivery key"):
        delivery_key(deep)
