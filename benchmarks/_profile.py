"""Sampled profiles for the budgets missed: py-spy when installed, summarised for RESULTS.md.

py-spy is not a dependency (``pip install py-spy``); without it the sections say so. Only the
full run profiles; ``--quick`` never does.
"""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["Profile", "available", "record_command", "record_pid", "workload_note"]

_OURS = ("takeone_async/", "webhooks/", "<takeone")
_LINE = re.compile(r":\d+\)$")


def available() -> str | None:
    """The py-spy executable, if there is one beside this Python or on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Profile:
    """Folded stacks (``frame;frame;... count``) from ``py-spy record --format raw``, imports
    left out."""

    def __init__(self, folded: str) -> None:
        self.stacks: list[tuple[list[str], int]] = []
        for line in folded.splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit() and "importlib._bootstrap" not in stack:
                frames = [_LINE.sub(")", frame.strip()) for frame in stack.split(";")]
                self.stacks.append((frames, int(count)))
        self.total = sum(count for _, count in self.stacks)

    def _share(self, counter: collections.Counter[str], top: int) -> str:
        return "; ".join(
            f"{100 * count / self.total:.0f}% `{frame}`"
            for frame, count in counter.most_common(top)
        )

    def summary(self, top: int = 6) -> str:
        """Where the samples were: top functions by own time, and our functions with callees."""
        if not self.total:
            return "no samples"
        own: collections.Counter[str] = collections.Counter()
        ours: collections.Counter[str] = collections.Counter()
        for frames, count in self.stacks:
            own[frames[-1]] += count
            for frame in set(frames):
                if any(marker in frame for marker in _OURS):
                    ours[frame] += count
        return (
            f"{self.total} samples. Own time: {self._share(own, top)}. "
            f"Inside our code (with callees): {self._share(ours, top)}."
        )


def _record(args: list[str], timeout: float) -> Profile:
    spy = available()
    assert spy is not None
    with tempfile.TemporaryDirectory(prefix="takeone-bench-profile-") as workdir:
        out = Path(workdir, "profile.txt")
        subprocess.run(
            [spy, "record", "--rate", "250", "--format", "raw", "--output", str(out), *args],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        return Profile(out.read_text() if out.exists() else "")


def record_command(args: list[str], seconds: float) -> Profile:
    """Profile ``python *args`` (which should stop by itself after about ``seconds``)."""
    return _record(["--", sys.executable, *args], seconds + 60)


@contextmanager
def record_pid(pid: int, seconds: float) -> Iterator[list[Profile]]:
    """Profile process ``pid`` for ``seconds`` while the body runs; the profile is appended
    to the yielded list when the body ends."""
    spy = available()
    assert spy is not None
    with tempfile.TemporaryDirectory(prefix="takeone-bench-profile-") as workdir:
        out = Path(workdir, "profile.txt")
        proc = subprocess.Popen(
            [
                spy,
                "record",
                "--rate",
                "250",
                "--format",
                "raw",
                "--output",
                str(out),
                "--duration",
                str(int(seconds)),
                "--pid",
                str(pid),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        found: list[Profile] = []
        try:
            yield found
        finally:
            proc.wait(seconds + 60)
        found.append(Profile(out.read_text() if out.exists() else ""))


def workload_note(label: str, workload: str, seconds: float = 4.0) -> str:
    """A RESULTS.md note: the profile of a ``_profile_target`` workload, or why there is none."""
    if available() is None:
        return f"No profile of {label}: py-spy is not installed (`pip install py-spy`)."
    args = ["-m", "benchmarks._profile_target", workload, str(seconds)]
    return f"Profile of {label} (py-spy, 250 Hz): {record_command(args, seconds).summary()}"
