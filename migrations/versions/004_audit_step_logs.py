"""Audit step log (one row per step attempt) and the insights table.

Revision ID: 004_audit_step_logs
Revises: 003_planning
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from bakery_orchestration.db.types import UUID, JSONDocument, Timestamp, utcnow

revision = "004_audit_step_logs"
down_revision = "003_planning"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orchestration_step_logs",
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
    op.create_index("ix_step_logs_run_number", "orchestration_step_logs", ["run_number"])
    op.create_index(
        "ix_step_logs_tenant_date", "orchestration_step_logs", ["tenant_id", "partition_date"]
    )

    op.create_table(
        "insights",
        sa.Column(
            "tenant_id", UUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("partition_date", sa.Date, primary_key=True),
        sa.Column("rank", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("product_id", sa.String(100), nullable=True),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("message", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("insights")
    op.drop_index("ix_step_logs_tenant_date", table_name="orchestration_step_logs")
    op.drop_index("ix_step_logs_run_number", table_name="orchestration_step_logs")
    op.drop_table("orchestration_step_logs")
