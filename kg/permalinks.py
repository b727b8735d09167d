"""Query permalinks: a short id for a query's text, kept across restarts.

The id is the first :data:`LENGTH` characters of the text's SHA-256 in URL-safe base64, so the
same query always gets the same id and saving it again only marks it used. The texts are kept in
a small SQLite file in the store's home (``.NAME.hvp/permalinks.sqlite``, kept by
:func:`kg.generations.recover` and by every new generation), or in memory for an in-memory store.
The file is bounded: at most ``most`` queries, each at most ``longest`` characters; past
``most`` the least recently used are dropped.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
import threading
import time
from pathlib import Path

from kg.errors import InputError
from kg.generations import PERMALINKS, home

#: Characters of an id (66 bits: a collision is not expected below billions of queries).
LENGTH = 11
#: Queries kept by default.
MOST = 10_000
_SCHEMA = """CREATE TABLE IF NOT EXISTS permalink (
  id TEXT PRIMARY KEY, query TEXT NOT NULL, created REAL NOT NULL, used REAL NOT NULL)"""


def permalink_id(query: str) -> str:
    digest = hashlib.sha256(query.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:LENGTH]


def _write_ahead(db: sqlite3.Connection, patience: float = 10.0) -> None:
    """Put ``db`` in WAL mode (kept in the file: a second opening finds it set).

    Two processes opening a new file at once (the app and its page workers) can both hold a
    read lock and both ask for the exclusive lock that changing the mode needs: SQLite answers
    one of them "database is locked" at once, without waiting (it would be a deadlock), so the
    change is tried again until ``patience`` seconds have passed.
    """
    deadline = time.monotonic() + patience
    while db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def file_for(store_path: Path) -> Path:
    """Where the permalinks of the on-disk store at ``store_path`` are kept."""
    return home(store_path) / PERMALINKS


class Permalinks:
    """Saved queries by id, in the SQLite file ``path`` (``None``: in memory)."""

    def __init__(self, path: Path | None, most: int = MOST, longest: int = 100_000) -> None:
        self.most, self.longest = most, longest
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(":memory:" if path is None else str(path),
                                   check_same_thread=False, isolation_level=None, timeout=10)
        if path is not None:
            _write_ahead(self._db)
        self._db.execute("BEGIN IMMEDIATE")  # waits for a writer (the busy timeout), never fails
        self._db.execute(_SCHEMA)
        self._db.execute("COMMIT")

    def save(self, query: str) -> str:
        """The id of ``query``, kept (an empty or too long query: :class:`InputError`)."""
        if not query.strip():
            raise InputError("the query is empty: nothing to keep")
        if len(query) > self.longest:
            raise InputError("the query is %(count)s characters long; a permalink keeps at "
                             "most %(longest)s",
                             count=f"{len(query):,}", longest=f"{self.longest:,}")
        key, now = permalink_id(query), time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT INTO permalink VALUES (?, ?, ?, ?) ON CONFLICT(id) "
                                 "DO UPDATE SET used = excluded.used", (key, query, now, now))
                self._db.execute("DELETE FROM permalink WHERE id IN (SELECT id FROM permalink "
                                 "ORDER BY used DESC LIMIT -1 OFFSET ?)", (self.most,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return key

    def load(self, key: str) -> str | None:
        """The query saved as ``key``, or ``None``."""
        with self._lock:
            row = self._db.execute("SELECT query FROM permalink WHERE id = ?",
                                   (key,)).fetchone()
            if row is not None:
                self._db.execute("UPDATE permalink SET used = ? WHERE id = ?", (time.time(), key))
        return None if row is None else str(row[0])

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM permalink").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
