"""The handler of the crash tests, run by worker subprocesses: idempotent (keyed on
``delivery_key``), failing at random, and recording every call (in order: the rowid) and every
effect in a SQLite file the test reads afterwards, beside the claims ``crash_worker`` logs.

Settings come from the environment: ``EFFECTS_DB`` (path), ``FAIL_RATE`` (0..1), ``SEED``.
"""

from __future__ import annotations

import os
import random
import sqlite3

from webhooks import WebhookEvent, WebhookRouter

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS calls (key TEXT NOT NULL, pid INTEGER NOT NULL, outcome TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS effects (key TEXT PRIMARY KEY, project TEXT, modified TEXT, pid INTEGER)",
    "CREATE TABLE IF NOT EXISTS claims (key TEXT NOT NULL, consumer TEXT NOT NULL, began REAL NOT NULL)",
)
FAIL, EFFECT, REPEAT = "fail", "effect", "repeat"


def connect(path: str) -> sqlite3.Connection:
    """The effects file, created if missing (WAL: the test reads while workers write)."""
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # a process kill loses nothing committed
    for statement in SCHEMA:
        db.execute(statement)
    return db


router = WebhookRouter()
_db: sqlite3.Connection | None = None
_rng = random.Random(f"{os.environ.get('SEED', '')}-{os.getpid()}")


@router.on_any
async def effect(event: WebhookEvent) -> None:
    """Take effect once per delivery key; a repeat is a no-op success; fail at random first."""
    global _db
    if _db is None:
        _db = connect(os.environ["EFFECTS_DB"])
    db, pid = _db, os.getpid()
    db.execute("BEGIN IMMEDIATE")
    try:
        if db.execute("SELECT 1 FROM effects WHERE key = ?", (event.delivery_key,)).fetchone():
            outcome = REPEAT
        elif _rng.random() < float(os.environ.get("FAIL_RATE", "0")):
            outcome = FAIL
        else:
            outcome = EFFECT
            project = event.project
            db.execute(
                "INSERT INTO effects VALUES (?, ?, ?, ?)",
                (
                    event.delivery_key,
                    project and project.id,
                    project
                    and project.modified_date_time
                    and project.modified_date_time.isoformat(),
                    pid,
                ),
            )
        db.execute("INSERT INTO calls VALUES (?, ?, ?)", (event.delivery_key, pid, outcome))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    if outcome == FAIL:
        raise RuntimeError("random failure")
