"""alerts raised by the automation

Revision ID: 005_alerts
Revises: 004_audit_step_logs
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from bakery_orchestration.db.types import gen_uuid, utcnow

revision = "005_alerts"
down_revision = "004_audit_step_logs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("alert_type", sa.String(length=60), nullable=False),
        sa.Column("dedup_key", sa.String(length=300), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "first_seen", sa.DateTime(timezone=True), server_default=utcnow(), nullable=False
        ),
        sa.Column("last_seen", sa.DateTime(timezone=True), server_default=utcnow(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("occurrences", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("severity IN ('WARN', 'ERROR')", name="ck_alerts_severity"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_alerts_open",
        "alerts",
        ["tenant_id", "alert_type", "dedup_key", "resolved_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_alerts_open", table_name="alerts")
    op.drop_table("alerts")
