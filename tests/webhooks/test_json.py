"""The hardened JSON decoder and the canonical form behind delivery_key."""

from __future__ import annotations

import hashlib
import json

import pytest

from webhooks import WebhookPayloadError, delivery_key
from webhooks._json import MAX_DEPTH, MAX_NUMBER_LENGTH, canonical_json, decode_object

pytestmark = pytest.mark.usefixtures("json_backend")


def test_decodes_an_object() -> None:
    assert decode_object(b' {"a": [1, 2.5, "x", null, true]} ') == {"a": [1, 2.5, "x", None, True]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is empty"),
        (b"  \n", "the body is empty"),
        (b'{"a": "\xff"}', "not valid UTF-8 (byte 7)"),
        (b"\xef\xbb\xbf{}", "invalid JSON"),
        (b"{", "invalid JSON: Expecting property name enclosed in double quotes at line 1"),
        (b"{} {}", "invalid JSON: Extra data"),
        (b"[1]", "must be a JSON object, got an array"),
        (b'"x"', "must be a JSON object, got a string"),
        (b"3", "must be a JSON object, got a number"),
        (b"null", "must be a JSON object, got null"),
        (b"true", "must be a JSON object, got a boolean"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": Infinity}', "Infinity is not a JSON number"),
        (b'{"a": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"a": 1e999}', "1e999 is too large for a number"),
        (b'{"a": 1, "b": 2, "a": 3}', "duplicate key 'a'"),
        (b'{"o": {"k": 1, "k": 1}}', "duplicate key 'k'"),
    ],
)
def test_rejects_with_a_clear_message(body: bytes, message: str) -> None:
    with pytest.raises(WebhookPayloadError) as info:
        decode_object(body)
    assert message in str(info.value)


@pytest.mark.parametrize("literal", ["1" * 5000, "-" + "9" * 100, "1." + "0" * 200])
def test_rejects_numbers_of_thousands_of_digits(literal: str) -> None:
    with pytest.raises(WebhookPayloadError, match=f"at most {MAX_NUMBER_LENGTH}"):
        decode_object(f'{{"n": {literal}}}'.encode())


def test_accepts_numbers_up_to_the_limit() -> None:
    assert decode_object(f'{{"n": {"9" * MAX_NUMBER_LENGTH}}}'.encode()) == {
        "n": int("9" * MAX_NUMBER_LENGTH)
    }


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_rejects_nesting_thousands_deep(opener: str) -> None:
    body = ('{"x":' + opener * 10_000 + "1").encode()
    with pytest.raises(WebhookPayloadError, match=f"nested deeper than {MAX_DEPTH} levels"):
        decode_object(body)


def test_accepts_nesting_up_to_the_limit_and_ignores_brackets_in_strings() -> None:
    deep = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    body = ('{"x": ' + deep + ', "s": "[[[[\\"[[[[", "t": "' + "{" * 500 + '"}').encode()
    assert decode_object(body)["s"] == '[[[["[[[['


def test_canonical_json_ignores_key_order_and_whitespace() -> None:
    a = decode_object(b'{"b": 1, "a": {"y": "\xc3\xa9", "x": [1, 2]}}')
    b = decode_object(b'{"a":{"x":[1,2],"y":"\\u00e9"},"b":1}')
    assert canonical_json(a) == canonical_json(b) == '{"a":{"x":[1,2],"y":"é"},"b":1}'.encode()
    assert delivery_key(a) == delivery_key(b) == hashlib.sha256(canonical_json(a)).hexdigest()


def test_delivery_key_differs_for_different_values() -> None:
    assert delivery_key({"a": 1}) != delivery_key({"a": 2})


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "x\\uDC00y", "\\ud83d\\u0041"])
def test_unpaired_surrogate_escapes_are_rejected(escape: str) -> None:
    with pytest.raises(WebhookPayloadError, match="unpaired surrogate"):
        decode_object(f'{{"s": "{escape}"}}'.encode())


def test_the_canonical_form_rejects_unpaired_surrogates() -> None:
    with pytest.raises(WebhookPayloadError, match="unpaired surrogate"):
        delivery_key({"s": "\ud800"})


def test_paired_surrogate_escapes_are_fine() -> None:
    payload = decode_object(b'{"s": "\\ud83d\\ude00"}')
    assert json.loads(canonical_json(payload)) == {"s": "\U0001f600"}
