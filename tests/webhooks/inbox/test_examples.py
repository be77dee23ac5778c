"""The README's worker example, run as written (with a free port, a temporary inbox and the
test's Redis server substituted): the receiver stores, the worker handles every event, and
SIGTERM stops both cleanly."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.webhooks.inbox.support import ROOT, RedisServer, free_port

pytestmark = pytest.mark.timeout(90)

BASH = shutil.which("bash") or "/bin/bash"
README = (ROOT / "README.md").read_text(encoding="utf-8")
PROJECTS = 3

# After the README's commands: wait until the worker printed every project's final state and
# stream URL, then stop both background processes the way the README says (kill %1 %2).
STOP = """
for _ in $(seq 300); do
    [ "$(grep -c 'published at' "$OUTPUT")" -ge {projects} ] &&
    [ "$(grep -c ': completed/published' "$OUTPUT")" -ge {projects} ] && break
    sleep 0.1
done
kill %1 %2
wait
"""


def example(name: str) -> str:
    found = re.search(rf"<!-- worker-example:{name} -->\n```sh\n(.*?)```", README, re.DOTALL)
    assert found, f"README has no worker-example:{name} block"
    return found.group(1)


def run_example(script: str, tmp_path: Path) -> str:
    output = tmp_path / "output.txt"
    with output.open("wb") as sink:
        subprocess.run(
            [BASH, "-c", script + STOP.format(projects=PROJECTS)],
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "OUTPUT": str(output), "PYTHONUNBUFFERED": "1"},
            stdout=sink,
            stderr=subprocess.STDOUT,
            timeout=80,
            check=True,
        )
    return output.read_text()


def adapt(script: str, tmp_path: Path, redis_url: str | None = None) -> str:
    script = script.replace(".venv/bin/python", sys.executable)
    script = script.replace("8080", str(free_port()))
    script = script.replace("sqlite:///inbox.db", f"sqlite:///{tmp_path}/inbox.db")
    if redis_url is not None:
        script = script.replace("redis://127.0.0.1:6379/0", redis_url)
    return script


def check(output: str) -> None:
    assert f"published {PROJECTS} projects; 15/15 deliveries stored" in output, output
    assert output.count("published at https://") == PROJECTS, output
    assert output.count(": completed/published") == PROJECTS
    [(handled, stale, dead)] = re.findall(
        r"stopped: (\d+) handled, (\d+) stale, (\d+) dead", output
    )
    assert (int(handled) + int(stale), int(dead)) == (15, 0), output  # late ones may be stale
    assert "Traceback" not in output


def test_the_sqlite_example_runs_as_documented(tmp_path: Path) -> None:
    output = run_example(adapt(example("sqlite"), tmp_path), tmp_path)
    check(output)
    assert (tmp_path / "inbox.db").is_file()


def test_the_redis_example_runs_as_documented(tmp_path: Path, redis_server: RedisServer) -> None:
    script = adapt(example("redis"), tmp_path, redis_server.url)
    assert redis_server.url in script
    check(run_example(script, tmp_path))
