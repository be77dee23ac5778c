"""SQLiteInbox specifics: durability settings, group commit, its own thread, schema versions,
retention, storage errors, and a receiver killed between append and answer."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import threading
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.webhooks.conftest import post
from tests.webhooks.inbox.support import (
    at,
    free_port,
    listening,
    project_body,
    project_event,
    spawn,
    stop_process,
    wait_until,
)
from webhooks.errors import WebhookConfigError
from webhooks.inbox import InboxCounts, InboxError, InboxSchemaError, ProjectMark, SQLiteInbox
from webhooks.inbox import _sqlite as sqlite_module
from webhooks.inbox._sqlite_schema import LATEST_VERSION

pytestmark = pytest.mark.timeout(60)

# The schema of version 1, frozen here as it was released: migrations must keep opening it.
V1_SCHEMA = [
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    "INSERT INTO schema_version VALUES (1)",
    """CREATE TABLE deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, delivery_key TEXT NOT NULL UNIQUE,
        body BLOB NOT NULL, event_type TEXT NOT NULL, project_id TEXT, modified_us INTEGER,
        status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
        available_at REAL NOT NULL, claimed_by TEXT, claimed_until REAL, last_error TEXT,
        received_at REAL NOT NULL, finished_at REAL)""",
    "CREATE INDEX deliveries_by_status ON deliveries (status, available_at)",
    "CREATE INDEX deliveries_by_project ON deliveries (project_id, status, modified_us, seq)",
    "CREATE TABLE high_water (project_id TEXT PRIMARY KEY, modified_us INTEGER NOT NULL) WITHOUT ROWID",
]


def write_v1_file(path: Path) -> list[str]:
    """A version-1 inbox: one delivery done, two pending (one of them the newest of p1)."""
    events = [
        project_event("p1", 1),
        project_event("p1", 2, state="completed"),
        project_event("p2", 1),
    ]
    db = sqlite3.connect(path)
    for statement in V1_SCHEMA:
        db.execute(statement)
    for status, event in zip(["done", "pending", "pending"], events, strict=True):
        assert event.project is not None
        db.execute(
            "INSERT INTO deliveries (delivery_key, body, event_type, project_id, modified_us, "
            "status, available_at, received_at) VALUES (?, ?, ?, ?, ?, ?, 0, 0)",
            (
                event.delivery_key,
                event.raw,
                event.type,
                event.project.id,
                int(event.project.modified_date_time.timestamp() * 1_000_000),
                status,
            ),  # type: ignore[union-attr]
        )
    db.execute("INSERT INTO high_water VALUES ('p1', ?)", (int(at(1).timestamp() * 1_000_000),))
    db.commit()
    db.close()
    return [e.delivery_key for e in events]


def sql(path: Path, *statements: str) -> list[Any]:
    """Run ``statements`` on the file directly (committed); the rows of the last one."""
    db = sqlite3.connect(path)
    try:
        rows: list[Any] = []
        for statement in statements:
            rows = db.execute(statement).fetchall()
        db.commit()
        return rows
    finally:
        db.close()


def version_of(path: Path) -> int:
    return int(sql(path, "SELECT version FROM schema_version")[0][0])


async def test_a_version_1_file_opens_migrates_and_keeps_its_deliveries(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    keys = write_v1_file(path)
    async with SQLiteInbox(path) as inbox:
        assert version_of(path) == LATEST_VERSION
        assert await inbox.high_water_mark("p1") == at(1)
        assert await inbox.high_water_mark("p1", "status") == at(1)  # from its done delivery
        assert await inbox.high_water_mark("p1", "publishing") == at(1)  # the old mark kept
        assert await inbox.seen(["p1"], "status") == {
            "p1": ProjectMark(at(2), "completed", "can_publish")
        }
        assert await inbox.seen(["p1", "p2"]) == {
            "p1": ProjectMark(at(2), "completed", "can_publish"),
            "p2": ProjectMark(at(1), "editing", "can_publish"),
        }
        claimed = await inbox.claim("c", 10)
        assert sorted(d.key for d in claimed) == sorted(keys[1:])
        assert await inbox.append(project_event("p1", 1)) is False  # still deduplicated
        assert await inbox.append(project_event("p2", 3, state="completed")) is True
        assert (await inbox.seen(["p2"]))["p2"] == ProjectMark(at(3), "completed", "can_publish")
        for delivery in claimed:
            await inbox.skip_stale(delivery)  # a column version 2 added
        assert len(await inbox.skipped()) == 2
    async with SQLiteInbox(path) as reopened:  # opening the current version changes nothing
        assert (await reopened.counts()).stale == 2


async def test_a_file_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    async with SQLiteInbox(path):
        pass
    sql(path, "UPDATE schema_version SET version = 99")
    with pytest.raises(InboxSchemaError, match="schema version 99, written by a newer"):
        async with SQLiteInbox(path):
            pass


async def test_a_database_that_is_not_an_inbox_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    sql(path, "CREATE TABLE users (id INTEGER)")
    with pytest.raises(InboxSchemaError, match="not a webhook inbox"):
        async with SQLiteInbox(path):
            pass
    assert sql(path, "SELECT name FROM sqlite_master") == [("users",)]


@pytest.mark.parametrize(
    ("content", "error"),
    [(b"not a database" * 100, "file is not a database"), (None, "unable to open")],
)
async def test_unusable_storage_is_an_inbox_error(
    tmp_path: Path, content: bytes | None, error: str
) -> None:
    path = tmp_path / "x.db" if content is not None else tmp_path / "missing-dir" / "x.db"
    if content is not None:
        path.write_bytes(content)
    inbox = SQLiteInbox(path)
    with pytest.raises(InboxError, match=error):
        await inbox.append(project_event("p1", 1))
    await inbox.close()


async def test_wal_and_synchronous_full_by_default(tmp_path: Path) -> None:
    async with SQLiteInbox(tmp_path / "i.db") as inbox:
        assert await inbox._select("PRAGMA journal_mode") == [("wal",)]
        assert await inbox._select("PRAGMA synchronous") == [(2,)]  # FULL
    async with SQLiteInbox(tmp_path / "i.db", synchronous="NORMAL") as inbox:
        assert await inbox._select("PRAGMA synchronous") == [(1,)]
    with pytest.raises(WebhookConfigError, match="synchronous"):  # also a ValueError
        SQLiteInbox(tmp_path / "i.db", synchronous="OFF")  # type: ignore[arg-type]
    assert "synchronous='NORMAL'" in repr(inbox)


async def test_a_burst_of_appends_is_committed_in_a_few_transactions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []
    threads: set[str] = set()
    inserts: list[int] = []
    original = SQLiteInbox._run
    insert_sql = sqlite_module._insert_sql

    def counting(self: SQLiteInbox, ops: list[Any], rows: list[Any]) -> Any:
        batches.append(len(rows))
        threads.add(threading.current_thread().name)
        return original(self, ops, rows)

    def statement(rows: int) -> str:
        inserts.append(rows)
        return insert_sql(rows)

    monkeypatch.setattr(SQLiteInbox, "_run", counting)
    monkeypatch.setattr(sqlite_module, "_insert_sql", statement)
    async with SQLiteInbox(tmp_path / "i.db") as inbox:
        events = [project_event(f"p{i % 150}", i) for i in range(350)]
        stored = await asyncio.gather(*(inbox.append(e) for e in events[:50]))
        assert (batches, inserts) == ([50], [50])  # one statement, committing on its own
        again = [events[0], events[60]]  # one stored before, one earlier in the same batch
        stored += await asyncio.gather(*(inbox.append(e) for e in events[50:] + again))
        assert stored == [True] * 350 + [False, False]
        assert (await inbox.counts()).pending == 350
        assert await inbox.seen(["p0", "p149"]) == {
            "p0": ProjectMark(at(300), "editing", "can_publish"),
            "p149": ProjectMark(at(299), "editing", "can_publish"),
        }
    assert sum(batches) == 352
    assert len(batches) <= 4  # one fsync per batch, not per delivery (batches of <= 512)
    assert sum(inserts) == 351  # a key repeated within a batch is sent once
    assert max(inserts) == sqlite_module.ROWS_PER_STATEMENT  # bigger batches: a few statements
    assert threads == {next(iter(threads))}
    assert next(iter(threads)).startswith("webhooks-sqlite-inbox")
    assert threading.main_thread().name not in threads


async def test_a_batch_mixing_new_and_known_deliveries_says_which_it_stored(
    tmp_path: Path,
) -> None:
    events = [project_event(f"p{i}", i) for i in range(12)]

    def send(*indexes: int) -> Any:
        return asyncio.gather(*(inbox.append(events[i]) for i in indexes))

    async with SQLiteInbox(tmp_path / "i.db") as inbox:
        assert await send(0, 1) == [True, True]
        assert await send(2, 0, 3, 1, 2) == [True, False, True, False, False]
        assert await send(4, 5, 3) == [True, True, False]
        [claimed] = await inbox.claim("c", 1)
        appending = send(6, 0, 7)
        acking = inbox.ack(claimed)  # the same batch: one transaction with the ack
        assert (await asyncio.gather(appending, acking))[0] == [True, False, True]
        assert await send(8, 6, 9) == [True, False, True]
        assert await send(10, 11) == [True, True]
        assert (await inbox.counts()).pending + 1 == 12


async def test_one_failing_write_does_not_fail_its_batch(tmp_path: Path) -> None:
    async with SQLiteInbox(tmp_path / "i.db") as inbox:

        def broken(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO no_such_table VALUES (1)")

        results = await asyncio.gather(
            inbox.append(project_event("p1", 1)), inbox._write(broken), return_exceptions=True
        )
        assert results[0] is True
        assert isinstance(results[1], InboxError)
        assert "no such table" in str(results[1])
        assert (await inbox.counts()).pending == 1


async def test_finished_deliveries_are_pruned_after_the_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_module, "PRUNE_EVERY", 1)
    async with SQLiteInbox(tmp_path / "i.db", retention=0.0) as inbox:
        event = project_event("p1", 1)
        await inbox.append(event)
        [delivery] = await inbox.claim("c", 1)
        await asyncio.sleep(0.01)
        await inbox.ack(delivery)
        await inbox.append(project_event("p2", 1))
        await inbox.ack((await inbox.claim("c", 1))[0])  # this ack prunes the first
        assert (await inbox.counts()).done == 1
        assert await inbox.append(event) is True  # outside the dedup window now
        assert await inbox.high_water_mark("p1") == at(1)  # marks are kept


async def test_a_closed_inbox_refuses_calls(tmp_path: Path) -> None:
    inbox = SQLiteInbox(tmp_path / "i.db")
    await inbox.close()
    await inbox.close()
    with pytest.raises(InboxError, match="closed"):
        await inbox.append(project_event("p1", 1))
    with pytest.raises(InboxError, match="closed"):
        await inbox.counts()


async def test_a_receiver_killed_between_append_and_answer_keeps_the_delivery(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/inbox.db"
    port = free_port()
    body = project_body("p1", 1)
    env = {"WEBHOOK_TOKEN": "kill-test-token-0123456789"}
    target = f"http://127.0.0.1:{port}/takeone/webhooks?token={env['WEBHOOK_TOKEN']}"
    args = ["--inbox", url, "--port", str(port)]
    headers = {"Content-Type": "application/json"}

    async def post() -> int | None:
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.post(target, data=body, headers=headers) as resp,
            ):
                return resp.status
        except aiohttp.ClientError:
            return None

    dying = spawn(
        ["tests/webhooks/inbox/kill_after_append.py", *args], env=env, log=tmp_path / "dying.log"
    )
    try:
        await wait_until(
            lambda: dying.poll() is not None or listening(port), within=20, what="receiver"
        )
        assert await post() is None  # the connection died: no answer
        assert dying.wait(10) == -signal.SIGKILL
    finally:
        stop_process(dying)
    async with SQLiteInbox(tmp_path / "inbox.db") as inbox:
        [stored] = await inbox.claim("check", 10)
        assert stored.raw == body
        await inbox.release([stored])
    receiver = spawn(["examples/worker/receiver.py", *args], env=env, log=tmp_path / "receiver.log")
    try:
        await wait_until(lambda: listening(port), within=20, what="restarted receiver")
        assert await post() == 200  # the sender's retry: answered, not stored twice
    finally:
        assert stop_process(receiver) == 0
    async with SQLiteInbox(tmp_path / "inbox.db") as inbox:
        assert (await inbox.counts()).pending == 1


async def test_the_receiver_stores_once_refuses_bad_payloads_and_answers_503_when_storage_fails(
    tmp_path: Path, serve: Any
) -> None:
    inbox = SQLiteInbox(tmp_path / "i.db")
    client = await serve(None, inbox=inbox)
    body = project_body("p1", 1)
    assert await post(client, body) == (200, "")
    assert await post(client, body) == (200, "")  # a duplicate: answered, stored once
    status, _ = await post(client, b'{"type": "project_published"}')
    assert status == 400
    assert await inbox.counts() == InboxCounts(pending=1, in_flight=0, done=0, stale=0, dead=0)
    await inbox.close()
    status, _ = await post(client, project_body("p2", 1))
    assert status == 503  # the sender retries later
