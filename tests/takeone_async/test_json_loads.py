"""``loads``: with orjson when installed, the values and errors are still the standard library's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from takeone_async._json import loads

JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**40), 2**40),
        st.text(max_size=8),
        st.floats(allow_nan=False),
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _decoded(fn: Any, body: bytes) -> Any:
    try:
        return ("ok", repr(fn(body)))
    except (ValueError, RecursionError) as exc:
        return ("error", type(exc), str(exc)[:60])


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1, "a": 2}',
        b'{"x": [1.5, -0.0, 1e300, 18446744073709551615, -9223372036854775808, "\\u00e9\\n"]}',
        b"NaN",
        b"[Infinity, -Infinity]",
        b"1e400",
        b'"\\ud800"',
        b"\xef\xbb\xbf{}",
        '{"utf16": true}'.encode("utf-16"),
        b"[" * 2000 + b"]" * 2000,
        b"",
        b"{",
        b"[1,]",
        b"\xff",
    ],
    ids=[
        "duplicate keys",
        "numbers and strings",
        "NaN",
        "infinities",
        "overflow",
        "lone surrogate",
        "byte order mark",
        "utf-16",
        "deep nesting",
        "empty",
        "truncated",
        "trailing comma",
        "not utf-8",
    ],
)
def test_loads_gives_what_json_loads_gives(body: bytes) -> None:
    """Values, and for bad bodies the error class and message, are the standard library's."""
    assert _decoded(loads, body) == _decoded(json.loads, body)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_loads_round_trips_any_json_like_json_loads(value: Any) -> None:
    body = json.dumps(value).encode()
    assert repr(loads(body)) == repr(json.loads(body))
