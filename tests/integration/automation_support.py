"""Shared setup for the automation tests: a migrated orchestration database with tenants."""

import sqlalchemy as sa

from bakery_orchestration.db.migrate import upgrade
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.tenants import registry


def migrated_database(url: str) -> OrchestrationDatabase:
    upgrade(url, "heads")
    return OrchestrationDatabase(url=url)


def add_tenants(engine: sa.Engine, *specs: tuple[str, dict]) -> list[registry.Tenant]:
    """Register tenants from (slug, options) pairs; an option ``status`` is applied afterwards."""
    added = []
    for slug, options in specs:
        options = dict(options)
        status = options.pop("status", "active")
        registry.add_tenant(engine, slug, slug.title(), **options)
        added.append(registry.set_status(engine, slug, status))
    return added
