"""The sandbox holding N projects, for the scale benchmark, run as its own process.

``python -m benchmarks._sandbox_server --projects N`` starts ``takeone_async.sandbox.Sandbox``
(pages of 100) on 127.0.0.1 with N projects (half fresh, half published) in its store, prints
``PORT <n>`` and runs until its standard input closes.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import uuid

import attrs

from takeone_async import structure
from takeone_async.models import Project
from takeone_async.sandbox import Sandbox

from ._data import project
from ._process import until_stdin_closes


def _fill(sandbox: Sandbox, count: int) -> None:
    """``count`` projects, made by varying the ids of 200 distinct ones (cheap to build)."""
    rng = random.Random(7)
    originals = [structure(project(rng, published=i % 2 == 1), Project) for i in range(200)]
    store = sandbox.store
    for i in range(count):
        copy = attrs.evolve(
            originals[i % len(originals)], id=str(uuid.UUID(int=rng.getrandbits(128)))
        )
        store.add(store.projects, copy)


async def _serve(count: int) -> None:
    async with Sandbox(page_size=100, max_page_size=100) as sandbox:
        _fill(sandbox, count)
        print(f"PORT {sandbox.url.rsplit(':', 1)[1]}", flush=True)
        await until_stdin_closes()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, required=True)
    asyncio.run(_serve(parser.parse_args().projects))
