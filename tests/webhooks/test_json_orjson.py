"""With orjson installed, decoding and the canonical form take faster paths: whatever the
bytes, they must give exactly what the standard-library paths give (values and messages)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.webhooks.conftest import event_body
from webhooks import WebhookPayloadError, _json
from webhooks._json import canonical_json, decode_object

pytestmark = pytest.mark.skipif(_json._orjson_loads is None, reason="orjson is not installed")

_FUZZ = settings(
    max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def _outcome(decode: Any, body: bytes) -> str:
    """What a decoder makes of ``body``: the repr of its value (types and key order included)
    or the error message."""
    try:
        return "value " + repr(decode(body))
    except WebhookPayloadError as exc:
        return "error " + str(exc)


def _strict(body: bytes) -> Any:
    data = _json._decode_strict(body)
    if not isinstance(data, dict):
        raise WebhookPayloadError(f"the body must be a JSON object, got {_json.json_kind(data)}")
    return data


def _agree(body: bytes) -> None:
    fast = _json._decode_fast(body)
    if fast is not None:
        assert "value " + repr(fast) == _outcome(_json._decode_strict, body)
    assert _outcome(decode_object, body) == _outcome(_strict, body)


# ---- JSON-like text built to reach every branch: duplicates, spacing, escapes, numbers ------

_numbers = st.from_regex(
    r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,25})?([eE][-+]?[0-9]{1,3})?", fullmatch=True
) | st.sampled_from(["NaN", "-Infinity", "1e999", "-0", "18446744073709551616", "-9" * 19])
_strings = st.text(max_size=6).flatmap(
    lambda text: st.sampled_from([json.dumps(text), json.dumps(text, ensure_ascii=False)])
) | st.sampled_from(['"a:b"', '"a\\u003ab"', '"a\\u003Ab"', '"\\ud800"', '"\\\\u003a"', '"\\/"'])
_keys = st.sampled_from(['"a"', '"b"', '"a:"', '"a\\u003a"', '"\\u0061"']) | _strings
_scalars = _numbers | _strings | st.sampled_from(["true", "false", "null"])
_space = st.sampled_from(["", " ", "\n  "])


def _array(items: list[str], space: str) -> str:
    return "[" + f",{space}".join(items) + "]"


def _object(members: list[tuple[str, str]], space: str) -> str:
    return "{" + f",{space}".join(f"{key}:{space}{value}" for key, value in members) + "}"


_texts = st.recursive(
    _scalars,
    lambda inner: (
        st.builds(_array, st.lists(inner, max_size=4), _space)
        | st.builds(_object, st.lists(st.tuples(_keys, inner), max_size=4), _space)
    ),
    max_leaves=25,
)
_bodies = st.builds(_object, st.lists(st.tuples(_keys, _texts), max_size=5), _space)


@_FUZZ
@given(_bodies)
def test_json_like_objects_decode_the_same_either_way(text: str) -> None:
    _agree(text.encode("utf-8", "surrogatepass"))


@_FUZZ
@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_the_same_either_way(body: bytes) -> None:
    _agree(body)


@_FUZZ
@given(st.text(alphabet='{}[]":,0123456789.eE+-\\ untrflsaNIyu', max_size=200))
def test_json_like_text_decodes_the_same_either_way(text: str) -> None:
    _agree(text.encode())


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1, "a": 2}',  # spaced: the colon count finds the duplicate
        b'{"a":1,"b":{"a:b":1,"a:b":"x:y"}}',
        b'{"a\\u003a": 1, "a:": 2}',  # the same key, one colon escaped
        b'{"n": 18446744073709551616}',
        b'{"n": -9223372036854775809}',
        b'{"n": 12345678901234567890123}',
        b'{"n": 1.0000000000000000000000000000000001}',
        b'{"n": 1E2}',
        b'{"x": ' + b"[" * 65 + b"]" * 65 + b"}",
        b'{"x": ' + b"[[]]," * 40 + b"1}",  # many brackets, shallow
        b'{"s": "\\ud800"}',
        b'{"s": "\\ud83d\\ude00", "t": "\\u00e9"}',
    ],
)
def test_bodies_the_fast_path_must_not_vouch_for(body: bytes) -> None:
    _agree(body)


@pytest.mark.parametrize(
    "body",
    [event_body(), json.dumps(json.loads(event_body()), separators=(",", ":")).encode()],
    ids=["spaced", "compact"],
)
def test_a_documented_event_takes_the_fast_path(body: bytes) -> None:
    assert _json._decode_fast(body) == json.loads(body)


def test_a_big_integer_keeps_its_exact_value() -> None:
    big = 2**70 + 1
    assert decode_object(b'{"n":%d}' % big) == {"n": big}
    assert decode_object(b'{"n": %d}' % -big) == {"n": -big}


# ---- canonical form -------------------------------------------------------------------------

_plain = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=25,
)


def _stdlib_canonical(payload: Any) -> bytes:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


@_FUZZ
@given(
    st.dictionaries(st.text(max_size=6), _plain | st.floats(allow_nan=False, allow_infinity=False))
)
def test_the_canonical_form_is_the_standard_librarys(payload: dict[str, Any]) -> None:
    assert canonical_json(payload) == _stdlib_canonical(payload)


@pytest.mark.parametrize(
    "payload",
    [
        {"f": 1e-05, "g": [0.5, 1e16]},
        {"big": 2**64, "neg": -(2**63) - 1},
        {1: "int key", 2: None},
        {"t": (1, 2)},
        {"c": "\x00\x1f\x7f\u2028\U0001f600"},
        "a bare string",
    ],
)
def test_values_orjson_writes_differently_fall_back(payload: Any) -> None:
    assert canonical_json(payload) == _stdlib_canonical(payload)
