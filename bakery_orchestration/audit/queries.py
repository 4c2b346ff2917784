"""The four query patterns of the schema reference, each shaped to use its documented index
(index names below drop the ``ix_orchestration_runs_`` prefix).

- active_runs: tenant_id = ? AND status IN ('pending', 'running') -> tenant_status
- run_history: tenant_id = ? AND started_at BETWEEN ? AND ? -> tenant_started
- performance_summary: tenant_id = ? AND status = 'completed' AND started_at > ?
  -> tenant_started (or tenant_status)
- failed_runs: status = 'failed' AND retry_count < 3 AND NOT max_retries_reached -> status
  (or status_started)
"""

import uuid
from datetime import datetime

import sqlalchemy as sa

from bakery_orchestration.db.schema import orchestration_runs as runs

LIST_COLUMNS = [
    runs.c.run_number,
    runs.c.status,
    runs.c.run_type,
    runs.c.priority,
    runs.c.triggered_by,
    runs.c.started_at,
    runs.c.completed_at,
    runs.c.duration_seconds,
    runs.c.forecasts_generated,
    runs.c.production_batches_created,
    runs.c.purchase_orders_created,
    runs.c.notifications_sent,
    runs.c.error_message,
]


def active_runs(tenant_id: uuid.UUID) -> sa.Select:
    return (
        sa.select(*LIST_COLUMNS)
        .where(runs.c.tenant_id == tenant_id, runs.c.status.in_(["pending", "running"]))
        .order_by(runs.c.started_at.desc())
    )


def run_history(tenant_id: uuid.UUID, start: datetime, end: datetime) -> sa.Select:
    return (
        sa.select(*LIST_COLUMNS)
        .where(runs.c.tenant_id == tenant_id, runs.c.started_at.between(start, end))
        .order_by(runs.c.started_at.desc())
    )


def performance_summary(tenant_id: uuid.UUID, since: datetime) -> sa.Select:
    return sa.select(
        sa.func.count().label("runs"),
        sa.func.avg(runs.c.fulfillment_rate).label("fulfillment_rate"),
        sa.func.avg(runs.c.on_time_delivery_rate).label("on_time_delivery_rate"),
        sa.func.avg(runs.c.cost_accuracy).label("cost_accuracy"),
        sa.func.avg(runs.c.quality_score).label("quality_score"),
        sa.func.avg(runs.c.duration_seconds).label("duration_seconds"),
    ).where(
        runs.c.tenant_id == tenant_id,
        runs.c.status == "completed",
        runs.c.started_at > since,
    )


def failed_runs(limit: int = 100) -> sa.Select:
    return (
        sa.select(*LIST_COLUMNS, runs.c.retry_count, runs.c.tenant_id)
        .where(
            runs.c.status == "failed",
            runs.c.retry_count < 3,
            runs.c.max_retries_reached.is_(False),
        )
        .order_by(runs.c.started_at.desc())
        .limit(limit)
    )


def run_by_number(run_number: str) -> sa.Select:
    return sa.select(runs).where(runs.c.run_number == run_number)
