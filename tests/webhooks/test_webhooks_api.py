"""The public surface of ``webhooks``: exactly the intended names, every module's public
functions and classes in its ``__all__``, one error tree, and no aiohttp import in the pure
modules."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import os
import pkgutil
import subprocess
import sys

import takeone_async
import webhooks

PURE_MODULES = [
    "__init__",
    "_json",
    "_redact",
    "auth",
    "errors",
    "events",
    "filters",
    "parsing",
    "receiving",
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
        "WebhookAuthError",
        "WebhookConfigError",
        "WebhookError",
        "WebhookEvent",
        "WebhookPayloadError",
        "WebhookRouter",
        "__version__",
        "delivery_key",
        "parse_event",
        "receive",
    }
    assert len(webhooks.__all__) == len(set(webhooks.__all__))
    assert all(hasattr(webhooks, name) for name in webhooks.__all__)


def test_the_version_is_the_distribution_version() -> None:
    assert webhooks.__version__ == takeone_async.__version__
    assert webhooks.__version__ == importlib.metadata.version("takeone-async")


def test_every_exported_error_is_a_webhook_error() -> None:
    errors = [getattr(webhooks, n) for n in webhooks.__all__ if n.endswith("Error")]
    assert len(errors) == 5
    assert all(issubclass(error, webhooks.WebhookError) for error in errors)


def test_each_error_carries_the_status_a_receiver_answers() -> None:
    from webhooks.inbox import InboxError

    statuses = {
        error.__name__: error.status
        for error in (
            webhooks.WebhookError,
            webhooks.WebhookAuthError,
            webhooks.WebhookPayloadError,
            webhooks.HandlerError,
            InboxError,
        )
    }
    assert statuses == {
        "WebhookError": 500,
        "WebhookAuthError": 401,
        "WebhookPayloadError": 400,
        "HandlerError": 500,
        "InboxError": 503,
    }


def test_each_module_lists_its_public_functions_and_classes_in_all() -> None:
    names = ["webhooks", *(m.name for m in pkgutil.walk_packages(webhooks.__path__, "webhooks."))]
    assert "webhooks.worker" in names
    unlisted = {}
    for name in names:
        module = importlib.import_module(name)
        listed = set(getattr(module, "__all__", ()))
        assert all(hasattr(module, n) for n in listed), name
        defined = {
            n
            for n, value in vars(module).items()
            if not n.startswith("_")
            and (inspect.isfunction(value) or inspect.isclass(value))
            and value.__module__ == name
        }
        if defined - listed:
            unlisted[name] = sorted(defined - listed)
    assert unlisted == {}


def test_the_filters_import_from_the_package_and_from_webhooks_filters() -> None:
    from webhooks import Deduplicate, DropStale, EventFilter, filters

    assert (Deduplicate, DropStale, EventFilter) == (
        filters.Deduplicate,
        filters.DropStale,
        filters.EventFilter,
    )
    assert {"Deduplicate", "DropStale", "EventFilter"} <= set(filters.__all__)


def test_the_worker_helpers_are_public() -> None:
    from webhooks.worker import default_consumer, describe_error

    assert default_consumer().endswith(f"-{os.getpid()}")
    assert describe_error(ValueError("bad")) == "ValueError: bad"


def _loads_aiohttp(*modules: str) -> bool:
    """Whether a fresh interpreter has aiohttp loaded after importing ``modules``."""
    code = f"import sys, {', '.join(modules)}; print('aiohttp' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout.strip() == "True"


def test_the_pure_modules_load_no_aiohttp() -> None:
    """Checked on what is loaded (``sys.modules``), which includes what they import in turn."""
    pure = [f"webhooks.{name}" for name in PURE_MODULES if name != "__init__"]
    assert not _loads_aiohttp("webhooks", "webhooks.parsing", "takeone_async.models")
    assert not _loads_aiohttp(*pure)


def test_the_adapter_loads_aiohttp() -> None:
    assert _loads_aiohttp("webhooks.aiohttp")
