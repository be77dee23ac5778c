"""Timing shared by the scripts: medians over interleaved rounds, ratios within one process and run.

Figures are CPU seconds of the measuring process (``time.process_time``), so a neighbour that
steals the core between rounds does not count against whichever candidate was running; the
candidates take turns inside every round, so what slows the machine slows them all alike. As in
``timeit``, the cyclic garbage collector is paused inside a batch (and run between batches): its
pauses depend on everything the process holds, not on the code measured.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping

__all__ = ["bench", "fmt_ratio", "fmt_seconds", "median"]

clock = time.process_time


def _batch(fn: Callable[[], object], number: int) -> float:
    """CPU seconds of ``number`` calls, the garbage collector paused."""
    gc.collect()
    gc.disable()
    try:
        started = clock()
        for _ in range(number):
            fn()
        return clock() - started
    finally:
        gc.enable()


def _calibrate(fn: Callable[[], object], min_time: float) -> int:
    """How many calls make one batch last about ``min_time`` CPU seconds."""
    number = 1
    while True:
        elapsed = _batch(fn, number)
        if elapsed >= min_time or number >= 1 << 20:
            return number
        number = max(number * 2, int(number * min_time / max(elapsed, 1e-6) * 1.1))


def bench(
    candidates: Mapping[str, Callable[[], object]], *, rounds: int, min_time: float = 0.02
) -> dict[str, float]:
    """Median CPU seconds per call of each candidate over ``rounds`` interleaved batches."""
    numbers = {name: _calibrate(fn, min_time) for name, fn in candidates.items()}
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            samples[name].append(_batch(fn, numbers[name]) / numbers[name])
    return {name: statistics.median(values) for name, values in samples.items()}


def median(values: list[float]) -> float:
    """The median, or NaN for no values."""
    return statistics.median(values) if values else float("nan")


def fmt_seconds(seconds: float) -> str:
    """``512 µs``, ``1.20 ms``, ``2.50 s``: three significant figures."""
    if seconds != seconds:  # NaN
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_ratio(ratio: float) -> str:
    """``1.04x``."""
    return "-" if ratio != ratio else f"{ratio:.2f}x"
