"""Throwaway PostgreSQL databases on the local server for tests.

Every database this test session creates carries the session's prefix and is dropped at the end.
With CI=true an unreachable server fails the test; elsewhere it skips with the reason.
"""

import os
import uuid

import pytest
import sqlalchemy as sa

SERVER_URL = os.environ.get("BAKERY_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432")
SESSION_PREFIX = f"bakery_test_{uuid.uuid4().hex[:8]}"


class PostgresServer:
    def __init__(self, server_url: str = SERVER_URL) -> None:
        self.server_url = server_url
        self._admin = sa.create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
        self._created: list[str] = []

    def reachable(self) -> str | None:
        try:
            with self._admin.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as exc:
            return str(exc.orig).strip().splitlines()[0]
        return None

    def create_database(self) -> str:
        name = f"{SESSION_PREFIX}_{len(self._created)}"
        with self._admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self._created.append(name)
        return f"{self.server_url}/{name}"

    def drop_all(self) -> None:
        with self._admin.connect() as conn:
            for name in self._created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


def require_postgres(server: PostgresServer) -> None:
    problem = server.reachable()
    if problem is None:
        return
    message = f"PostgreSQL at {server.server_url} is unreachable: {problem}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
    pytest.skip(message + "; start it with pg_ctlcluster (see README)")
