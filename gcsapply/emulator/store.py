"""SQLite storage: one file, WAL, one connection guarded by a lock, survives restarts.

Everything is scoped by project id. Rows come back as dicts; the free-form part of a record
lives in its ``doc`` column as JSON and is decoded into ``row["doc"]``. The store only stores:
it knows no HTTP and computes no status (see ``lifecycle``).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tenants (project_id TEXT PRIMARY KEY, seeded_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS environments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, project_id TEXT NOT NULL,
    name TEXT NOT NULL, source TEXT NOT NULL, default_env INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS templates (hash TEXT PRIMARY KEY, content BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS workflows (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, project_id TEXT NOT NULL,
    name TEXT NOT NULL, scope TEXT NOT NULL, template_hash TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS workflows_by_name ON workflows (project_id, name);
CREATE TABLE IF NOT EXISTS tools (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, project_id TEXT NOT NULL,
    name TEXT NOT NULL, version TEXT NOT NULL, scope TEXT NOT NULL, category TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS executions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, project_id TEXT NOT NULL,
    name TEXT NOT NULL, workflow_id TEXT NOT NULL, workflow_name TEXT NOT NULL,
    batch_name TEXT NOT NULL DEFAULT '', priority INTEGER NOT NULL DEFAULT 0,
    template_hash TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    doc TEXT NOT NULL, ops TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS executions_by_project ON executions (project_id, created_at);
CREATE INDEX IF NOT EXISTS executions_by_workflow ON executions (workflow_id);
CREATE TABLE IF NOT EXISTS tokens (
    digest TEXT PRIMARY KEY, user TEXT NOT NULL, domain TEXT NOT NULL, project_id TEXT NOT NULL,
    project_name TEXT NOT NULL, issued_at REAL NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS cromwell (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, project_id TEXT NOT NULL,
    name TEXT NOT NULL, workflow_name TEXT NOT NULL, created_at REAL NOT NULL,
    aborted_at REAL, doc TEXT NOT NULL);
"""
_DATA_TABLES = ("tenants", "environments", "templates", "workflows", "tools", "executions",
                "tokens", "cromwell")


class Store:
    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- generic ------------------------------------------------------------------------------
    def transaction(self):
        """``with store.transaction():`` -- one atomic unit (re-entrant within a thread)."""
        return _Transaction(self)

    def rows(self, sql: str, args=()) -> list[dict]:
        with self._lock:
            return [_decode(r) for r in self._db.execute(sql, args).fetchall()]

    def row(self, sql: str, args=()) -> dict | None:
        found = self.rows(sql, args)
        return found[0] if found else None

    def scalar(self, sql: str, args=()):
        with self._lock:
            result = self._db.execute(sql, args).fetchone()
        return result[0] if result else None

    def execute(self, sql: str, args=()) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    def insert(self, table: str, record: dict) -> None:
        self.insert_many(table, [record])

    def insert_many(self, table: str, records: list[dict]) -> None:
        if not records:
            return
        columns = list(records[0])
        sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
               f"VALUES ({', '.join('?' for _ in columns)})")
        values = [tuple(_encode(r[c]) for c in columns) for r in records]
        with self.transaction():
            self._db.executemany(sql, values)

    def update(self, table: str, key_column: str, key, changes: dict) -> int:
        sets = ", ".join(f"{c} = ?" for c in changes)
        args = [_encode(v) for v in changes.values()] + [key]
        return self.execute(f"UPDATE {table} SET {sets} WHERE {key_column} = ?", args)

    def reset(self) -> None:
        """Forget every resource (the clock offset in ``meta`` is kept)."""
        with self.transaction():
            for table in _DATA_TABLES:
                self._db.execute(f"DELETE FROM {table}")

    # --- meta and templates -------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return default if value is None else value

    def set_meta(self, key: str, value: str) -> None:
        self.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def put_template(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        self.execute("INSERT OR IGNORE INTO templates (hash, content) VALUES (?, ?)",
                     (digest, content))
        return digest

    def get_template(self, digest: str) -> bytes | None:
        return self.scalar("SELECT content FROM templates WHERE hash = ?", (digest,))

    # --- tenants ------------------------------------------------------------------------------
    def tenant_seeded(self, project_id: str) -> bool:
        return self.scalar("SELECT 1 FROM tenants WHERE project_id = ?", (project_id,)) is not None

    def mark_tenant(self, project_id: str, at: float) -> None:
        self.execute("INSERT OR IGNORE INTO tenants (project_id, seeded_at) VALUES (?, ?)",
                     (project_id, at))

    # --- scoped look-ups shared by the backend -------------------------------------------------
    def get(self, table: str, project_id: str, record_id: str, *, public: bool = False) -> dict | None:
        """A record of ``project_id`` (or a public one when ``public``), by id."""
        if public:
            return self.row(f"SELECT * FROM {table} WHERE id = ? AND (project_id = ? OR scope = "
                            "'public')", (record_id, project_id))
        return self.row(f"SELECT * FROM {table} WHERE id = ? AND project_id = ?",
                        (record_id, project_id))

    def delete(self, table: str, record_id: str) -> int:
        return self.execute(f"DELETE FROM {table} WHERE id = ?", (record_id,))


class _Transaction:
    def __init__(self, store: Store):
        self.store = store
        self.outer = False

    def __enter__(self):
        self.store._lock.acquire()
        self.outer = not self.store._db.in_transaction
        if self.outer:
            self.store._db.execute("BEGIN IMMEDIATE")
        return self.store

    def __exit__(self, exc_type, exc, tb):
        try:
            if self.outer:
                self.store._db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.store._lock.release()
        return False


def _encode(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return value


def _decode(row: sqlite3.Row) -> dict:
    record = dict(row)
    for column in ("doc", "ops"):
        if isinstance(record.get(column), str):
            record[column] = json.loads(record[column])
    return record
