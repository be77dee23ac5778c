"""The one cattrs converter shared by the client and the webhooks package.

For every attrs model it generates, once per class, a structuring function specialised to its
fields and the matching unstructuring function, registered as hook factories on one cattrs
``Converter``. Each structuring function comes in two parts: a fast path for the common case
(every key fetched at once, one chain of class checks, nested models inlined, instances filled
slot by slot without ``__init__``) and a careful path, field by field, that the fast path hands the
value to whenever anything is unusual; the careful path gives the result or the error with its
path, so both always agree. The forward-compatibility rules live here:

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
import json
import operator
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar, Union

import attrs
import cattrs

_orjson_loads: Callable[[bytes | str], Any] | None
try:  # the optional ``speedups`` extra
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - orjson is in the dev extra
    _orjson_loads = None

__all__ = [
    "CONVERTER",
    "StructureError",
    "loads",
    "structure",
    "structure_page",
    "structurer",
    "unstructure",
]

T = TypeVar("T")
StructureFn = Callable[..., Any]
"""Called as ``fn(value)`` by our code and as ``fn(value, type)`` by cattrs."""
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


class _NoExtra(dict[str, Any]):
    """The ``extra`` of a structured model that has no unknown fields: one shared, empty mapping
    that refuses changes, so a model costs one object fewer (less allocation, less garbage
    collection on big pages) while no change can leak from one model to another.

    It equals ``{}``, prints as ``{}``, and pickles and copies as the same shared instance.
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> typing.NoReturn:
        raise TypeError("the extra mapping of a structured model cannot be changed")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[Callable[[], _NoExtra], tuple[()]]:
        return _no_extra, ()

    def __copy__(self) -> _NoExtra:
        return self

    def __deepcopy__(self, memo: Any) -> _NoExtra:
        return self


def _no_extra() -> _NoExtra:
    return NO_EXTRA


NO_EXTRA = _NoExtra()


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
    try:
        return tuple(map(item, value))
    except StructureError:
        pass
    out = []  # again, one element at a time, to put the failing index in the path
    for index, element in enumerate(value):
        try:
            out.append(item(element))
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
            if element is not None:  # a null entry (e.g. a format not yet ready) is left out
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
        self.careful: dict[type, StructureFn] = {}

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
        has_extra = len(fields) != len(attrs.fields(cl))
        # Placeholder first so self-referencing models resolve to the finished function.
        late: dict[str, Any] = {}
        self.structurers[cl] = functools.partial(_late, late)
        careful = self.careful[cl] = self._careful_structurer(cl, fields, has_extra)
        fn = _FastEmitter(self).build(cl, careful)
        late["_self"] = fn
        self.structurers[cl] = fn
        return fn

    def _careful_structurer(
        self, cl: type, fields: list[attrs.Attribute[Any]], has_extra: bool
    ) -> StructureFn:
        """Field by field, tracking the path: the reference the fast path falls back to."""
        namespace: dict[str, Any] = {
            "NO_EXTRA": NO_EXTRA,
            "StructureError": StructureError,
            "_bad": _bad,
            "_cl": cl,
            "_known": frozenset(f.name for f in fields),
        }
        lines = [
            "def structure(d, _t=None):",
            "    if d.__class__ is not dict:",
            "        raise _bad(d, 'an object')",
            "    f = None",
            "    try:",
        ]
        args = []
        for i, field in enumerate(fields):
            _, inner = _is_optional(field.type)
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
                default_clause = "None"
            else:
                namespace[f"n{i}"] = _default_maker(field)
                default_clause = f"n{i}()"
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
        lines.append("        f = None")
        if has_extra:
            lines.append(
                "        ex = NO_EXTRA if d.keys() <= _known else "
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
        return _compile(lines, namespace, f"<takeone structure {cl.__qualname__}>")

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


def _compile(lines: list[str], namespace: dict[str, Any], filename: str) -> StructureFn:
    code = compile("\n".join(lines), filename, "exec")
    exec(code, namespace)  # noqa: S102 - generated from our own model definitions
    fn: StructureFn = namespace["structure"]
    return fn


def _default_maker(field: attrs.Attribute[Any]) -> Callable[[], Any]:
    """A zero-argument callable giving the field's default (a fresh one for factories)."""
    default: Any = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        if default.takes_self:
            raise TypeError(f"{field.name}: self-taking default factories are not supported")
        factory: Callable[[], Any] = default.factory
        return factory
    return functools.partial(_identity, default)


class _Fallback(Exception):
    """Raised inside a fast path to hand the value to the careful path."""


def _builder(cl: type) -> type | None:
    """A private subclass through which an instance of ``cl`` is built without ``__init__``.

    Plain attribute stores into slots are the cheapest way CPython offers to fill an object, but a
    frozen class forbids them; the builder allows them (and its ``__init__`` does nothing), and
    once every slot is filled the object's ``__class__`` becomes ``cl`` (legal: the builder adds
    no slots, so the layouts are the same).
    Only for slotted classes whose ``__init__`` merely stores its arguments: no validators,
    converters, pre/post-init hooks, renamed arguments or slots other than the fields.
    """
    fields = attrs.fields(cl)
    if hasattr(cl, "__attrs_pre_init__") or hasattr(cl, "__attrs_post_init__"):
        return None
    if any(not f.init or f.validator or f.converter or f.alias != f.name for f in fields):
        return None
    slots = {s for k in cl.__mro__[:-1] for s in k.__dict__.get("__slots__", ("__dict__",))}
    if slots - {"__weakref__"} != {f.name for f in fields}:
        return None
    builder = type(
        f"_Build{cl.__name__}",
        (cl,),
        {
            "__slots__": (),
            "__init__": object.__init__,
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
        },
    )
    try:
        probe: Any = builder()
        probe.__class__ = cl
    except TypeError:  # pragma: no cover - a layout CPython refuses to switch
        return None
    return builder


class _FastEmitter:
    """Writes the fast structuring function of one class, nested attrs classes inlined.

    The common case runs in one pass: every key of an object fetched at once, one chain of class
    checks, each instance filled through its builder. Anything unusual (a wrong type, a bad date, a
    missing required field) raises :class:`_Fallback` and the whole value goes to the careful path,
    which returns the result or raises the error with its path.
    """

    def __init__(self, generator: _Generator) -> None:
        self.generator = generator
        self.namespace: dict[str, Any] = {
            "NO_EXTRA": NO_EXTRA,
            "StructureError": StructureError,
            "_Fallback": _Fallback,
            "_fromiso": datetime.fromisoformat,
            "_UTC": UTC,
        }
        self.lines: list[str] = []
        self.count = 0

    def build(self, cl: type, careful: StructureFn) -> StructureFn:
        self.namespace["_careful"] = careful
        self.lines = ["def structure(d, _t=None):", "    try:"]
        result = self.emit_object(cl, "d", "        ", (cl,))
        self.lines += [
            "    except (_Fallback, StructureError, ValueError, TypeError):",
            "        return _careful(d)",
            f"    return {result}",
        ]
        return _compile(self.lines, self.namespace, f"<takeone fast structure {cl.__qualname__}>")

    def _name(self, prefix: str, value: Any = None) -> str:
        self.count += 1
        name = f"{prefix}{self.count}"
        if value is not None:
            self.namespace[name] = value
        return name

    def emit_object(self, cl: type, src: str, ind: str, stack: tuple[type, ...]) -> str:
        """Emit code turning the dict in ``src`` into a ``cl``; return the variable holding it."""
        fields = [f for f in attrs.fields(cl) if f.name != "extra"]
        has_extra = len(fields) != len(attrs.fields(cl))
        names = [f.name for f in fields]
        values = [self._name("v") for _ in fields]
        known = self._name("known", frozenset(names))
        extras = f"{{k: w for k, w in {src}.items() if k not in {known}}}"
        extra = self._name("ex")
        out = self.lines
        out.append(f"{ind}if {src}.__class__ is not dict: raise _Fallback")
        if len(fields) > 1:
            getter = self._name("get", operator.itemgetter(*names))
            out += [f"{ind}try:", f"{ind}    {', '.join(values)} = {getter}({src})"]
        elif fields:
            out += [f"{ind}try:", f"{ind}    {values[0]} = {src}[{names[0]!r}]"]
        if fields:
            out.append(f"{ind}except KeyError:")
            out += [f"{ind}    {v} = {src}.get({n!r})" for v, n in zip(values, names, strict=True)]
            if has_extra:
                out += [
                    f"{ind}    {extra} = NO_EXTRA if {src}.keys() <= {known} else {extras}",
                    f"{ind}else:",
                    f"{ind}    {extra} = NO_EXTRA if len({src}) == {len(fields)} else {extras}",
                ]
        elif has_extra:
            out.append(f"{ind}{extra} = NO_EXTRA if not {src} else {extras}")
        checks: list[str] = []
        converts: list[tuple[attrs.Attribute[Any], str, Any]] = []
        for field, var in zip(fields, values, strict=True):
            _, inner = _is_optional(field.type)
            kind = _field_kind(inner)
            required = field.default is attrs.NOTHING
            if kind == "primitive":
                checks.append(self._check(var, _PRIMITIVES[inner][0], required))
            elif kind in ("enum", "datetime"):
                checks.append(self._check(var, (str,), required))
            elif kind in ("mapping", "tuple"):
                container = dict if kind == "mapping" else list
                checks.append(self._check(var, (container,), required))
            elif required:
                checks.append(f"{var} is not None")
            converts.append((field, var, inner))
        if checks:
            out.append(
                f"{ind}if not (" + f"\n{ind}        and ".join(checks) + "): raise _Fallback"
            )
        for field, var, inner in converts:
            self.emit_field(field, var, inner, ind, stack)
        builder = _builder(cl)
        obj = self._name("o")
        if builder is None:
            arguments = [f"{f.alias}={v}" for f, v in zip(fields, values, strict=True)]
            if has_extra:
                arguments.append(f"extra={extra}")
            out.append(f"{ind}{obj} = {self._name('cl', cl)}({', '.join(arguments)})")
            return obj
        out.append(f"{ind}{obj} = {self._name('build', builder)}()")
        out += [f"{ind}{obj}.{n} = {v}" for n, v in zip(names, values, strict=True)]
        if has_extra:
            out.append(f"{ind}{obj}.extra = {extra}")
        out.append(f"{ind}{obj}.__class__ = {self._name('cl', cl)}")
        return obj

    def _check(self, var: str, classes: tuple[type, ...], required: bool) -> str:
        if len(classes) == 1:
            test = f"{var}.__class__ is {self._name('c', classes[0])}"
            return test if required else f"({var} is None or {test})"
        allowed = classes if required else (*classes, type(None))
        return f"{var}.__class__ in {self._name('c', frozenset(allowed))}"

    def emit_field(
        self,
        field: attrs.Attribute[Any],
        var: str,
        inner: Any,
        ind: str,
        stack: tuple[type, ...],
    ) -> None:
        """Emit the conversion of one checked field value (None stays None, then the default)."""
        out = self.lines
        kind = _field_kind(inner)
        if kind == "enum":
            enum_type = next(a for a in typing.get_args(inner) if a is not str)
            by_value = self._name("m", {member.value: member for member in enum_type})
            out.append(f"{ind}{var} = {by_value}.get({var}, {var})")
        elif kind == "datetime":
            out += [
                f"{ind}if {var} is not None:",
                f"{ind}    {var} = _fromiso({var})",
                f"{ind}    if {var}.tzinfo is None: {var} = {var}.replace(tzinfo=_UTC)",
            ]
        elif kind in ("mapping", "tuple"):
            item_type = typing.get_args(inner)[-1 if kind == "mapping" else 0]
            out.append(f"{ind}if {var} is not None:")
            if attrs.has(item_type) and item_type not in stack:
                acc, key, item = self._name("acc"), self._name("k"), self._name("w")
                if kind == "mapping":
                    out += [
                        f"{ind}    {acc} = {{}}",
                        f"{ind}    for {key}, {item} in {var}.items():",
                        f"{ind}        if {item} is None: continue",
                    ]
                else:
                    out += [f"{ind}    {acc} = []", f"{ind}    for {item} in {var}:"]
                obj = self.emit_object(item_type, item, ind + "        ", (*stack, item_type))
                if kind == "mapping":
                    out += [f"{ind}        {acc}[{key}] = {obj}", f"{ind}    {var} = {acc}"]
                else:
                    out += [f"{ind}        {acc}.append({obj})", f"{ind}    {var} = tuple({acc})"]
            else:
                fn = self._name("s", self.generator.structurer(item_type))
                build = (
                    f"{{k: {fn}(w) for k, w in {var}.items() if w is not None}}"
                    if kind == "mapping"
                    else f"tuple([{fn}(w) for w in {var}])"
                )
                out.append(f"{ind}    {var} = {build}")
        elif kind == "other":
            out.append(f"{ind}if {var} is not None:")
            if attrs.has(inner) and inner not in stack:
                obj = self.emit_object(inner, var, ind + "    ", (*stack, inner))
                out.append(f"{ind}    {var} = {obj}")
            else:
                fn = self._name("s", self.generator.structurer(inner))
                out.append(f"{ind}    {var} = {fn}({var})")
        default: Any = field.default
        if default is not attrs.NOTHING and default is not None and kind != "any":
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                make = self._name("n", _default_maker(field))
                out.append(f"{ind}if {var} is None: {var} = {make}()")
            else:  # an immutable default, shared as attrs shares it
                out.append(f"{ind}if {var} is None: {var} = {self._name('n', default)}")


def _field_kind(tp: Any) -> str:
    if tp in _PRIMITIVES:
        return "primitive"
    if tp is Any:
        return "any"
    if tp is datetime:
        return "datetime"
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (Union, types.UnionType):
        enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
        if len(enums) == 1 and set(args) == {enums[0], str}:
            return "enum"
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return "tuple"
    if origin in (Mapping, collections.abc.Mapping, dict):
        return "mapping"
    return "other"


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


def structurer(cl: type[T]) -> Callable[[Any], T]:
    """The function that structures data into ``cl`` (generated once, then cached): for callers
    that structure the same class many times."""
    fn: Callable[[Any], T] = _GENERATOR.structurer(cl)
    return fn


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


def loads(body: bytes | str) -> Any:
    """Decode a JSON body: with orjson (``takeone-async[speedups]``) when it is installed.

    orjson reads a 124 KB page in half the time of ``json.loads``. Whatever orjson refuses
    (``NaN``, a byte order mark, lone surrogates, UTF-16, nesting past 1024 levels) goes to
    ``json.loads``, so the values and errors are the standard library's; the one difference is an
    integer beyond 64 bits, which orjson reads as a float (TakeOne sends none).
    """
    if _orjson_loads is not None:
        try:
            return _orjson_loads(body)
        except ValueError:
            pass
    return json.loads(body)
