"""A tenant's scored days from ``validation_runs``, as the accuracy rules read them."""

import uuid
from datetime import date

import sqlalchemy as sa

from bakery_orchestration.db.schema import tenants, validation_runs
from bakery_orchestration.validation.rules import AccuracyRules, ScoredDay


def scored_days(conn: sa.Connection, tenant_id: uuid.UUID, after: date, until: date) -> list:
    """Scored days of partitions in (after, until], oldest first (days with sales only)."""
    v = validation_runs.c
    query = (
        sa.select(v.actual_units, v.abs_error_units, v.naive_abs_error_units)
        .where(
            v.tenant_id == tenant_id,
            v.partition_date > after,
            v.partition_date <= until,
            v.actual_units.is_not(None),
        )
        .order_by(v.partition_date)
    )
    return [
        ScoredDay(float(a), float(e), None if n is None else float(n))
        for a, e, n in conn.execute(query)
    ]


def tenant_rules(conn: sa.Connection, tenant_id: uuid.UUID) -> AccuracyRules:
    """The default rules with the tenant's overrides."""
    overrides = conn.execute(
        sa.select(tenants.c.accuracy_rules).where(tenants.c.id == tenant_id)
    ).scalar()
    return AccuracyRules.for_tenant(overrides)
