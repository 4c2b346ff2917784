"""Engines for the orchestration database, tuned per dialect.

SQLite is the embedded default and is written by several run workers and the daemon at once, so
every connection gets WAL journaling, a busy timeout and enforced foreign keys. PostgreSQL gets a
pre-ping so a pool survives server restarts.
"""

from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _configure_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_db_engine(url: str) -> sa.Engine:
    """A new engine for ``url``; SQLite files get their folder created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        sa.event.listen(engine, "connect", _configure_sqlite)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


@cache
def shared_engine(url: str) -> sa.Engine:
    """One engine per URL per process, so repeated steps reuse the connection pool."""
    return create_db_engine(url)
