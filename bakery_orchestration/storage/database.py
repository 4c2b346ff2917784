"""The orchestration database as a Dagster resource."""

import uuid
from functools import cache

import dagster as dg
import sqlalchemy as sa

from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.db.engine import shared_engine
from bakery_orchestration.db.migrate import ensure_schema
from bakery_orchestration.db.schema import tenants


class OrchestrationDatabase(dg.ConfigurableResource):
    """Where outputs, master data and the audit trail live (SQLite or PostgreSQL)."""

    url: str
    auto_migrate: bool = False
    """Upgrade the schema to head on first use (the embedded default; production migrates
    explicitly with `bakery-orch db upgrade`)."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if self.auto_migrate:
            ensure_schema(self.url)

    @property
    def engine(self) -> sa.Engine:
        return shared_engine(self.url)

    def tenant_id(self, slug: str) -> uuid.UUID:
        return _tenant_id(self.url, slug)


@cache
def _tenant_id(url: str, slug: str) -> uuid.UUID:
    with shared_engine(url).connect() as conn:
        found = conn.execute(sa.select(tenants.c.id).where(tenants.c.slug == slug)).scalar()
    if found is None:
        raise BakeryError(f"tenant {slug} is not in the registry: `bakery-orch tenants add {slug}`")
    return found
