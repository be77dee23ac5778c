"""The SQLite inbox's schema, one migration per version, applied in order on open.

A file written by any earlier version opens: its ``schema_version`` row says which migrations
it still needs. A file from a newer version is refused rather than misread.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from ..filters import fact_family
from ._errors import InboxSchemaError

__all__ = ["LATEST_VERSION", "migrate"]

Migration = Callable[[sqlite3.Connection], None]


def _statements(*sql: str) -> Migration:
    def run(conn: sqlite3.Connection) -> None:
        for statement in sql:
            conn.execute(statement)

    return run


_V1 = _statements(
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    """CREATE TABLE deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_key TEXT NOT NULL UNIQUE,
        body BLOB NOT NULL,
        event_type TEXT NOT NULL,
        project_id TEXT,
        modified_us INTEGER,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        available_at REAL NOT NULL,
        claimed_by TEXT,
        claimed_until REAL,
        last_error TEXT,
        received_at REAL NOT NULL,
        finished_at REAL
    )""",
    "CREATE INDEX deliveries_by_status ON deliveries (status, available_at)",
    "CREATE INDEX deliveries_by_project ON deliveries (project_id, status, modified_us, seq)",
    """CREATE TABLE high_water (
        project_id TEXT PRIMARY KEY, modified_us INTEGER NOT NULL
    ) WITHOUT ROWID""",
)


def _field(body: bytes, name: str) -> Any:
    try:
        project = json.loads(body).get("project")
    except (ValueError, AttributeError):
        return None
    value = project.get(name) if isinstance(project, dict) else None
    return value if isinstance(value, str) else None


def _states(body: bytes) -> tuple[Any, Any]:
    return _field(body, "state"), _field(body, "publishing_status")


def _v2(conn: sqlite3.Connection) -> None:
    """Version 2: the newest state seen per project (for reconcile), and the mark a stale
    delivery was measured against; backfilled from the stored bodies."""
    conn.execute("ALTER TABLE deliveries ADD COLUMN stale_mark_us INTEGER")
    conn.execute(
        """CREATE TABLE seen (
            project_id TEXT PRIMARY KEY, modified_us INTEGER, state TEXT, publishing_status TEXT
        ) WITHOUT ROWID"""
    )
    newest = conn.execute(
        """SELECT project_id, modified_us, body FROM deliveries AS d
           WHERE project_id IS NOT NULL AND seq = (
               SELECT seq FROM deliveries AS o WHERE o.project_id = d.project_id
               ORDER BY o.modified_us IS NULL, o.modified_us DESC, o.seq DESC LIMIT 1)"""
    ).fetchall()
    conn.executemany(
        "INSERT INTO seen VALUES (?, ?, ?, ?)",
        [
            (project, modified, _field(body, "state"), _field(body, "publishing_status"))
            for project, modified, body in newest
        ],
    )


# Mirrors webhooks.inbox._rules.supersedes: a later modified time wins, an equal one with a
# different state wins, a missing time never displaces a known one. ``{key}``: the columns a
# project's newest state is kept by (the project; from version 4, the project and family).
_SEEN_TRIGGER = """CREATE TRIGGER deliveries_raise_seen AFTER INSERT ON deliveries
WHEN NEW.project_id IS NOT NULL
BEGIN
    INSERT INTO seen ({key}, modified_us, state, publishing_status)
    VALUES ({new_key}, NEW.modified_us, NEW.state, NEW.publishing_status)
    ON CONFLICT ({key}) DO UPDATE SET modified_us = excluded.modified_us,
        state = excluded.state, publishing_status = excluded.publishing_status
    WHERE CASE
        WHEN excluded.modified_us IS NULL THEN seen.modified_us IS NULL
            AND (excluded.state IS NOT seen.state
                 OR excluded.publishing_status IS NOT seen.publishing_status)
        WHEN seen.modified_us IS NULL OR excluded.modified_us > seen.modified_us THEN 1
        ELSE excluded.modified_us = seen.modified_us
            AND (excluded.state IS NOT seen.state
                 OR excluded.publishing_status IS NOT seen.publishing_status)
    END;
END"""

_V3 = _statements(
    # Version 3: each delivery keeps the project state it reported, and a trigger raises
    # ``seen`` as deliveries are inserted, so one INSERT statement stores a whole batch.
    "ALTER TABLE deliveries ADD COLUMN state TEXT",
    "ALTER TABLE deliveries ADD COLUMN publishing_status TEXT",
    _SEEN_TRIGGER.format(key="project_id", new_key="NEW.project_id"),
)

# Version 4: staleness is judged within a family of related facts (webhooks.filters.fact_family),
# so each delivery keeps its family, and the high-water marks and the newest state seen are kept
# per project and family.
_SEEN_BY_FAMILY_TRIGGER = _SEEN_TRIGGER.format(
    key="project_id, family", new_key="NEW.project_id, NEW.family"
)

_OLD_MARK_FAMILIES = ("status", "publishing")
"""Families given a version-3 mark where no handled delivery of the family is left to recompute
it from (the old mark was kept for every type at once, so it stays for both documented
families: nothing goes back in time)."""


def _v4(conn: sqlite3.Connection) -> None:
    """Version 4: a family per delivery; marks and newest states per project and family."""
    conn.execute("ALTER TABLE deliveries ADD COLUMN family TEXT NOT NULL DEFAULT ''")
    types = [row[0] for row in conn.execute("SELECT DISTINCT event_type FROM deliveries")]
    conn.executemany(
        "UPDATE deliveries SET family = ? WHERE event_type = ?",
        [(fact_family(t), t) for t in types],
    )
    conn.execute(
        """CREATE TABLE high_water_v4 (
            project_id TEXT NOT NULL, family TEXT NOT NULL, modified_us INTEGER NOT NULL,
            PRIMARY KEY (project_id, family)
        ) WITHOUT ROWID"""
    )
    conn.execute(
        """INSERT INTO high_water_v4
           SELECT project_id, family, max(modified_us) FROM deliveries
           WHERE status = 'done' AND project_id IS NOT NULL AND modified_us IS NOT NULL
           GROUP BY project_id, family"""
    )
    conn.executemany(
        """INSERT INTO high_water_v4 SELECT h.project_id, ?1, h.modified_us FROM high_water AS h
           WHERE NOT EXISTS (SELECT 1 FROM high_water_v4 AS n
                             WHERE n.project_id = h.project_id AND n.family = ?1)""",
        [(family,) for family in _OLD_MARK_FAMILIES],
    )
    conn.execute("DROP TABLE high_water")
    conn.execute("ALTER TABLE high_water_v4 RENAME TO high_water")
    conn.execute("DROP TRIGGER deliveries_raise_seen")
    conn.execute("DROP TABLE seen")
    conn.execute(
        """CREATE TABLE seen (
            project_id TEXT NOT NULL, family TEXT NOT NULL, modified_us INTEGER, state TEXT,
            publishing_status TEXT, PRIMARY KEY (project_id, family)
        ) WITHOUT ROWID"""
    )
    newest = conn.execute(
        """SELECT project_id, family, modified_us, state, publishing_status, body
           FROM deliveries AS d WHERE project_id IS NOT NULL AND seq = (
               SELECT seq FROM deliveries AS o
               WHERE o.project_id = d.project_id AND o.family = d.family
               ORDER BY o.modified_us IS NULL, o.modified_us DESC, o.seq DESC LIMIT 1)"""
    ).fetchall()
    conn.executemany(  # rows stored before version 3 have their states only in the body
        "INSERT INTO seen VALUES (?, ?, ?, ?, ?)",
        [
            (project, family, modified, *((s, ps) if (s, ps) != (None, None) else _states(body)))
            for project, family, modified, s, ps, body in newest
        ],
    )
    conn.execute(_SEEN_BY_FAMILY_TRIGGER)


MIGRATIONS: tuple[Migration, ...] = (_V1, _v2, _V3, _v4)
LATEST_VERSION = len(MIGRATIONS)


def _version(conn: sqlite3.Connection, where: str) -> int:
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "schema_version" not in tables:
        if tables - {"sqlite_sequence"}:
            raise InboxSchemaError(f"{where} is a SQLite database but not a webhook inbox")
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection, where: str) -> int:
    """Bring the schema to ``LATEST_VERSION`` inside the caller's transaction; the old version."""
    version = _version(conn, where)
    if version > LATEST_VERSION:
        raise InboxSchemaError(
            f"{where} has inbox schema version {version}, written by a newer takeone-async; "
            f"this version reads up to {LATEST_VERSION}"
        )
    for migration in MIGRATIONS[version:]:
        migration(conn)
    if version < LATEST_VERSION:
        conn.execute("DELETE FROM schema_version")
        conn.execute("INSERT INTO schema_version (version) VALUES (?)", (LATEST_VERSION,))
    return version
