"""The step log: one row per step attempt of a run for a (tenant, date), beside
``orchestration_runs`` (the pattern of the reference schemas' execution logs)."""

import sqlalchemy as sa

from bakery_orchestration.db.metadata import metadata
from bakery_orchestration.db.types import UUID, JSONDocument, Timestamp, utcnow

orchestration_step_logs = sa.Table(
    "orchestration_step_logs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_number", sa.String(50), nullable=False),
    sa.Column("dagster_run_id", sa.String(64), nullable=False),
    sa.Column("tenant_id", UUID, nullable=False),
    sa.Column("partition_date", sa.Date, nullable=False),
    sa.Column("step", sa.String(64), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("started_at", Timestamp, nullable=True),
    sa.Column("finished_at", Timestamp, nullable=True),
    sa.Column("duration_seconds", sa.Float, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("details", JSONDocument, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False, server_default=utcnow()),
    sa.UniqueConstraint("dagster_run_id", "tenant_id", "partition_date", "step", "attempt"),
)
sa.Index("ix_step_logs_run_number", orchestration_step_logs.c.run_number)
sa.Index(
    "ix_step_logs_tenant_date",
    orchestration_step_logs.c.tenant_id,
    orchestration_step_logs.c.partition_date,
)
