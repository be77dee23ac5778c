"""Pure checks of request bodies, answering with Django REST framework's messages, and a small
JSON Schema subset for script generation parameters (no dependency on a schema library)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from ..urls import is_http_url
from ._errors import SandboxValidationError

__all__ = ["Field", "is_http_url", "parse_json_body", "schema_errors", "validate"]

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
NOT_STRING = "Not a valid string."
BAD_EMAIL = "Enter a valid email address."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_JSON_NAMES = {
    dict: "dict",
    list: "list",
    str: "str",
    int: "int",
    float: "float",
    bool: "bool",
    type(None): "NoneType",
}


@attrs.frozen
class Field:
    """One body field: how it must look and, for a reference, how to tell the id exists."""

    name: str
    required: bool = False
    kind: str = "str"  # "str" or "dict"
    allow_null: bool = True
    allow_blank: bool = True
    email: bool = False
    exists: Callable[[str], bool] | None = None


def parse_json_body(raw: bytes) -> Any:
    """The decoded body, or DRF's 400 for malformed JSON (an empty body is an empty object)."""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SandboxValidationError({"detail": f"JSON parse error - {exc}"}) from None
    except RecursionError:  # nesting deeper than the interpreter's stack allows
        raise SandboxValidationError({"detail": "JSON parse error - nested too deeply"}) from None


def validate(data: Any, fields: Sequence[Field]) -> dict[str, Any]:
    """The given fields' values, or :class:`SandboxValidationError` listing every bad field."""
    if not isinstance(data, dict):
        kind = _JSON_NAMES.get(type(data), type(data).__name__)
        raise SandboxValidationError(
            {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
        )
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field in fields:
        if field.name not in data:
            if field.required:
                errors[field.name] = [REQUIRED]
            continue
        message = _field_error(field, data[field.name])
        if message:
            errors[field.name] = [message]
        else:
            values[field.name] = data[field.name]
    if errors:
        raise SandboxValidationError(errors)
    return values


def _field_error(field: Field, value: Any) -> str | None:
    if value is None:
        return None if field.allow_null and not field.required else NOT_NULL
    if field.kind == "dict":
        if not isinstance(value, dict):
            kind = _JSON_NAMES.get(type(value), type(value).__name__)
            return f'Expected a dictionary of items but got type "{kind}".'
        return None
    if not isinstance(value, str) or isinstance(value, bool):
        return NOT_STRING
    if not value.strip() and not (field.allow_blank and not field.required):
        return NOT_BLANK
    if field.email and value and not _EMAIL.match(value):
        return BAD_EMAIL
    if field.exists is not None and not field.exists(value):
        return f'Invalid pk "{value}" - object does not exist.'
    return None


_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: (
        not isinstance(v, bool)
        and (isinstance(v, int) or (isinstance(v, float) and math.isfinite(v) and v.is_integer()))
    ),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}


def schema_errors(instance: Any, schema: Any, path: str = "") -> list[str]:
    """Messages for where ``instance`` breaks ``schema`` (type, required, properties,
    additionalProperties, minLength, maxLength, enum, minimum, maximum, items), jsonschema-style."""
    if not isinstance(schema, Mapping):
        return []
    where = f"{path}: " if path else ""
    expected = schema.get("type")
    if expected is not None:
        names = [expected] if isinstance(expected, str) else list(expected)
        if not any(_TYPES.get(name, lambda _: True)(instance) for name in names):
            shown = repr(expected) if isinstance(expected, str) else repr(names)
            return [f"{where}{instance!r} is not of type {shown}"]
    errors: list[str] = []
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{where}{instance!r} is not one of {schema['enum']!r}")
    if isinstance(instance, str):
        errors += _string_errors(instance, schema, where)
    if _TYPES["number"](instance):
        errors += _number_errors(instance, schema, where)
    if isinstance(instance, dict):
        errors += _object_errors(instance, schema, path)
    if isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(instance):
            errors += schema_errors(item, schema["items"], f"{path}[{index}]")
    return errors


def _string_errors(instance: str, schema: Mapping[str, Any], where: str) -> list[str]:
    errors = []
    if isinstance(schema.get("minLength"), int) and len(instance) < schema["minLength"]:
        errors.append(f"{where}{instance!r} is too short")
    if isinstance(schema.get("maxLength"), int) and len(instance) > schema["maxLength"]:
        errors.append(f"{where}{instance!r} is too long")
    return errors


def _number_errors(instance: float, schema: Mapping[str, Any], where: str) -> list[str]:
    errors = []
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    if isinstance(minimum, int | float) and instance < minimum:
        errors.append(f"{where}{instance!r} is less than the minimum of {minimum!r}")
    if isinstance(maximum, int | float) and instance > maximum:
        errors.append(f"{where}{instance!r} is greater than the maximum of {maximum!r}")
    return errors


def _object_errors(instance: dict[str, Any], schema: Mapping[str, Any], path: str) -> list[str]:
    errors = []
    where = f"{path}: " if path else ""
    for name in schema.get("required") or ():
        if name not in instance:
            errors.append(f"{where}{name!r} is a required property")
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    for name, value in instance.items():
        child = f"{path}.{name}" if path else name
        if name in properties:
            errors += schema_errors(value, properties[name], child)
        elif schema.get("additionalProperties") is False:
            errors.append(f"{where}additional property {name!r} is not allowed")
    return errors
