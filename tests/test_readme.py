"""The README is a contract with a newcomer: every Python block is complete as pasted (its own
imports, no undefined name) and is run by the example or test its marker names; every shell
block is run by a test or by CI; the install lines name extras that exist; the contents links
lead somewhere."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MARKER = r"(?:<!-- exercised by: (\S+) -->)?"
PYTHON_BLOCKS = [
    (m.group(1), m.group(2))
    for m in re.finditer(rf"```python\n(.*?)```\n{MARKER}", README, re.DOTALL)
]
SHELL_BLOCKS = [
    (m.group(1), m.group(2), m.group(3))
    for m in re.finditer(rf"(<!-- [\w:-]+ -->\n)?```sh\n(.*?)```\n{MARKER}", README, re.DOTALL)
]
RUN_BY_CI = ("<!-- quickstart-command -->\n", "<!-- test-command -->\n")


def _normalise(lines: list[str]) -> str:
    """Lines without their indentation and blank lines, so a block may sit inside a function."""
    return "\n".join(line.strip() for line in lines if line.strip())


def _code_lines(code: str) -> list[str]:
    """The block's lines but its imports (a test file holds those at its top)."""
    tree = ast.parse(code)
    imports = {
        n
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }
    return [line for n, line in enumerate(code.splitlines(), 1) if n not in imports]


def _imported(code: str) -> dict[str, Any]:
    """The objects the top-level imports of ``code`` bind, by name."""
    bound: dict[str, Any] = {}
    for node in ast.parse(code).body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound[alias.asname or alias.name] = importlib.import_module(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module not in (None, "__future__"):
            assert node.module is not None
            module = importlib.import_module(node.module)
            for alias in node.names:
                bound[alias.asname or alias.name] = getattr(module, alias.name)
    return bound


def test_readme_has_python_and_shell_blocks() -> None:
    assert len(PYTHON_BLOCKS) >= 10
    assert len(SHELL_BLOCKS) >= 5


@pytest.mark.parametrize(
    ("code", "where"), PYTHON_BLOCKS, ids=[f"block{i}" for i in range(len(PYTHON_BLOCKS))]
)
def test_each_python_block_is_complete_as_pasted(code: str, where: str | None) -> None:
    """It compiles and uses no name it does not define or import (ruff's F821)."""
    compile(code, "README block", "exec")
    found = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "F821", "-"],
        input=code,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert found.returncode == 0, f"{found.stdout}\n{code[:300]}"


@pytest.mark.parametrize(
    ("code", "where"), PYTHON_BLOCKS, ids=[f"block{i}" for i in range(len(PYTHON_BLOCKS))]
)
def test_each_python_block_is_run_verbatim_by_the_file_it_names(
    code: str, where: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its code stands as is in that file, whose imports bind the same names to the same
    objects (a test file keeps its imports at its top)."""
    assert where, f"README block without an 'exercised by' marker:\n{code[:200]}"
    target = ROOT / where
    assert target.is_file(), f"{where} (named by a README block) does not exist"
    text = target.read_text(encoding="utf-8")
    assert _normalise(_code_lines(code)) in _normalise(text.splitlines())
    monkeypatch.syspath_prepend(str(target.parent))  # examples import their neighbours
    theirs = _imported(text)
    for name, value in _imported(code).items():
        assert theirs.get(name) is value, f"{where} does not import {name} as the block does"


@pytest.mark.parametrize(
    ("before", "commands", "where"),
    SHELL_BLOCKS,
    ids=[f"shell{i}" for i in range(len(SHELL_BLOCKS))],
)
def test_each_shell_block_is_run_by_a_test_or_by_ci(
    before: str | None, commands: str, where: str | None
) -> None:
    """``.ci/run`` runs the quickstart and test commands; every other block names its test,
    which holds its commands or reads them from the README by their marker."""
    if before in RUN_BY_CI:
        assert before.strip("<!-> \n") in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
        return
    assert where, f"README shell block without an 'exercised by' marker:\n{commands[:200]}"
    text = (ROOT / where).read_text(encoding="utf-8")
    marker = (before or "").strip("<!-> \n").partition(":")[0]
    assert commands in text or (marker and marker in text), f"{where} does not run:\n{commands}"


def test_the_first_two_commands_are_the_quickstart_then_the_tests() -> None:
    """A newcomer's first two commands, each doing its own install."""
    quickstart, tests = re.findall(r"```sh\n(.*?)\n```", README, re.DOTALL)[:2]
    assert "examples/quickstart.py" in quickstart
    assert "pip install" in quickstart
    assert "pytest" in tests
    assert "pip install -q -e '.[dev]'" in tests


def test_the_install_lines_name_extras_that_exist() -> None:
    found = re.search(r"<!-- install-commands -->\n```sh\n(.*?)```", README, re.DOTALL)
    assert found
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = set(project["optional-dependencies"])
    named = set()
    for line in found.group(1).splitlines():
        assert re.match(r"pip install (-e )?'?/path/to/takeone-async(\[[a-z,]+\])?'? ", line)
        for group in re.findall(r"\[([a-z,]+)\]", line):
            named.update(group.split(","))
    assert named >= {"redis", "speedups", "testing"}
    assert named <= extras


def test_the_contents_links_lead_to_headings() -> None:
    slugs = {
        re.sub(r"[^\w\- ]", "", heading).strip().lower().replace(" ", "-")
        for heading in re.findall(r"^#{2,3} (.+)$", README, re.MULTILINE)
    }
    links = re.findall(r"\]\(#([\w-]+)\)", README)
    assert links
    assert set(links) <= slugs
