"""What the scripts report, and RESULTS.md: tables, budgets met or not, notes, the machine."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib.metadata
import json
import os
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ._timing import fmt_ratio

__all__ = [
    "Budget",
    "Section",
    "Table",
    "budget_table",
    "machine",
    "render_results",
    "script_main",
]


@dataclass(frozen=True)
class Budget:
    """A ratio budget against a peer: ``measured`` must be at most (or at least) ``limit``."""

    item: str
    peer: str
    measured: float
    limit: float
    at_least: bool = False

    @property
    def met(self) -> bool:
        return self.measured >= self.limit if self.at_least else self.measured <= self.limit

    @property
    def wanted(self) -> str:
        return f"{'>=' if self.at_least else '<='} {self.limit:.2f}x"

    @property
    def verdict(self) -> str:
        if self.measured != self.measured:
            return "not measured"
        return "met" if self.met else "**not met**"

    @property
    def today(self) -> str:
        """The ratio to two decimals, or three where two would read as the limit itself."""
        if round(self.measured, 2) == round(self.limit, 2) and self.measured != self.limit:
            return f"{self.measured:.3f}x"
        return fmt_ratio(self.measured)

    def row(self) -> list[str]:
        """Budget, peer, wanted, today, verdict: one row of a budgets table."""
        return [self.item, self.peer, self.wanted, self.today, self.verdict]


BUDGET_HEADERS = ["Budget", "Peer", "Wanted", "Today", "Verdict"]


def budget_table(budgets: Sequence[Budget]) -> Table:
    """The budgets as one markdown table."""
    return Table(BUDGET_HEADERS, [b.row() for b in budgets])


@dataclass
class Table:
    """A markdown table."""

    headers: Sequence[str]
    rows: list[Sequence[str]] = field(default_factory=list)
    caption: str = ""

    def render(self) -> str:
        lines = [f"{self.caption}\n"] if self.caption else []
        lines.append("| " + " | ".join(self.headers) + " |")
        lines.append("|" + "|".join("---" for _ in self.headers) + "|")
        lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in self.rows]
        return "\n".join(lines)


@dataclass
class Section:
    """One script's answer: its question, tables, budgets and notes (or why it was skipped)."""

    title: str
    question: str
    tables: list[Table] = field(default_factory=list)
    budgets: list[Budget] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str = ""

    def render(self) -> str:
        parts = [f"## {self.title}", "", self.question, ""]
        if self.skipped:
            parts += [f"Skipped: {self.skipped}", ""]
        for table in self.tables:
            parts += [table.render(), ""]
        if self.budgets:
            parts += [budget_table(self.budgets).render(), ""]
        parts += [f"- {note}" for note in self.notes]
        return "\n".join(parts).rstrip() + "\n"

    def to_json(self) -> str:
        """For a section measured in a child process."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Section:
        data = json.loads(text)
        data["tables"] = [Table(**t) for t in data["tables"]]
        data["budgets"] = [Budget(**b) for b in data["budgets"]]
        return cls(**data)


def _versions() -> str:
    names = [
        "takeone-async",
        "aiohttp",
        "attrs",
        "cattrs",
        "orjson",
        "pydantic",
        "msgspec",
        "httpx",
        "fastapi",
        "uvicorn",
        "httptools",
    ]
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> list[str]:
    """Where and with what the figures were measured."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [
        f"Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M UTC}",
        f"Machine: {_cpu_model()}, {os.cpu_count()} cores, {platform.platform()}; "
        f"load average at start {load}",
        f"Python: {platform.python_implementation()} {sys.version.split()[0]}",
        f"Versions: {_versions()}",
    ]


LEAD = (
    "Each budget compares us with what a user would pick instead: hand-written aiohttp calls "
    "with pydantic v2 models equivalent to ours, an httpx + pydantic client as generated SDKs "
    "are, a FastAPI endpoint under uvicorn; for the receiver also the floor a bare aiohttp "
    "handler sets, and for imports our own dependencies. Every peer is checked, in the same "
    "run, to parse the bodies into the values ours do. The floors and decode alone, in the "
    "sections below, are information; the scale section checks memory and connections against "
    "limits of its own."
)


def render_results(
    sections: Sequence[Section], *, quick: bool, command: str, seconds: float
) -> str:
    """The whole RESULTS.md: the budgets table first, then the machine, then every section."""
    budgets = [b for s in sections for b in s.budgets]
    skipped = [f"- {s.title}: skipped, {s.skipped}" for s in sections if s.skipped]
    head = [
        "# Benchmark results",
        "",
        LEAD,
        "",
        budget_table(budgets).render() if budgets else "No budget was measured.",
        "",
        *skipped,
        *([""] if skipped else []),
        "Generated by `"
        + command
        + "` in "
        + f"{seconds:.0f} s"
        + (" (quick mode: few rounds, figures not meant to be quoted)" if quick else "")
        + ". Each ratio compares figures measured in the same process and run; times are "
        "medians over interleaved rounds.",
        "",
        *[f"- {line}" for line in machine()],
        "",
    ]
    return "\n".join(head) + "\n" + "\n".join(s.render() for s in sections)


def script_main(run: Callable[[bool], Section]) -> None:
    """``python -m benchmarks.<name> [--quick]``: run one script and print its section."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="few rounds, to check it runs")
    args = parser.parse_args()
    print(run(args.quick).render())
