"""``python -m benchmarks [--quick] [--output PATH] [--only NAME ...]``: run every script, write
the results (benchmarks/RESULTS.md by default) and print where they went."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import time
import traceback
from pathlib import Path

from ._report import Section, render_results

SCRIPTS = {
    "client": "Client",
    "receiver": "Receiver",
    "decode": "Decode alone (information)",
    "scale": "Scale",
    "imports": "Import",
}
NEEDS = {"receiver": "webhooks.aiohttp", "scale": "takeone_async.sandbox"}
PEERS = ("httpx", "sniffio", "fastapi", "uvicorn", "httptools", "pydantic", "msgspec", "orjson")
"""The peers' packages: the ``bench`` extra (which ``dev`` includes)."""


def _check_peers() -> None:
    """Stop with one clear line when a peer is not installed: a budget needs its peer."""
    missing = [name for name in PEERS if importlib.util.find_spec(name) is None]
    if missing:
        raise SystemExit(
            f"benchmarks: {', '.join(missing)} not installed; "
            "run: pip install -e '.[bench]' (or '.[dev]')"
        )


def _run(name: str, quick: bool) -> Section:
    needed = NEEDS.get(name)
    if needed is not None:
        try:
            importlib.import_module(needed)
        except ImportError as exc:
            return Section(SCRIPTS[name], "", skipped=f"`{needed}` is not available ({exc})")
    module = importlib.import_module(f"benchmarks.{name}")
    section: Section = module.run(quick)
    return section


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="few rounds: proves it runs, in seconds"
    )
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "RESULTS.md")
    parser.add_argument("--only", nargs="*", choices=sorted(SCRIPTS), help="run only these")
    args = parser.parse_args()
    _check_peers()
    started = time.perf_counter()
    sections = []
    failed = []
    for name in args.only or SCRIPTS:
        began = time.perf_counter()
        print(f"{name} ...", end=" ", flush=True, file=sys.stderr)
        try:
            sections.append(_run(name, args.quick))
        except Exception as exc:  # the other scripts' figures are still worth writing
            traceback.print_exc()
            failed.append(name)
            reason = f"the script failed ({type(exc).__name__}: {exc})"
            sections.append(Section(SCRIPTS[name], "", skipped=reason))
        print(f"{time.perf_counter() - began:.0f} s", file=sys.stderr)
    command = "python -m benchmarks" + (" --quick" if args.quick else "")
    text = render_results(
        sections, quick=args.quick, command=command, seconds=time.perf_counter() - started
    )
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    if failed:
        raise SystemExit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
