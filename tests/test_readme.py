"""The README is a contract: every Python block in it is run by an example or a test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"```python\n(.*?)```\n(<!-- exercised by: (\S+) -->)?", re.DOTALL)
BLOCKS = [(m.group(1), m.group(3)) for m in BLOCK.finditer(README)]


def _normalise(code: str) -> str:
    """Lines without their indentation and blank lines, so a block may sit inside a function."""
    return "\n".join(line.strip() for line in code.splitlines() if line.strip())


def test_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize(("code", "where"), BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_each_python_block_is_exercised_verbatim(code: str, where: str | None) -> None:
    """Each block names the example or test that runs it, and that file holds the block as is."""
    assert where, f"README block without an 'exercised by' marker:\n{code[:200]}"
    target = ROOT / where
    assert target.is_file(), f"{where} (named by a README block) does not exist"
    assert _normalise(code) in _normalise(target.read_text(encoding="utf-8"))


def test_first_two_commands_are_quickstart_then_tests() -> None:
    """A newcomer's first two commands: the quickstart, then the tests, each doing its own install."""
    commands = re.findall(r"```\n(.*?)\n```", README, re.DOTALL)[:2]
    quickstart, tests = commands
    assert "examples/quickstart.py" in quickstart
    assert "pip install" in quickstart
    assert "pytest" in tests
    assert "pip install -q -e '.[dev]'" in tests
