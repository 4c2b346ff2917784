"""The orchestration database as the commands open it. Light on purpose (SQLAlchemy and Alembic
only, no Dagster or pandas), so read-only commands such as ``runs`` and ``status`` start fast."""

import uuid

import click
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.migrate import ensure_schema, schema_state
from bakery_orchestration.db.schema import tenants


def open_engine(ctx: click.Context) -> sa.Engine:
    """The database, migrated if it is the embedded SQLite default; a server database must be
    migrated explicitly (`bakery-orch db upgrade`), so a command never changes its schema."""
    url = ctx.obj["database_url"]
    if make_url(url).get_backend_name() == "sqlite":
        ensure_schema(url)
    else:
        state = schema_state(url)
        if not state.up_to_date:
            raise BakeryError(
                f"the database is at {state.current or 'base'}, the code needs {state.head}: "
                "run `bakery-orch db upgrade` first"
            )
    return create_db_engine(url)


def tenant_id_of(engine: sa.Engine, slug: str) -> uuid.UUID:
    """The id of tenant ``slug``, or a one-line error naming it."""
    with engine.connect() as conn:
        found = conn.execute(sa.select(tenants.c.id).where(tenants.c.slug == slug)).scalar()
    if found is None:
        raise BakeryError(f"no tenant {slug!r}: see `bakery-orch tenants list`")
    return found
