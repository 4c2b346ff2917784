"""Initial schema: orchestration_runs, the orchestrationstatus enum and its 15 indexes.

Revision ID: 001_initial_schema
Revises:
Create Date: 2026-11-27

Column for column the schema reference (000_...): 54 columns as its tables list them.
"""

import sqlalchemy as sa
from alembic import op

from bakery_orchestration.db.triggers import (
    create_updated_at_function,
    create_updated_at_trigger,
    drop_updated_at_function,
    drop_updated_at_trigger,
)
from bakery_orchestration.db.types import UUID, JSONDocument, Timestamp, gen_uuid, utcnow

revision = "001_initial_schema"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = ("pending", "running", "completed", "partial_success", "failed", "cancelled")
STEPS = ("forecasting", "production", "procurement", "notification", "ai_insights")
INDEXES = {
    "run_number": ["run_number"],
    "tenant_id": ["tenant_id"],
    "status": ["status"],
    "started_at": ["started_at"],
    "completed_at": ["completed_at"],
    "run_type": ["run_type"],
    "trigger": ["triggered_by"],
    "tenant_status": ["tenant_id", "status"],
    "tenant_type": ["tenant_id", "run_type"],
    "tenant_started": ["tenant_id", "started_at"],
    "status_started": ["status", "started_at"],
    "fulfillment_rate": ["fulfillment_rate"],
    "on_time_delivery_rate": ["on_time_delivery_rate"],
    "cost_accuracy": ["cost_accuracy"],
    "quality_score": ["quality_score"],
}


def _status_enum() -> sa.Enum:
    return sa.Enum(*STATUSES, name="orchestrationstatus", create_constraint=True)


def _counter(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer, nullable=False, server_default=sa.text("0"))


def _step(step: str) -> list[sa.Column]:
    return [
        sa.Column(f"{step}_started_at", Timestamp, nullable=True),
        sa.Column(f"{step}_completed_at", Timestamp, nullable=True),
        sa.Column(f"{step}_status", sa.String(20), nullable=True),
        sa.Column(f"{step}_error", sa.Text, nullable=True),
    ]


def upgrade() -> None:
    create_updated_at_function()
    op.create_table(
        "orchestration_runs",
        sa.Column("id", UUID, primary_key=True, server_default=gen_uuid()),
        sa.Column("run_number", sa.String(50), nullable=False),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("status", _status_enum(), nullable=False, server_default=sa.text("'pending'")),
        sa.Column("run_type", sa.String(50), nullable=False, server_default=sa.text("'scheduled'")),
        sa.Column("priority", sa.String(20), nullable=False, server_default=sa.text("'normal'")),
        sa.Column("started_at", Timestamp, nullable=False, server_default=utcnow()),
        sa.Column("completed_at", Timestamp, nullable=True),
        sa.Column("duration_seconds", sa.Integer, nullable=True),
        *[column for step in STEPS for column in _step(step)],
        _counter("ai_insights_generated"),
        _counter("ai_insights_posted"),
        _counter("forecasts_generated"),
        _counter("production_batches_created"),
        _counter("procurement_plans_created"),
        _counter("purchase_orders_created"),
        _counter("notifications_sent"),
        sa.Column("forecast_data", JSONDocument, nullable=True),
        sa.Column("run_metadata", JSONDocument, nullable=True),
        _counter("retry_count"),
        sa.Column("max_retries_reached", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("error_message", sa.Text, nullable=True),
        sa.Column("error_details", JSONDocument, nullable=True),
        sa.Column("forecast_id", UUID, nullable=True),
        sa.Column("production_schedule_id", UUID, nullable=True),
        sa.Column("procurement_plan_id", UUID, nullable=True),
        _counter("saga_steps_total"),
        _counter("saga_steps_completed"),
        sa.Column("created_at", Timestamp, nullable=False, server_default=utcnow()),
        sa.Column("updated_at", Timestamp, nullable=False, server_default=utcnow()),
        sa.Column("triggered_by", sa.String(100), nullable=True),
        sa.Column("fulfillment_rate", sa.Integer, nullable=True),
        sa.Column("on_time_delivery_rate", sa.Integer, nullable=True),
        sa.Column("cost_accuracy", sa.Integer, nullable=True),
        sa.Column("quality_score", sa.Integer, nullable=True),
    )
    for suffix, columns in INDEXES.items():
        op.create_index(
            f"ix_orchestration_runs_{suffix}",
            "orchestration_runs",
            columns,
            unique=suffix == "run_number",
        )
    create_updated_at_trigger("orchestration_runs")


def downgrade() -> None:
    drop_updated_at_trigger("orchestration_runs")
    for suffix in INDEXES:
        op.drop_index(f"ix_orchestration_runs_{suffix}", table_name="orchestration_runs")
    op.drop_table("orchestration_runs")
    _status_enum().drop(op.get_bind(), checkfirst=True)
    drop_updated_at_function()
