"""The public surface of ``webhooks``: exactly the intended names, one error tree, and aiohttp
imported by the adapter module alone."""

from __future__ import annotations

import ast
from pathlib import Path

import webhooks

PACKAGE = Path(webhooks.__file__).parent
PURE_MODULES = [
    "__init__",
    "_json",
    "_redact",
    "auth",
    "errors",
    "events",
    "filters",
    "parsing",
    "router",
]


def test_the_exported_names_are_exactly_the_intended_ones() -> None:
    assert set(webhooks.__all__) == {
        "EVENT_TYPES",
        "AnyOf",
        "Authenticator",
        "BasicAuth",
        "Deduplicate",
        "DropStale",
        "EventFilter",
        "HandlerError",
        "PathToken",
        "ProjectEvent",
        "ProjectPublished",
        "ProjectStatusChange",
        "ProjectSummary",
        "ProjectUnpublished",
        "QueryToken",
        "RequestView",
        "StandardWebhooksSignature",
        "UnknownEvent",
        "VideoContainerSummary",
        "WebhookConfigError",
        "WebhookError",
        "WebhookEvent",
        "WebhookPayloadError",
        "WebhookRouter",
        "delivery_key",
        "parse_event",
    }
    assert len(webhooks.__all__) == len(set(webhooks.__all__))
    assert all(hasattr(webhooks, name) for name in webhooks.__all__)


def test_every_exported_error_is_a_webhook_error() -> None:
    errors = [getattr(webhooks, n) for n in webhooks.__all__ if n.endswith("Error")]
    assert len(errors) == 4
    assert all(issubclass(error, webhooks.WebhookError) for error in errors)


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_only_the_adapter_imports_aiohttp() -> None:
    for name in PURE_MODULES:
        imported = _imported_modules(PACKAGE / f"{name}.py")
        assert not any(m == "aiohttp" or m.startswith("aiohttp.") for m in imported), name
    assert "aiohttp" in _imported_modules(PACKAGE / "aiohttp.py")
