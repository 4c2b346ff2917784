"""DDL that keeps ``updated_at`` true for every UPDATE, whoever issues it.

PostgreSQL: one shared trigger function ``set_updated_at()`` and a BEFORE UPDATE trigger per
table. SQLite: an AFTER UPDATE trigger per table that stamps the row again (SQLite does not fire
triggers recursively by default, so the stamp does not loop). Used by the Alembic revisions.
"""

from alembic import op

PG_FUNCTION = "set_updated_at"


def _trigger_name(table: str) -> str:
    return f"trg_{table}_updated_at"


def create_updated_at_function() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger AS $$
            BEGIN
                NEW.updated_at = now();
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
            """
        )


def drop_updated_at_function() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")


def create_updated_at_trigger(table: str, key: str = "id") -> None:
    name = _trigger_name(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER {name} AFTER UPDATE ON {table} FOR EACH ROW BEGIN "
            f"UPDATE {table} SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') "
            f"WHERE {key} = NEW.{key}; END"
        )


def drop_updated_at_trigger(table: str) -> None:
    name = _trigger_name(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
