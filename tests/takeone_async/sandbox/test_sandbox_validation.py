"""Pure request checks: DRF's messages for fields, and the JSON Schema subset for parameters."""

from __future__ import annotations

from typing import Any

import pytest

from takeone_async.sandbox import SandboxValidationError
from takeone_async.sandbox._validation import (
    Field,
    is_http_url,
    parse_json_body,
    schema_errors,
    validate,
)
from tests.conftest import load_sample

BIO_SCHEMA = load_sample("fetch_script_generation_template.response.json")[
    "prompt_parameters_schema"
]


def errors_of(data: Any, fields: list[Field]) -> dict[str, Any]:
    with pytest.raises(SandboxValidationError) as caught:
        validate(data, fields)
    assert caught.value.status == 400
    return caught.value.body


def test_values_given_are_returned_and_absent_optional_ones_left_out() -> None:
    fields = [Field("name", required=True), Field("note"), Field("extra")]
    assert validate({"name": "a", "note": None, "other": 1}, fields) == {"name": "a", "note": None}


def test_every_bad_field_is_reported_at_once_with_drf_messages() -> None:
    fields = [
        Field("template", required=True),
        Field("name", required=True),
        Field("user", required=True, exists=lambda _: False),
        Field("parameters", required=True, kind="dict"),
        Field("email", email=True),
        Field("title", allow_blank=False),
        Field("label"),
    ]
    body = {"name": " ", "user": "u-1", "parameters": [], "email": "nope", "title": "", "label": 3}
    assert errors_of(body, fields) == {
        "template": ["This field is required."],
        "name": ["This field may not be blank."],
        "user": ['Invalid pk "u-1" - object does not exist.'],
        "parameters": ['Expected a dictionary of items but got type "list".'],
        "email": ["Enter a valid email address."],
        "title": ["This field may not be blank."],
        "label": ["Not a valid string."],
    }


def test_null_is_refused_for_required_and_non_nullable_fields() -> None:
    fields = [Field("a", required=True), Field("b", allow_null=False), Field("c")]
    assert errors_of({"a": None, "b": None, "c": None}, fields) == {
        "a": ["This field may not be null."],
        "b": ["This field may not be null."],
    }


def test_a_boolean_is_not_a_string() -> None:
    assert errors_of({"a": True}, [Field("a")]) == {"a": ["Not a valid string."]}


@pytest.mark.parametrize(
    ("body", "kind"), [([1], "list"), ("x", "str"), (3, "int"), (None, "NoneType")]
)
def test_a_body_that_is_not_an_object_is_a_non_field_error(body: Any, kind: str) -> None:
    assert errors_of(body, [Field("a")]) == {
        "non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]
    }


def test_json_bodies_parse_and_an_empty_body_is_an_empty_object() -> None:
    assert parse_json_body(b' {"a": 1} ') == {"a": 1}
    assert parse_json_body(b"  ") == {}


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"\xff\xfe",
        b"{'a': 1}",
        b"[" * 100_000,
        b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    ],
)
def test_malformed_json_is_a_400_detail(raw: bytes) -> None:
    with pytest.raises(SandboxValidationError) as caught:
        parse_json_body(raw)
    assert caught.value.body["detail"].startswith("JSON parse error - ")


def test_the_documented_parameters_match_the_documented_schema() -> None:
    params = load_sample("create_script_generation.request.json")["parameters"]
    assert schema_errors(params, BIO_SCHEMA) == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "Ada"}, ["'bio' is a required property"]),
        ({}, ["'name' is a required property", "'bio' is a required property"]),
        ({"name": "Ada", "bio": "too short"}, ["bio: 'too short' is too short"]),
        ({"name": 5, "bio": "long enough bio"}, ["name: 5 is not of type 'string'"]),
        ([], ["[] is not of type 'object'"]),
    ],
)
def test_parameters_breaking_the_schema_are_named(params: Any, expected: list[str]) -> None:
    assert schema_errors(params, BIO_SCHEMA) == expected


def test_the_rest_of_the_schema_subset() -> None:
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "n": {"type": "integer", "minimum": 1, "maximum": 3},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 2}},
            "mood": {"enum": ["happy", "calm"]},
            "either": {"type": ["string", "null"]},
            "any": {"type": "mystery"},
        },
    }
    good = {"n": 2.0, "tags": ["ab"], "mood": "calm", "either": None, "any": 1}
    assert schema_errors(good, schema) == []
    bad = {"n": 0, "tags": ["abc", 1], "mood": "sad", "either": 1, "x": 1}
    assert schema_errors(bad, schema) == [
        "n: 0 is less than the minimum of 1",
        "tags[0]: 'abc' is too long",
        "tags[1]: 1 is not of type 'string'",
        "mood: 'sad' is not one of ['happy', 'calm']",
        "either: 1 is not of type ['string', 'null']",
        "additional property 'x' is not allowed",
    ]
    assert schema_errors({"n": 4}, schema) == ["n: 4 is greater than the maximum of 3"]
    assert schema_errors({"n": True}, schema) == ["n: True is not of type 'integer'"]
    assert schema_errors("anything", None) == []


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://127.0.0.1:8080/hooks?token=x", True),
        ("https://example.com", True),
        ("ftp://example.com", False),
        ("http://", False),
        ("http://host:99999/", False),
        ("http://host:0/", False),
        ("not a url", False),
        (None, False),
    ],
)
def test_webhook_urls_must_be_absolute_http(url: Any, ok: bool) -> None:
    assert is_http_url(url) is ok
