"""The one cattrs converter shared by the client and the webhooks package.

For every attrs model it generates, once per class, a structuring function specialised to its
fields (primitive type checks inline, enum lookup by a value map, ``datetime.fromisoformat``,
nested hooks resolved at generation time) and the matching unstructuring function. The
forward-compatibility rules live here:

- unknown keys are kept in the model's ``extra`` mapping and written back when unstructuring;
- an enum value the SDK does not know stays the plain string it was;
- a missing or null field becomes the field's default, except fields without a default (``id``).

Failures raise :class:`StructureError` carrying a JSONPath-like location
(``$.results[3].publishing_info.landscape.video.src``) that callers turn into their own errors.
"""

from __future__ import annotations

import collections.abc
import enum
import functools
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar, Union

import attrs
import cattrs

__all__ = ["CONVERTER", "StructureError", "structure", "structure_page", "unstructure"]

T = TypeVar("T")
StructureFn = Callable[[Any, Any], Any]
UnstructureFn = Callable[[Any], Any]

_JSON_KINDS = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


class StructureError(Exception):
    """Data that does not fit a model; ``path`` locates the offending value."""

    def __init__(self, path: list[str | int], reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason

    @property
    def where(self) -> str:
        """The location as ``$.field[index].field``."""
        out = "$"
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else f".{part}"
        return out

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def _kind(value: Any) -> str:
    return _JSON_KINDS.get(type(value), type(value).__name__)


def _bad(value: Any, expected: str) -> StructureError:
    return StructureError([], f"expected {expected}, got {_kind(value)}")


def _parse_datetime(value: Any) -> datetime:
    if value.__class__ is not str:
        raise _bad(value, "an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise StructureError([], f"invalid ISO 8601 date-time {value[:64]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _format_datetime(value: datetime) -> str:
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _structure_datetime(value: Any, _: Any = None) -> datetime:
    return _parse_datetime(value)


def _structure_list(value: Any, _: Any = None, *, item: StructureFn) -> tuple[Any, ...]:
    if value.__class__ is not list:
        raise _bad(value, "an array")
    index = 0
    try:
        out = []
        for index, element in enumerate(value):  # noqa: B007 - index is read by the handler
            out.append(item(element, None))
    except StructureError as exc:
        exc.path.insert(0, index)
        raise
    return tuple(out)


def _structure_mapping(value: Any, _: Any = None, *, item: StructureFn) -> dict[str, Any]:
    if value.__class__ is not dict:
        raise _bad(value, "an object")
    key = ""
    try:
        out = {}
        for key, element in value.items():
            out[key] = item(element, None)
    except StructureError as exc:
        exc.path.insert(0, key)
        raise
    return out


def _check(expected: tuple[type, ...], label: str) -> StructureFn:
    def check(value: Any, _: Any = None) -> Any:
        if value.__class__ not in expected:
            raise _bad(value, label)
        return value

    return check


def _open_enum(enum_type: type[enum.Enum]) -> StructureFn:
    by_value = {member.value: member for member in enum_type}

    def lookup(value: Any, _: Any = None) -> Any:
        if value.__class__ is not str:
            raise _bad(value, "a string")
        return by_value.get(value, value)

    return lookup


def _pass(value: Any, _: Any = None) -> Any:
    return value


def _is_optional(tp: Any) -> tuple[bool, Any]:
    """Split ``X | None`` into (True, X); unions of an enum and ``str`` stay whole."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        has_none = len(args) != len(typing.get_args(tp))
        inner = args[0] if len(args) == 1 else Union[tuple(args)]  # noqa: UP007
        return has_none, inner
    return False, tp


_PRIMITIVES: dict[Any, tuple[tuple[type, ...], str]] = {
    str: ((str,), "a string"),
    bool: ((bool,), "a boolean"),
    int: ((int,), "an integer"),
    float: ((float, int), "a number"),
}


class _Generator:
    """Builds and caches the per-type structure and unstructure functions."""

    def __init__(self) -> None:
        self.structurers: dict[Any, StructureFn] = {}
        self.unstructurers: dict[Any, UnstructureFn] = {}

    def structurer(self, tp: Any) -> StructureFn:
        fn = self.structurers.get(tp)
        if fn is None:
            fn = self._make_structurer(tp)
            self.structurers[tp] = fn
        return fn

    def _make_structurer(self, tp: Any) -> StructureFn:
        if tp is Any:
            return _pass
        if tp in _PRIMITIVES:
            return _check(*_PRIMITIVES[tp])
        if tp is datetime:
            return _structure_datetime
        if attrs.has(tp):
            return self._attrs_structurer(tp)
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin in (Union, types.UnionType):
            enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
            if len(enums) == 1 and set(args) == {enums[0], str}:
                return _open_enum(enums[0])
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return functools.partial(_structure_list, item=self.structurer(args[0]))
        if origin in (Mapping, collections.abc.Mapping, dict):
            return functools.partial(_structure_mapping, item=self.structurer(args[1]))
        raise TypeError(f"no structuring rule for {tp!r}")  # a model-definition bug

    def _attrs_structurer(self, cl: type) -> StructureFn:
        attrs.resolve_types(cl)
        fields = [f for f in attrs.fields(cl) if f.name != "extra"]
        has_extra = any(f.name == "extra" for f in attrs.fields(cl))
        namespace: dict[str, Any] = {
            "StructureError": StructureError,
            "_bad": _bad,
            "_kind": _kind,
            "_cl": cl,
            "_known": frozenset(f.name for f in fields),
        }
        # Placeholder first so self-referencing models resolve to the finished function.
        self.structurers[cl] = functools.partial(_late, namespace)
        lines = [
            "def structure(d, _t=None):",
            "    if d.__class__ is not dict:",
            "        raise _bad(d, 'an object')",
            "    f = None",
            "    try:",
        ]
        args = []
        for i, field in enumerate(fields):
            optional, inner = _is_optional(field.type)
            name = field.name
            var = f"a{i}"
            args.append(var)
            lines.append(f"        f = {name!r}")
            lines.append(f"        v = d.get({name!r})")
            if field.default is attrs.NOTHING:
                lines.append("        if v is None:")
                lines.append(
                    "            raise StructureError([], 'required field is missing or null')"
                )
                none_value = None
            elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                none_value = field.default.factory()
            else:
                none_value = field.default
            namespace[f"n{i}"] = none_value
            default_clause = f"n{i}" if field.default is not attrs.NOTHING else "None"
            if inner in _PRIMITIVES:
                expected, label = _PRIMITIVES[inner]
                namespace[f"t{i}"] = frozenset(expected)
                lines.append(f"        if v is None: {var} = {default_clause}")
                lines.append(f"        elif v.__class__ in t{i}: {var} = v")
                lines.append(f"        else: raise _bad(v, {label!r})")
            elif inner is Any:
                lines.append(f"        {var} = v")
            else:
                namespace[f"s{i}"] = self.structurer(inner)
                lines.append(f"        {var} = {default_clause} if v is None else s{i}(v)")
            del optional
        lines.append("        f = None")
        if has_extra:
            lines.append(
                "        ex = {} if d.keys() <= _known else "
                "{k: w for k, w in d.items() if k not in _known}"
            )
            args.append("ex")
        lines += [
            "    except StructureError as e:",
            "        if f is not None:",
            "            e.path.insert(0, f)",
            "        raise",
            f"    return _cl({', '.join(args)})",
        ]
        source = "\n".join(lines)
        code = compile(source, f"<takeone structure {cl.__qualname__}>", "exec")
        exec(code, namespace)  # noqa: S102 - generated from our own model definitions
        fn: StructureFn = namespace["structure"]
        namespace["_self"] = fn
        self.structurers[cl] = fn
        return fn

    def unstructurer(self, tp: Any) -> UnstructureFn:
        fn = self.unstructurers.get(tp)
        if fn is None:
            fn = self._make_unstructurer(tp)
            self.unstructurers[tp] = fn
        return fn

    def _make_unstructurer(self, tp: Any) -> UnstructureFn:
        if tp is Any or tp in _PRIMITIVES:
            return _identity
        if tp is datetime:
            return _format_datetime
        if attrs.has(tp):
            return self._attrs_unstructurer(tp)
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin in (Union, types.UnionType):
            return _plain_string
        if origin is tuple:
            return functools.partial(_unstructure_list, item=self.unstructurer(args[0]))
        if origin in (Mapping, collections.abc.Mapping, dict):
            return functools.partial(_unstructure_mapping, item=self.unstructurer(args[1]))
        raise TypeError(f"no unstructuring rule for {tp!r}")

    def _attrs_unstructurer(self, cl: type) -> UnstructureFn:
        attrs.resolve_types(cl)
        fields = [f for f in attrs.fields(cl) if f.name != "extra"]
        has_extra = len(fields) != len(attrs.fields(cl))
        namespace: dict[str, Any] = {}
        self.unstructurers[cl] = functools.partial(_late, namespace)
        lines = ["def unstructure(o):", "    d = {"]
        for i, field in enumerate(fields):
            _, inner = _is_optional(field.type)
            fn = self.unstructurer(inner)
            if fn is _identity:
                lines.append(f"        {field.name!r}: o.{field.name},")
            else:
                namespace[f"u{i}"] = fn
                lines.append(
                    f"        {field.name!r}: None if o.{field.name} is None "
                    f"else u{i}(o.{field.name}),"
                )
        lines.append("    }")
        if has_extra:
            lines.append("    if o.extra:")
            lines.append("        d.update(o.extra)")
        lines.append("    return d")
        code = compile("\n".join(lines), f"<takeone unstructure {cl.__qualname__}>", "exec")
        exec(code, namespace)  # noqa: S102 - generated from our own model definitions
        unstructure_fn: UnstructureFn = namespace["unstructure"]
        namespace["_self"] = unstructure_fn
        self.unstructurers[cl] = unstructure_fn
        return unstructure_fn


def _late(namespace: dict[str, Any], value: Any, _: Any = None) -> Any:
    """Calls a generated function that is still being built (self-referencing models)."""
    return namespace["_self"](value)


def _unstructure_list(value: Any, *, item: UnstructureFn) -> list[Any]:
    return [item(v) for v in value]


def _unstructure_mapping(value: Any, *, item: UnstructureFn) -> dict[str, Any]:
    return {k: item(v) for k, v in value.items()}


def _identity(value: Any) -> Any:
    return value


def _plain_string(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _make_converter() -> tuple[cattrs.Converter, _Generator]:
    generator = _Generator()
    converter = cattrs.Converter()
    converter.register_structure_hook_factory(attrs.has, generator.structurer)
    converter.register_unstructure_hook_factory(attrs.has, generator.unstructurer)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(datetime, _format_datetime)
    return converter, generator


CONVERTER, _GENERATOR = _make_converter()


def structure(data: Any, cl: type[T]) -> T:
    """Structure JSON-like ``data`` into model ``cl``; raises :class:`StructureError`."""
    result: T = _GENERATOR.structurer(cl)(data, cl)
    return result


def unstructure(obj: Any) -> Any:
    """Turn a model (or a list of models) back into the JSON-like shape it came from."""
    return CONVERTER.unstructure(obj)


def structure_page(data: Any, item_type: type[T]) -> tuple[tuple[T, ...], Any, Any, Any]:
    """Structure a DRF page body into (results, count, next, previous)."""
    if data.__class__ is not dict:
        raise _bad(data, "an object")
    results = data.get("results")
    if results is None:
        raise StructureError(["results"], "required field is missing or null")
    item = _GENERATOR.structurer(item_type)
    try:
        items = _structure_list(results, item=item)
    except StructureError as exc:
        exc.path.insert(0, "results")
        raise
    count, next_url, previous = data.get("count"), data.get("next"), data.get("previous")
    if count is not None and count.__class__ is not int:
        raise StructureError(["count"], f"expected an integer, got {_kind(count)}")
    for name, link in (("next", next_url), ("previous", previous)):
        if link is not None and link.__class__ is not str:
            raise StructureError([name], f"expected a URL string, got {_kind(link)}")
    return items, count, next_url, previous
