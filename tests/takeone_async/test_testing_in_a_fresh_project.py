"""The pytest plugin as a newcomer meets it: this checkout installed (not editable) with its
``testing`` extra into a new virtualenv, the README's plugin example pasted into a new project,
and pytest run there in pytest-asyncio's strict mode and in its auto mode.

One virtualenv per session (about 15 s with pip's cache); a copy of it without pytest-asyncio shows
the error a user gets when it is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT = 240.0
RUN_TIMEOUT = 60.0

pytestmark = [pytest.mark.slow, pytest.mark.timeout(INSTALL_TIMEOUT + 4 * RUN_TIMEOUT)]

# What a fresh project writes in its pyproject.toml; pytest-asyncio warns when the loop scope is unset.
STRICT_CONFIG = '[tool.pytest.ini_options]\nasyncio_default_fixture_loop_scope = "function"\n'
AUTO_CONFIG = STRICT_CONFIG + 'asyncio_mode = "auto"\n'


def readme_section(name: str) -> str:
    """The Python block between ``<!-- section:NAME -->`` and its closing marker in README.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(
        rf"<!-- section:{name} -->\n```python\n(.*?)```\n.*?<!-- /section:{name} -->",
        readme,
        re.DOTALL,
    )
    assert found, f"README.md has no <!-- section:{name} --> around a Python block"
    return found.group(1)


def clean_environ() -> dict[str, str]:
    """This process's environment minus what would point the child at this checkout or suite."""
    leaks = ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "COV_CORE_")
    return {k: v for k, v in os.environ.items() if not k.startswith(leaks)}


@attrs.frozen
class Project:
    """A new project folder beside its own virtualenv."""

    folder: Path
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def run(self, *argv: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), *argv],
            cwd=self.folder,
            env=clean_environ(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def pytest(self, config: str, *options: str) -> subprocess.CompletedProcess[str]:
        (self.folder / "pyproject.toml").write_text(config, encoding="utf-8")
        return self.run("-m", "pytest", "-p", "no:cacheprovider", *options)


def new_project(where: Path, venv: Path) -> Project:
    """The README's plugin example in ``where/test_publishing.py``, run with ``venv``."""
    where.mkdir()
    (where / "test_publishing.py").write_text(readme_section("plugin-example"), encoding="utf-8")
    return Project(where, venv)


@pytest.fixture(scope="session")
def fresh_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A virtualenv holding ``pip install '<checkout>[testing]'`` and a project using it."""
    base = tmp_path_factory.mktemp("fresh")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=RUN_TIMEOUT)
    project = new_project(base / "project", venv)
    installed = project.run(
        "-m", "pip", "install", "-q", f"{ROOT}[testing]", timeout=INSTALL_TIMEOUT
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    return project


@pytest.fixture(scope="session")
def project_without_pytest_asyncio(
    fresh_project: Project, tmp_path_factory: pytest.TempPathFactory
) -> Project:
    """A copy of that virtualenv with pytest-asyncio uninstalled (run with ``python -m``)."""
    base = tmp_path_factory.mktemp("no-asyncio")
    venv = base / "venv"
    shutil.copytree(fresh_project.venv, venv, symlinks=True)
    project = new_project(base / "project", venv)
    removed = project.run("-m", "pip", "uninstall", "-q", "-y", "pytest-asyncio")
    assert removed.returncode == 0, removed.stderr
    return project


def test_the_example_passes_in_strict_mode(fresh_project: Project) -> None:
    done = fresh_project.pytest(STRICT_CONFIG, "-W", "error")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"asyncio: mode=(Mode\.)?strict", done.stdout, re.IGNORECASE)
    assert "1 passed" in done.stdout


def test_the_example_passes_in_auto_mode(fresh_project: Project) -> None:
    done = fresh_project.pytest(AUTO_CONFIG, "-W", "error")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"asyncio: mode=(Mode\.)?auto", done.stdout, re.IGNORECASE)
    assert "1 passed" in done.stdout


def test_the_package_is_installed_from_a_wheel_with_its_metadata(fresh_project: Project) -> None:
    code = (
        "import importlib.metadata as m, json, takeone_async, webhooks; "
        "d = m.distribution('takeone-async'); "
        "print(json.dumps({'file': takeone_async.__file__, 'versions': "
        "[d.version, takeone_async.__version__, webhooks.__version__], "
        "'extras': d.metadata.get_all('Provides-Extra'), 'urls': d.metadata.get_all('Project-URL'), "
        "'licence': [str(f) for f in d.files if f.name == 'LICENSE']}))"
    )
    done = fresh_project.run("-c", code)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["file"]).is_relative_to(fresh_project.venv)
    assert len(set(found["versions"])) == 1
    assert "testing" in found["extras"]
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert found["urls"] == [f"{label}, {url}" for label, url in urls.items()]
    assert all(url.startswith("https://") for url in urls.values())
    assert len(found["licence"]) == 1


@pytest.mark.parametrize(
    ("project_fixture", "options"),
    [("project_without_pytest_asyncio", ()), ("fresh_project", ("-p", "no:asyncio"))],
    ids=["not-installed", "disabled"],
)
def test_without_pytest_asyncio_the_failure_names_it_in_one_line(
    project_fixture: str, options: tuple[str, ...], request: pytest.FixtureRequest
) -> None:
    project: Project = request.getfixturevalue(project_fixture)
    done = project.pytest(STRICT_CONFIG, "-rE", *options)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ERROR at setup of test_publishing" in done.stdout
    reason = [line for line in done.stdout.splitlines() if "need pytest-asyncio" in line]
    assert reason, done.stdout
    assert "pip install pytest-asyncio" in reason[0]
    assert "[testing]'" in reason[0]
    assert "Traceback" not in done.stdout
