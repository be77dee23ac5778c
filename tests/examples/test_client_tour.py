"""examples/client_tour.py runs the README's client blocks against a sandbox and succeeds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_client_tour_runs_the_readme_blocks_against_the_sandbox() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "client_tour.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].endswith(" recording cannot_publish")
    assert lines[1] == "1 projects; 1 on the first page"
    assert "POST /api/v1/projects/{id}/publish -> 400: project cannot be published" in lines[3]
    assert lines[4] == "no such project"
