"""``SQLiteInbox``: a durable inbox in one SQLite file, for receivers and workers on one machine.

Durability: WAL journal with ``PRAGMA synchronous=FULL``. ``append`` returns only after the
transaction holding the delivery is committed and the WAL fsynced, so a stored delivery
survives the process being killed, the OS crashing and power loss (on a disk that honours
fsync). ``synchronous="NORMAL"`` is faster but on power loss or an OS crash may lose the
last transactions committed before it (never on a process crash, never corrupting the file).

Group commit: every write (append, claim, ack, ...) joins a queue; one transaction commits
everything queued while the previous one ran, so a burst of N deliveries pays a few fsyncs,
not N. All sqlite3 calls run on one dedicated thread, never on the event loop. A batch of
appends is one multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING delivery_key``
committing on its own (the keys it returns are the new ones; a trigger keeps the newest state
per project and family): every sqlite3 call hands the GIL back to a busy event loop and waits
to get it again, so under load those hand-offs, not the fsync, are what a commit costs.

Ordering: ``claim`` picks, in one transaction, each project's oldest unfinished delivery that is
due and whose project no consumer holds (the contract in :mod:`webhooks.inbox`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ..errors import WebhookConfigError
from ._errors import InboxError
from ._rules import from_micros, from_seconds, micros, newest, record_of
from ._sqlite_schema import migrate
from ._types import DeadLetter, Delivery, InboxCounts, ProjectMark, StaleRecord

if TYPE_CHECKING:
    from ..events import WebhookEvent

__all__ = ["SQLiteInbox"]

logger = logging.getLogger("webhooks.inbox")

T = TypeVar("T")
Op = Callable[[sqlite3.Connection], Any]
Row = tuple[str, bytes, str, str | None, int | None, float, float, str | None, str | None, str]
"""An append as ``_INSERT`` stores it, one value per ``_ROW`` placeholder."""
Outcome = tuple[bool, Any]

MAX_BATCH = 512
PRUNE_EVERY = 256
ROWS_PER_STATEMENT = 64
"""Rows per INSERT: one prepared statement per row count is kept, and those of up to 64 rows
take about 3 MB in all (up to 512 would take 150 MB); larger batches are several statements
in one transaction."""
STATEMENT_CACHE = 256

_INSERT = (
    "INSERT INTO deliveries (delivery_key, body, event_type, project_id, modified_us, "
    "available_at, received_at, state, publishing_status, family) VALUES {values} "
    "ON CONFLICT (delivery_key) DO NOTHING RETURNING delivery_key"
)
_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

_CLAIMABLE = """
SELECT d.seq, d.delivery_key, d.body, d.event_type, d.project_id, d.modified_us, d.attempts,
       d.last_error, h.modified_us
FROM deliveries AS d
LEFT JOIN high_water AS h ON h.project_id = d.project_id AND h.family = d.family
WHERE d.status = 'pending' AND d.available_at <= :now
  AND (d.project_id IS NULL OR NOT EXISTS (
      SELECT 1 FROM deliveries AS o
      WHERE o.project_id = d.project_id AND o.status IN ('pending', 'claimed') AND o.seq <> d.seq
        AND (o.status = 'claimed'
             OR (o.modified_us IS NOT NULL, coalesce(o.modified_us, 0), o.seq)
              < (d.modified_us IS NOT NULL, coalesce(d.modified_us, 0), d.seq))))
ORDER BY d.seq
LIMIT :limit
"""

_SEEN = (
    "SELECT project_id, modified_us, state, publishing_status FROM seen "
    "WHERE (?1 IS NULL OR family = ?1) AND project_id IN ({marks}) ORDER BY project_id, family"
)


class SQLiteInbox:
    """A durable inbox in the SQLite file at ``path``, shared by any number of processes.

    ``synchronous`` is ``"FULL"`` (an append that returned survives power loss) or ``"NORMAL"``.
    ``visibility_timeout``: seconds after which a claimed delivery whose worker died is handed
    out again. ``retention``: seconds finished deliveries are kept (and so deduplicated);
    None keeps them forever. Dead letters are kept until replayed.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        visibility_timeout: float = 60.0,
        retention: float | None = 7 * 24 * 3600.0,
        busy_timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise WebhookConfigError(
                f"SQLiteInbox: synchronous must be 'FULL' or 'NORMAL', not {synchronous!r}"
            )
        self.path = Path(path)
        self.synchronous = synchronous
        self.visibility_timeout = visibility_timeout
        self.retention = retention
        self._busy_timeout = busy_timeout
        self._clock = clock
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="webhooks-sqlite-inbox")
        self._conn: sqlite3.Connection | None = None
        self._queue: list[tuple[Op, asyncio.Future[Any]]] = []
        self._appends: list[tuple[Row, asyncio.Future[bool]]] = []
        self._rows_per_statement = 1
        self._flusher: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._acks = 0
        self._closed = False

    def __repr__(self) -> str:
        return f"SQLiteInbox({str(self.path)!r}, synchronous={self.synchronous!r})"

    async def __aenter__(self) -> SQLiteInbox:
        await self.open()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # -- the dedicated thread -------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout,
                isolation_level=None,
                check_same_thread=False,
                cached_statements=STATEMENT_CACHE,
            )
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(f"PRAGMA synchronous={self.synchronous}")
                conn.execute("BEGIN IMMEDIATE")
                try:
                    old = migrate(conn, str(self.path))
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            except BaseException:
                conn.close()
                raise
            limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            self._rows_per_statement = max(1, min(ROWS_PER_STATEMENT, limit // _ROW.count("?")))
            if old > 0:
                logger.info("migrated inbox %s from schema version %d", self.path, old)
            self._conn = conn
        return self._conn

    def _commit(self, ops: list[Op]) -> list[tuple[bool, Any]]:
        """Run ``ops`` in one transaction; each op's outcome. A failing op is rolled back alone
        (a savepoint each, skipped when it is the only one: then the transaction is)."""
        conn = self._connection()
        results: list[tuple[bool, Any]] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            if len(ops) == 1:
                try:
                    results.append((True, ops[0](conn)))
                except Exception as exc:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    return [(False, exc)]
            else:
                for op in ops:
                    conn.execute("SAVEPOINT op")
                    try:
                        value = op(conn)
                    except Exception as exc:
                        conn.execute("ROLLBACK TO op")
                        results.append((False, exc))
                    else:
                        results.append((True, value))
                    conn.execute("RELEASE op")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return results

    def _storage_error(self, exc: BaseException) -> InboxError:
        if isinstance(exc, InboxError):
            return exc
        return InboxError(f"SQLite inbox {self.path}: {type(exc).__name__}: {exc}")

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise InboxError(f"SQLite inbox {self.path} is closed")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        except (sqlite3.Error, OSError, InboxError) as exc:
            raise self._storage_error(exc) from exc

    async def _write(self, op: Op, *, wake: bool = True) -> Any:
        """Run ``op`` inside the next group commit; its result once that commit is durable.

        ``wake``: the write may make a delivery claimable, so wake a ``claim`` waiting here.
        """
        if self._closed:
            raise InboxError(f"SQLite inbox {self.path} is closed")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((op, future))
        self._start_flusher()
        result = await future
        if wake:
            self._wake.set()
        return result

    def _start_flusher(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        """Commit what is queued, batch after batch, one thread hand-off per batch."""
        while self._queue or self._appends:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            appends, self._appends = self._appends[:MAX_BATCH], self._appends[MAX_BATCH:]
            try:
                appended, outcomes = await self._in_thread(
                    self._run, [op for op, _ in batch], [row for row, _ in appends]
                )
            except Exception as exc:
                error = self._storage_error(exc)
                appended, outcomes = (False, error), [(False, error)] * len(batch)
            if appends:
                ok, value = appended
                for index, (_, future) in enumerate(appends):
                    _settle(future, ok, value[index] if ok else self._storage_error(value))
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                _settle(future, ok, value if ok else self._storage_error(value))

    def _run(self, ops: list[Op], rows: list[Row]) -> tuple[Outcome, list[Outcome]]:
        """One batch on the writer thread: the appends' outcome (which were new), each op's.

        Appends alone are one INSERT in autocommit mode (its own durable transaction); with
        other writes they share one transaction, each in a savepoint.
        """
        conn = self._connection()
        if not ops and len(rows) <= self._rows_per_statement:
            try:
                return (True, self._store(conn, rows)), []
            except Exception as exc:
                return (False, exc), []
        outcomes = self._commit(([functools.partial(self._store, rows=rows)] if rows else []) + ops)
        return (outcomes.pop(0) if rows else (True, [])), outcomes

    def _store(self, conn: sqlite3.Connection, rows: Sequence[Row]) -> list[bool]:
        """Insert each row whose delivery key is new (the first of equal ones in ``rows``);
        whether each was. The INSERT returns the keys it stored."""
        firsts: dict[str, int] = {}
        for index, row in enumerate(rows):
            firsts.setdefault(row[0], index)
        fresh = [rows[index] for index in firsts.values()]
        new: set[str] = set()
        step = self._rows_per_statement
        for start in range(0, len(fresh), step):
            chunk = fresh[start : start + step]
            params = [value for row in chunk for value in row]
            new.update(key for (key,) in conn.execute(_insert_sql(len(chunk)), params))
        return [row[0] in new and firsts[row[0]] == index for index, row in enumerate(rows)]

    # -- the contract ---------------------------------------------------------------------

    async def open(self) -> None:
        """Create or migrate the file now rather than on first use (errors surface early)."""
        await self._in_thread(self._connection)

    async def append(self, event: WebhookEvent) -> bool:
        if self._closed:
            raise InboxError(f"SQLite inbox {self.path} is closed")
        record, now = record_of(event), self._clock()
        row = (
            record.key,
            record.raw,
            record.type,
            record.project_id,
            record.modified_us,
            now,
            now,
            record.mark.state,
            record.mark.publishing_status,
            record.family,
        )
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._appends.append((row, future))
        self._start_flusher()
        stored = await future
        self._wake.set()
        return stored

    async def claim(self, consumer: str, limit: int, *, wait: float = 0.0) -> Sequence[Delivery]:
        if limit <= 0:
            return []
        self._wake.clear()
        found = await self._write(lambda conn: self._claim(conn, consumer, limit), wake=False)
        if not found and wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
                found = await self._write(
                    lambda conn: self._claim(conn, consumer, limit), wake=False
                )
        return [_delivery(row) for row in found]

    def _claim(self, conn: sqlite3.Connection, consumer: str, limit: int) -> list[Any]:
        now = self._clock()
        conn.execute(
            "UPDATE deliveries SET status = 'pending', claimed_by = NULL "
            "WHERE status = 'claimed' AND claimed_until <= ?",
            (now,),
        )
        rows = conn.execute(_CLAIMABLE, {"now": now, "limit": limit}).fetchall()
        until = now + self.visibility_timeout
        conn.executemany(
            "UPDATE deliveries SET status = 'claimed', claimed_by = ?, claimed_until = ? "
            "WHERE seq = ?",
            [(consumer, until, row[0]) for row in rows],
        )
        return rows

    async def touch(self, deliveries: Collection[Delivery]) -> None:
        until = self._clock() + self.visibility_timeout
        params = [(until, int(d.handle)) for d in deliveries]
        if params:
            await self._write(
                lambda conn: conn.executemany(
                    "UPDATE deliveries SET claimed_until = ? WHERE seq = ? AND status = 'claimed'",
                    params,
                ),
                wake=False,
            )

    async def release(self, deliveries: Collection[Delivery]) -> None:
        params = [(int(d.handle),) for d in deliveries]
        if params:
            await self._write(
                lambda conn: conn.executemany(
                    "UPDATE deliveries SET status = 'pending', claimed_by = NULL "
                    "WHERE seq = ? AND status = 'claimed'",
                    params,
                )
            )

    async def ack(self, delivery: Delivery) -> None:
        now, seq, project, modified, family = (
            self._clock(),
            int(delivery.handle),
            delivery.project_id,
            micros(delivery.modified),
            delivery.family,
        )
        self._acks += 1
        prune = self.retention is not None and self._acks % PRUNE_EVERY == 0

        def op(conn: sqlite3.Connection) -> None:
            _finish(conn, seq, "done", now)
            if project is not None and modified is not None:
                conn.execute(
                    "INSERT INTO high_water VALUES (?, ?, ?) ON CONFLICT (project_id, family) "
                    "DO UPDATE SET modified_us = excluded.modified_us "
                    "WHERE excluded.modified_us > high_water.modified_us",
                    (project, family, modified),
                )
            if prune and self.retention is not None:
                conn.execute(
                    "DELETE FROM deliveries WHERE status IN ('done', 'stale') AND finished_at < ?",
                    (now - self.retention,),
                )

        await self._write(op)

    async def fail(self, delivery: Delivery, error: str, retry_at: datetime) -> None:
        params = (error, retry_at.timestamp(), int(delivery.handle))
        await self._write(
            lambda conn: conn.execute(
                "UPDATE deliveries SET status = 'pending', attempts = attempts + 1, "
                "last_error = ?, available_at = ?, claimed_by = NULL "
                "WHERE seq = ? AND status IN ('pending', 'claimed')",
                params,
            )
        )

    async def dead_letter(self, delivery: Delivery, error: str) -> None:
        now, seq = self._clock(), int(delivery.handle)

        def op(conn: sqlite3.Connection) -> None:
            if _finish(conn, seq, "dead", now):
                conn.execute(
                    "UPDATE deliveries SET attempts = ?, last_error = ? WHERE seq = ?",
                    (delivery.attempts + 1, error, seq),
                )

        await self._write(op)

    async def skip_stale(self, delivery: Delivery) -> None:
        now, seq, mark = self._clock(), int(delivery.handle), micros(delivery.high_water)

        def op(conn: sqlite3.Connection) -> None:
            if _finish(conn, seq, "stale", now):
                conn.execute("UPDATE deliveries SET stale_mark_us = ? WHERE seq = ?", (mark, seq))

        await self._write(op)

    async def dead_letters(self, limit: int = 100) -> Sequence[DeadLetter]:
        rows = await self._select(
            "SELECT delivery_key, body, event_type, project_id, modified_us, attempts, "
            "coalesce(last_error, ''), finished_at FROM deliveries WHERE status = 'dead' "
            "ORDER BY finished_at, seq LIMIT ?",
            (limit,),
        )
        return [
            DeadLetter(k, bytes(b), t, p, from_micros(m), a, e, from_seconds(f))
            for k, b, t, p, m, a, e, f in rows
        ]

    async def replay(self, keys: Collection[str] | None = None) -> int:
        now = self._clock()
        chosen = None if keys is None else list(keys)

        def op(conn: sqlite3.Connection) -> int:
            sql = (
                "UPDATE deliveries SET status = 'pending', attempts = 0, available_at = ?, "
                "finished_at = NULL WHERE status = 'dead'"
            )
            if chosen is None:
                return conn.execute(sql, (now,)).rowcount
            return sum(
                conn.execute(f"{sql} AND delivery_key = ?", (now, key)).rowcount for key in chosen
            )

        return int(await self._write(op))

    async def skipped(self, limit: int = 100) -> Sequence[StaleRecord]:
        rows = await self._select(
            "SELECT delivery_key, event_type, project_id, modified_us, stale_mark_us, finished_at "
            "FROM deliveries WHERE status = 'stale' ORDER BY finished_at, seq LIMIT ?",
            (limit,),
        )
        return [
            StaleRecord(k, t, p, from_micros(m), from_micros(h), from_seconds(f))
            for k, t, p, m, h, f in rows
        ]

    async def high_water_mark(self, project_id: str, family: str | None = None) -> datetime | None:
        rows = await self._select(
            "SELECT max(modified_us) FROM high_water "
            "WHERE project_id = ?1 AND (?2 IS NULL OR family = ?2)",
            (project_id, family),
        )
        return from_micros(rows[0][0])

    async def seen(
        self, project_ids: Collection[str], family: str | None = None
    ) -> dict[str, ProjectMark]:
        ids = list(project_ids)
        marks: dict[str, list[ProjectMark]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            sql = _SEEN.format(marks=", ".join("?" * len(chunk)))
            for p, m, s, ps in await self._select(sql, [family, *chunk]):
                marks.setdefault(p, []).append(ProjectMark(from_micros(m), s, ps))
        found = {p: newest(found) for p, found in marks.items()}
        return {p: mark for p, mark in found.items() if mark is not None}

    async def counts(self) -> InboxCounts:
        rows = dict(await self._select("SELECT status, count(*) FROM deliveries GROUP BY status"))
        return InboxCounts(
            rows.get("pending", 0),
            rows.get("claimed", 0),
            rows.get("done", 0),
            rows.get("stale", 0),
            rows.get("dead", 0),
        )

    async def _select(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return await self._in_thread(lambda: self._connection().execute(sql, params).fetchall())

    async def close(self) -> None:
        if self._closed:
            return
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await self._flusher
        self._closed = True
        self._wake.set()
        conn, self._conn = self._conn, None
        if conn is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=False)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


@functools.cache
def _insert_sql(rows: int) -> str:
    return _INSERT.format(values=", ".join([_ROW] * rows))


def _finish(conn: sqlite3.Connection, seq: int, status: str, now: float) -> bool:
    """Finish an unfinished delivery; False if it was finished already (a late call from a
    consumer whose claim ran out and went to another)."""
    return (
        conn.execute(
            "UPDATE deliveries SET status = ?, finished_at = ?, claimed_by = NULL "
            "WHERE seq = ? AND status IN ('pending', 'claimed')",
            (status, now, seq),
        ).rowcount
        == 1
    )


def _delivery(row: Any) -> Delivery:
    seq, key, body, event_type, project, modified, attempts, last_error, high_water = row
    return Delivery(
        key=key,
        raw=bytes(body),
        type=event_type,
        project_id=project,
        modified=from_micros(modified),
        attempts=attempts,
        high_water=from_micros(high_water),
        handle=str(seq),
        last_error=last_error,
    )
