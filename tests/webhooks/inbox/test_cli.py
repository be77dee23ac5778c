"""``takeone webhooks worker | dead-letters list|replay | reconcile``: each runs the real
command line; errors are one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import ast
import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from takeone_async import TakeOneClient
from takeone_async.cli import CommandError, main
from takeone_async.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from tests.webhooks.inbox import cli_router
from tests.webhooks.inbox.support import (
    free_port,
    listening,
    poll,
    project_event,
    spawn,
    stop_process,
)
from webhooks.inbox import MemoryInbox, SQLiteInbox
from webhooks.inbox import _cli as inbox_cli

pytestmark = pytest.mark.timeout(60)


def run(*args: str) -> int:
    return main(["webhooks", *args])


def fill(path: Path, *, dead: int = 0, pending: int = 0) -> list[str]:
    """Put ``dead`` dead letters and ``pending`` deliveries in the inbox at ``path``; their keys."""

    async def go() -> list[str]:
        async with SQLiteInbox(path) as inbox:
            keys = []
            for i in range(dead + pending):
                event = project_event(f"p{i}", i)
                await inbox.append(event)
                keys.append(event.delivery_key)
            for delivery in await inbox.claim("fill", dead):
                await inbox.dead_letter(delivery, f"ValueError: bad\nthing {delivery.project_id}")
            return keys

    return asyncio.run(go())


def counts(path: Path) -> Any:
    async def go() -> Any:
        async with SQLiteInbox(path) as inbox:
            return await inbox.counts()

    return asyncio.run(go())


@pytest.fixture
def inbox_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/inbox.db"


def test_dead_letters_list_shows_one_line_each(
    tmp_path: Path, inbox_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = fill(tmp_path / "inbox.db", dead=2, pending=1)
    assert run("dead-letters", "list", "--inbox", inbox_url) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "2 dead letter(s)"
    assert re.fullmatch(
        rf"\S+Z {keys[0]} project_status_change project=p0 attempts=1 error=ValueError: bad thing p0",
        lines[0],
    )
    assert run("dead-letters", "list", "--inbox", inbox_url, "--limit", "1") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 dead letter(s)"


@pytest.mark.parametrize("length", [8, 12])
def test_dead_letters_replay_takes_a_key_prefix_as_the_worker_logs_it(
    tmp_path: Path, inbox_url: str, capsys: pytest.CaptureFixture[str], length: int
) -> None:
    """The worker logs ``dead-lettered <first 12 characters>``: that (or 8) is enough."""
    keys = fill(tmp_path / "inbox.db", dead=2)
    assert run("dead-letters", "replay", "--inbox", inbox_url, keys[1][:length]) == 0
    assert capsys.readouterr().out == "replayed 1 dead letter(s)\n"
    assert [k for k in keys if k not in dead_keys(tmp_path / "inbox.db")] == [keys[1]]


def test_the_key_a_worker_logs_for_a_dead_letter_replays_it(tmp_path: Path, inbox_url: str) -> None:
    """As processes: the worker logs ``dead-lettered <key>``; replay takes that very key."""
    fill(tmp_path / "inbox.db", pending=1)
    log = tmp_path / "worker.log"
    worker = spawn(
        ["-m", "takeone_async", "webhooks", "worker", "--inbox", inbox_url,
         "--router", "tests.webhooks.inbox.cli_router:failing", "--max-attempts", "1"],
        log=log,
    )  # fmt: skip
    try:
        poll(lambda: "dead-lettered" in log.read_text(), within=20, what="a dead letter")
    finally:
        stop_process(worker)
    [logged] = re.findall(r"dead-lettered (\S+) after 1 attempt", log.read_text())
    replay = subprocess.run(
        [sys.executable, "-m", "takeone_async", "webhooks", "dead-letters", "replay",
         "--inbox", inbox_url, logged],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (replay.returncode, replay.stdout, replay.stderr) == (
        0,
        "replayed 1 dead letter(s)\n",
        "",
    )
    assert counts(tmp_path / "inbox.db").dead == 0


def test_a_mistyped_inbox_path_fails_in_one_line_as_a_process(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    done = subprocess.run(
        [sys.executable, "-m", "takeone_async", "webhooks", "dead-letters", "list",
         "--inbox", f"sqlite:///{missing}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.count("\n") == 1
    assert "the file does not exist" in done.stderr
    assert not missing.exists()


def test_dead_letters_replay_refuses_a_prefix_shorter_than_8(
    tmp_path: Path, inbox_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = fill(tmp_path / "inbox.db", dead=1)
    assert run("dead-letters", "replay", "--inbox", inbox_url, keys[0][:7]) == 1
    assert capsys.readouterr().err == (
        "takeone webhooks dead-letters replay: a delivery key prefix needs 8 or more "
        f"characters, got {keys[0][:7]!r}\n"
    )
    assert counts(tmp_path / "inbox.db").dead == 1


async def test_a_prefix_naming_several_dead_letters_is_refused() -> None:
    inbox = MemoryInbox()
    async with inbox:
        for i in range(2):
            await inbox.append(project_event(f"p{i}", i))
        for delivery in await inbox.claim("w", 2):
            await inbox.dead_letter(delivery, "boom")
        keys = [letter.key for letter in await inbox.dead_letters()]
        with pytest.raises(CommandError, match=r"names 2 dead letters: give more of the key"):
            await inbox_cli._dead_letter_keys(inbox, [""])  # every key starts with ""
        assert await inbox_cli._dead_letter_keys(inbox, [keys[0], keys[0][:9]]) == [keys[0]]


@pytest.mark.parametrize(
    "command",
    [
        ["dead-letters", "list"],
        ["dead-letters", "replay", "--all"],
        ["worker", "--router", "tests.webhooks.inbox.cli_router:router"],
        ["reconcile"],
    ],
    ids=["list", "replay", "worker", "reconcile"],
)
def test_an_inbox_file_that_does_not_exist_is_refused_not_created(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A mistyped path must not look like an empty inbox (and leave a new file behind)."""
    monkeypatch.setenv("TAKEONE_CLIENT_ID", "id")
    monkeypatch.setenv("TAKEONE_CLIENT_SECRET", "secret")
    missing = tmp_path / "nope.db"
    assert run(*command, "--inbox", f"sqlite:///{missing}") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"no inbox at '{missing}': the file does not exist" in err
    hint = "or pass --create" if command[0] in ("worker", "reconcile") else "check the path"
    assert err.rstrip().endswith(hint)
    assert not missing.exists()


@pytest.mark.parametrize(
    "command",
    [
        ["dead-letters", "list"],
        ["worker", "--router", "tests.webhooks.inbox.cli_router:router"],
        ["reconcile"],
    ],
    ids=["list", "worker", "reconcile"],
)
def test_memory_inbox_is_refused_where_it_cannot_work(
    capsys: pytest.CaptureFixture[str], command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAKEONE_CLIENT_ID", "id")
    monkeypatch.setenv("TAKEONE_CLIENT_SECRET", "secret")
    assert run(*command, "--inbox", "memory://") == 1
    assert "--inbox memory:// is empty in every new process" in capsys.readouterr().err


def test_reconcile_with_create_makes_the_inbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--create`` opens a new SQLite inbox (here the API is unreachable, after the create)."""
    monkeypatch.setenv("TAKEONE_CLIENT_ID", "id")
    monkeypatch.setenv("TAKEONE_CLIENT_SECRET", "secret")
    monkeypatch.setenv("TAKEONE_BASE_URL", f"http://127.0.0.1:{free_port()}")
    path = tmp_path / "new.db"
    run("reconcile", "--inbox", f"sqlite:///{path}", "--create")
    assert path.is_file()
    assert counts(path).dead == 0


def test_the_inbox_commands_help_gives_a_description_defaults_and_examples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for command in (["dead-letters", "list"], ["dead-letters", "replay"], ["worker"]):
        with pytest.raises(SystemExit):
            run(*command, "--help")
        text = capsys.readouterr().out
        assert "examples:\n  takeone webhooks " + " ".join(command) in text
        assert "(default: warning)" in text
        assert "default %" not in text
        assert "(default " not in text


def dead_keys(path: Path) -> list[str]:
    async def go() -> list[str]:
        async with SQLiteInbox(path) as inbox:
            return [letter.key for letter in await inbox.dead_letters()]

    return asyncio.run(go())


def test_dead_letters_replay_by_key_or_all(
    tmp_path: Path, inbox_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = fill(tmp_path / "inbox.db", dead=3)
    assert run("dead-letters", "replay", "--inbox", inbox_url, keys[0]) == 0
    assert capsys.readouterr().out == "replayed 1 dead letter(s)\n"
    assert counts(tmp_path / "inbox.db").dead == 2
    assert run("dead-letters", "replay", "--inbox", inbox_url, keys[0]) == 1
    assert f"{keys[0]} is not a dead letter (see dead-letters list)" in capsys.readouterr().err
    assert run("dead-letters", "replay", "--inbox", inbox_url, "--all") == 0
    assert counts(tmp_path / "inbox.db").dead == 0
    assert run("dead-letters", "replay", "--inbox", inbox_url) == 1
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith("give the delivery keys to replay, or --all (not both)")
    )


def test_worker_handles_the_inbox_and_stops_gracefully_on_sigterm(
    tmp_path: Path, inbox_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(tmp_path / "inbox.db", pending=cli_router.STOP_AFTER)
    cli_router.handled.clear()
    status = run(
        "worker", "--inbox", inbox_url, "--router", "tests.webhooks.inbox.cli_router:router",
        "--consumer", "cli-test", "--poll-interval", "0.05",
    )  # fmt: skip
    assert status == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"worker cli-test on {inbox_url}"
    assert out[-1].startswith("worker cli-test stopped: 3 handled, 0 retried, 0 dead-lettered")
    assert len(cli_router.handled) == 3
    assert counts(tmp_path / "inbox.db").done == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--router", "nodots"], "--router must look like package.module:router"),
        (
            ["--router", "tests.webhooks.inbox.no_such:router"],
            "cannot import 'tests.webhooks.inbox.no_such'",
        ),
        (
            ["--router", "tests.webhooks.inbox.cli_router:not_a_router"],
            "is object, not a WebhookRouter",
        ),
        (
            ["--router", "tests.webhooks.inbox.cli_router:missing"],
            "is nothing, not a WebhookRouter",
        ),
        (["--inbox", "ftp://x"], "unknown inbox scheme 'ftp'"),
    ],
)
def test_worker_errors_are_one_line(
    args: list[str], message: str, inbox_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    options = {"--inbox": inbox_url, "--router": "tests.webhooks.inbox.cli_router:router"}
    options.update(dict(zip(args[::2], args[1::2], strict=True)))
    assert run("worker", *[x for pair in options.items() for x in pair]) == 1
    err = capsys.readouterr().err
    assert err.startswith("takeone webhooks worker: ")
    assert message in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--concurrency", "0"], "argument --concurrency: must be an integer >= 1, got '0'"),
        (["--concurrency", "abc"], "argument --concurrency: must be an integer >= 1, got 'abc'"),
        (["--max-attempts", "-2"], "argument --max-attempts: must be an integer >= 1, got '-2'"),
        (["--backoff", "nan"], "argument --backoff: must be a number of seconds > 0, got 'nan'"),
        (["--poll-interval", "x"], "argument --poll-interval: must be a number of seconds > 0"),
        (["--poll-interval", "inf"], "argument --poll-interval: must be a number of seconds > 0"),
    ],
)
def test_bad_numbers_are_usage_errors_that_name_the_rule(
    args: list[str], message: str, inbox_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        run("worker", "--inbox", inbox_url, "--router", "m:r", *args)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "_positive" not in err


def test_the_inbox_commands_import_no_private_name_of_takeone_async() -> None:
    tree = ast.parse(Path(inbox_cli.__file__).read_text(encoding="utf-8"))
    private = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("takeone_async")
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert private == []


def test_a_storage_error_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "junk.db").write_bytes(b"junk" * 1000)
    assert run("dead-letters", "list", "--inbox", f"sqlite:///{tmp_path}/junk.db") == 1
    err = capsys.readouterr().err
    assert err.startswith("takeone webhooks dead-letters list: SQLite inbox")
    assert "file is not a database" in err
    assert "Traceback" not in err


@pytest.fixture
def sandbox_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``takeone sandbox`` on a free port, with the client's environment pointing at it."""
    port = free_port()
    process = spawn(
        ["-m", "takeone_async", "sandbox", "--port", str(port)], log=tmp_path / "sandbox.log"
    )

    def up() -> bool:
        assert process.poll() is None, (tmp_path / "sandbox.log").read_text()
        return listening(port)

    poll(up, within=20, what="the sandbox")
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("TAKEONE_BASE_URL", url)
    monkeypatch.setenv("TAKEONE_CLIENT_ID", DEFAULT_CLIENT_ID)
    monkeypatch.setenv("TAKEONE_CLIENT_SECRET", DEFAULT_CLIENT_SECRET)
    yield url
    stop_process(process)


def make_projects(count: int) -> str:
    async def go() -> str:
        async with TakeOneClient.from_env() as client:
            [template] = await client.video_container_templates.list().to_list(limit=1)
            container = await client.video_containers.create(template=template.id, name="cli")
            user = await client.app_users.create(external_id="cli-user")
            for _ in range(count):
                await client.projects.create(user=user.id, video_container=container.id)
            return container.id

    return asyncio.run(go())


def test_reconcile_appends_once_for_each_moved_project(
    sandbox_url: str, inbox_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    container = make_projects(3)
    assert run("reconcile", "--inbox", inbox_url, "--create", "--video-container", container) == 0
    assert capsys.readouterr().out == "checked 3 project(s), appended 3 reconciled event(s)\n"
    assert run("reconcile", "--inbox", inbox_url) == 0
    assert capsys.readouterr().out == "checked 3 project(s), appended 0 reconciled event(s)\n"
    assert counts(tmp_path / "inbox.db").pending == 3


def test_reconcile_on_an_interval_until_sigterm(
    sandbox_url: str, inbox_url: str, tmp_path: Path
) -> None:
    make_projects(2)
    log = tmp_path / "reconcile.log"
    process = spawn(
        ["-m", "takeone_async", "webhooks", "reconcile", "--inbox", inbox_url, "--create", "--interval", "0.1",
         "--log-level", "info"],
        log=log,
    )  # fmt: skip

    def two_runs() -> bool:
        assert process.poll() is None, log.read_text()
        return log.read_text().count("projects checked") >= 2

    poll(two_runs, within=20, what="two reconcile runs")
    assert stop_process(process) == 0
    assert "stopped: appended 2 reconciled event(s)" in log.read_text()


def test_reconcile_without_credentials_is_one_line(
    inbox_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TAKEONE_CLIENT_ID", raising=False)
    assert run("reconcile", "--inbox", inbox_url) == 1
    assert "set TAKEONE_CLIENT_ID and TAKEONE_CLIENT_SECRET" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("base_url", "shown"),
    [
        ("not a url", "'not a url'"),
        ("ftp://x", "'ftp://x'"),
        ("ftp://user:topsecret@x", "'ftp://user:***@x'"),
        ("http://[::1", "'http://[::1'"),
        ("https://api.example.com:99999", "'https://api.example.com:99999'"),
        ("https://topsecret@api.example.com", "'https://***@api.example.com'"),
        ("https://api.example.com/?key=topsecret", "'https://api.example.com/?key=***'"),
    ],
)
def test_reconcile_with_a_bad_base_url_is_one_line(
    base_url: str,
    shown: str,
    inbox_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TAKEONE_CLIENT_ID", "id")
    monkeypatch.setenv("TAKEONE_CLIENT_SECRET", "secret")
    monkeypatch.setenv("TAKEONE_BASE_URL", base_url)
    assert run("reconcile", "--inbox", inbox_url) == 1
    err = capsys.readouterr().err
    assert err.startswith("takeone webhooks reconcile: TAKEONE_BASE_URL must ")
    assert err.endswith(f", got {shown}\n")
    assert "topsecret" not in err


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://:topsecret@[::1/0", "open_inbox('redis://***@[::1/0'): Invalid IPv6 URL"),
        (
            "redis://:topsecret@h:port/0",
            "open_inbox('redis://:***@h:port/0'): RedisStreamInbox: Port could not",
        ),
        ("sqlite:////nonexistent-dir/inbox.db", "the file does not exist"),
        ("redis://:topsecret@127.0.0.1:1/0", "Redis inbox 'takeone:webhooks' (open): Connection"),
    ],
)
@pytest.mark.parametrize("command", [["dead-letters", "list"], ["dead-letters", "replay", "--all"]])
def test_an_unusable_inbox_url_is_one_line_without_its_password(
    command: list[str], url: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(*command, "--inbox", url) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"takeone webhooks {' '.join(command[:2])}: ")
    assert message in err
    assert "topsecret" not in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:1/0?password=topsecret",
        "redis://127.0.0.1:1/0?stream=s&password=topsecret",
        "sqlite:////nonexistent-dir/x.db?password=topsecret",
    ],
)
def test_a_password_in_the_inbox_query_is_never_shown(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """redis-py reads ``?password=``: only the inbox's own options are shown in messages."""
    assert run("dead-letters", "list", "--inbox", url) == 1
    err = capsys.readouterr().err
    assert "topsecret" not in err
    assert "password=***" in err
