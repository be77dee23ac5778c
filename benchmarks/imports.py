"""Import: ``import takeone_async, webhooks`` against ``import aiohttp, attrs, cattrs``.

Each figure is one import statement timed inside a fresh interpreter; the two take turns. The
interpreters use compiled bytecode (in a private cache directory, after one warm-up import), as an
installed package does, even where ``PYTHONDONTWRITEBYTECODE`` is set. Budget: <= 1.3x.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict

from ._report import Budget, Section, Table, script_main
from ._timing import fmt_ratio, fmt_seconds, median

__all__ = ["run"]

BASELINE = "aiohttp, attrs, cattrs"
OURS = "takeone_async, webhooks"
_TIMED = "import time; t = time.perf_counter(); import {}; print(time.perf_counter() - t)"


def _python(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], check=True, capture_output=True, text=True, timeout=60, env=env
    )


def _import_time(env: dict[str, str], modules: str) -> float:
    return float(_python(env, "-c", _TIMED.format(modules)).stdout.strip())


def _own_modules(env: dict[str, str], modules: str, top: int = 5) -> list[tuple[str, float]]:
    """The slowest of our own modules to import (self time), from ``-X importtime``."""
    out = _python(env, "-X", "importtime", "-c", f"import {modules}")
    self_us: dict[str, float] = defaultdict(float)
    for line in out.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s+(\S.*)$", line)
        if match and match.group(2).strip().split(".")[0] in ("takeone_async", "webhooks"):
            self_us[match.group(2).strip()] += int(match.group(1))
    ranked = sorted(self_us.items(), key=lambda item: -item[1])[:top]
    return [(name, us / 1e6) for name, us in ranked]


def run(quick: bool) -> Section:
    with tempfile.TemporaryDirectory(prefix="takeone-bench-pycache-") as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        return _measure(env, rounds=3 if quick else 21)


def _measure(env: dict[str, str], rounds: int) -> Section:
    times: dict[str, list[float]] = {BASELINE: [], OURS: []}
    for modules in times:
        _import_time(env, modules)  # warm-up: writes the bytecode cache
    for _ in range(rounds):
        for modules in times:
            times[modules].append(_import_time(env, modules))
    base, ours = median(times[BASELINE]), median(times[OURS])
    section = Section(
        "Import",
        "Time of one `import` statement in a fresh interpreter (median of "
        f"{rounds}, taking turns). Budget: `import takeone_async, webhooks` <= 1.3x "
        "`import aiohttp, attrs, cattrs` (ours includes those three).",
    )
    table = Table(["Statement", "Median wall time", "Ratio"])
    table.rows.append([f"`import {BASELINE}` (baseline)", fmt_seconds(base), "1.00x"])
    table.rows.append([f"`import {OURS}`", fmt_seconds(ours), fmt_ratio(ours / base)])
    section.tables.append(table)
    section.budgets.append(
        Budget(
            "import time, `import takeone_async, webhooks`",
            f"`import {BASELINE}`",
            ours / base,
            1.3,
        )
    )
    slowest = ", ".join(f"`{name}` {fmt_seconds(s)}" for name, s in _own_modules(env, OURS))
    section.notes.append(f"Our slowest modules to import (self time, `-X importtime`): {slowest}.")
    return section


if __name__ == "__main__":
    script_main(run)
