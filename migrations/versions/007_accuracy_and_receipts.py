"""sales receipts, validation volume sums and seasonal-naive error, tenant accuracy rules

Revision ID: 007_accuracy_and_receipts
Revises: 005_alerts
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from bakery_orchestration.db.types import JSONDocument, utcnow

revision = "007_accuracy_and_receipts"
down_revision = "005_alerts"
branch_labels = None
depends_on = None

STEP_COUNTERS = (
    "ai_insights_generated",
    "ai_insights_posted",
    "forecasts_generated",
    "production_batches_created",
    "procurement_plans_created",
    "purchase_orders_created",
    "notifications_sent",
)
VALIDATION_SUMS = ("actual_units", "abs_error_units", "naive_abs_error_units", "naive_wape")


def upgrade() -> None:
    op.create_table(
        "sales_receipts",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("partition_date", sa.Date(), nullable=False),
        sa.Column("sales_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("rows_received", sa.Integer(), nullable=True),
        sa.Column("rows_quarantined", sa.Integer(), nullable=True),
        sa.Column(
            "checked_at", sa.DateTime(timezone=True), server_default=utcnow(), nullable=False
        ),
        sa.CheckConstraint(
            "state IN ('received', 'missing', 'closed', 'unreadable')",
            name="ck_sales_receipts_state",
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "partition_date"),
    )
    with op.batch_alter_table("validation_runs") as batch:
        for name in VALIDATION_SUMS:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("accuracy_rules", JSONDocument, nullable=True))
    # A step the run did not execute produced nothing measurable: NULL, not 0.
    with op.batch_alter_table("orchestration_runs") as batch:
        for name in STEP_COUNTERS:
            batch.alter_column(name, existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    for name in STEP_COUNTERS:
        op.execute(f"UPDATE orchestration_runs SET {name} = 0 WHERE {name} IS NULL")
    with op.batch_alter_table("orchestration_runs") as batch:
        for name in STEP_COUNTERS:
            batch.alter_column(name, existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("accuracy_rules")
    with op.batch_alter_table("validation_runs") as batch:
        for name in VALIDATION_SUMS:
            batch.drop_column(name)
    op.drop_table("sales_receipts")
