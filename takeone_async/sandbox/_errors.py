"""The sandbox's errors: each carries the HTTP status and the DRF-style JSON body it answers with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import TakeOneError

__all__ = ["SandboxError", "SandboxNotFoundError", "SandboxStateError", "SandboxValidationError"]


class SandboxError(TakeOneError):
    """A request the sandbox refuses; ``status`` and ``body`` are what the HTTP answer holds."""

    status = 400

    def __init__(self, body: Mapping[str, Any], status: int | None = None) -> None:
        self.body = dict(body)
        if status is not None:
            self.status = status
        super().__init__(_summary(self.body))


class SandboxValidationError(SandboxError):
    """400: a missing or invalid field, an unknown referenced id, or a forbidden state change."""

    status = 400


class SandboxNotFoundError(SandboxError):
    """404: no object has the id in the path (or the page does not exist)."""

    status = 404

    def __init__(self, what: str = "", detail: str = "Not found.") -> None:
        super().__init__({"detail": detail})
        self.what = what

    def __str__(self) -> str:
        return f"{self.what} not found" if self.what else str(self.body["detail"])


class SandboxStateError(TakeOneError, RuntimeError):
    """The :class:`Sandbox` was used in the wrong state: started twice, or its ``url`` asked
    before it started. Also a ``RuntimeError``, as it was before it had its own class."""


def _summary(body: Mapping[str, Any]) -> str:
    parts = []
    for key, value in body.items():
        text = "; ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        parts.append(text if key == "detail" else f"{key}: {text}")
    return "; ".join(parts)
