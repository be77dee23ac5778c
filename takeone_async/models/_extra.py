"""``extra``: the fields TakeOne sent that a model does not know, kept read-only.

Every model's ``extra`` is a :class:`FrozenDict`, whether the converter filled it or the model
was built by hand: a ``dict`` that refuses changes, so it compares, prints and serialises like
the JSON it came from, pickles and copies with the model, and cannot change under a model that
is frozen (a changed copy is ``dict(model.extra)`` or ``attrs.evolve(model, extra=...)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import attrs

__all__ = ["FrozenDict", "extra_field", "freeze"]


class FrozenDict(dict[str, Any]):
    """A ``dict`` whose methods that would change it raise ``TypeError``."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("extra is read-only: copy it with dict(model.extra) to change it")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[str, Any]]]:
        return FrozenDict, (dict(self),)


EMPTY = FrozenDict()


def freeze(mapping: Mapping[str, Any]) -> FrozenDict:
    """``mapping`` as a :class:`FrozenDict` (itself when it already is one)."""
    return mapping if type(mapping) is FrozenDict else FrozenDict(mapping)


def extra_field() -> Any:
    """The ``extra`` field of a model: read-only, empty by default, left out of the hash.

    The converter fills it with the unknown keys of any attrs class that has a field named
    ``extra`` and writes them back when unstructuring.
    """
    return attrs.field(default=EMPTY, converter=freeze, hash=False)
