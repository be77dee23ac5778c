"""The one place the benchmarks use a private part of takeone_async: structuring alone.

Decode-alone figures and the scale benchmark's sandbox need a dict turned into a model without
an HTTP call. ``takeone_async.structure`` is used when the package exports it (the converter
issue makes it public); until then, the private converter's function of the same signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import takeone_async

__all__ = ["structure"]

structure: Callable[[Any, type[Any]], Any]
if hasattr(takeone_async, "structure"):
    structure = takeone_async.structure
else:
    from takeone_async._converter import structure
