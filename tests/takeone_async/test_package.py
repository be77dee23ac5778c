"""How the packages depend on each other, checked in fresh interpreters: takeone_async never
imports webhooks, and what is pure loads no aiohttp."""

from __future__ import annotations

import subprocess
import sys


def loaded_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has loaded after running ``code``."""
    script = (
        f"{code}\nimport sys\nprint(' '.join(sorted({{m.partition('.')[0] for m in sys.modules}})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(out.stdout.split())


def test_no_module_of_takeone_async_imports_webhooks() -> None:
    loaded = loaded_after(
        "import importlib, pkgutil, takeone_async\n"
        "for m in pkgutil.walk_packages(takeone_async.__path__, 'takeone_async.'):\n"
        "    if m.name != 'takeone_async.__main__':\n"
        "        importlib.import_module(m.name)"
    )
    assert "takeone_async" in loaded
    assert "webhooks" not in loaded


def test_the_client_the_models_and_the_public_helpers_load_no_aiohttp() -> None:
    loaded = loaded_after(
        "import takeone_async, takeone_async.models, takeone_async.transport, "
        "takeone_async.retry, takeone_async.signing, takeone_async.urls, takeone_async.cli"
    )
    assert "aiohttp" not in loaded


def test_the_aiohttp_transport_loads_aiohttp() -> None:
    assert "aiohttp" in loaded_after("import takeone_async._transport_aiohttp")
