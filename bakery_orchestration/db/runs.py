"""The ``orchestration_runs`` audit table, column for column as the schema reference specifies.

The reference (../shared/reference/000_...) says "47 columns" in its summary, but its column
tables list 54: the tables are the specification. See docs/SCHEMA_DOCUMENTATION.md.
"""

import enum

import sqlalchemy as sa

from bakery_orchestration.db.metadata import metadata
from bakery_orchestration.db.types import UUID, JSONDocument, Timestamp, gen_uuid, utcnow


class OrchestrationStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    PARTIAL_SUCCESS = "partial_success"
    FAILED = "failed"
    CANCELLED = "cancelled"


STEPS = ("forecasting", "production", "procurement", "notification", "ai_insights")

orchestration_status = sa.Enum(
    *[s.value for s in OrchestrationStatus],
    name="orchestrationstatus",
    create_constraint=True,
)


def _zero() -> sa.TextClause:
    return sa.text("0")


def _step_columns(step: str) -> list[sa.Column]:
    return [
        sa.Column(f"{step}_started_at", Timestamp, nullable=True),
        sa.Column(f"{step}_completed_at", Timestamp, nullable=True),
        sa.Column(f"{step}_status", sa.String(20), nullable=True),
        sa.Column(f"{step}_error", sa.Text, nullable=True),
    ]


def _counter(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer, nullable=False, server_default=_zero())


def _step_counter(name: str) -> sa.Column:
    """What a step produced: NULL when the run did not execute the step (nothing measured)."""
    return sa.Column(name, sa.Integer, nullable=True, server_default=_zero())


orchestration_runs = sa.Table(
    "orchestration_runs",
    metadata,
    # Primary identification
    sa.Column("id", UUID, primary_key=True, server_default=gen_uuid()),
    sa.Column("run_number", sa.String(50), nullable=False),
    # Run details
    sa.Column("tenant_id", UUID, nullable=False),
    sa.Column("status", orchestration_status, nullable=False, server_default=sa.text("'pending'")),
    sa.Column("run_type", sa.String(50), nullable=False, server_default=sa.text("'scheduled'")),
    sa.Column("priority", sa.String(20), nullable=False, server_default=sa.text("'normal'")),
    # Timing
    sa.Column("started_at", Timestamp, nullable=False, server_default=utcnow()),
    sa.Column("completed_at", Timestamp, nullable=True),
    sa.Column("duration_seconds", sa.Integer, nullable=True),
    # Step tracking
    *_step_columns("forecasting"),
    *_step_columns("production"),
    *_step_columns("procurement"),
    *_step_columns("notification"),
    *_step_columns("ai_insights"),
    _step_counter("ai_insights_generated"),
    _step_counter("ai_insights_posted"),
    # Results summary
    _step_counter("forecasts_generated"),
    _step_counter("production_batches_created"),
    _step_counter("procurement_plans_created"),
    _step_counter("purchase_orders_created"),
    _step_counter("notifications_sent"),
    # Data storage
    sa.Column("forecast_data", JSONDocument, nullable=True),
    sa.Column("run_metadata", JSONDocument, nullable=True),
    # Error handling
    _counter("retry_count"),
    sa.Column("max_retries_reached", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("error_message", sa.Text, nullable=True),
    sa.Column("error_details", JSONDocument, nullable=True),
    # External references
    sa.Column("forecast_id", UUID, nullable=True),
    sa.Column("production_schedule_id", UUID, nullable=True),
    sa.Column("procurement_plan_id", UUID, nullable=True),
    # Saga tracking
    _counter("saga_steps_total"),
    _counter("saga_steps_completed"),
    # Audit fields
    sa.Column("created_at", Timestamp, nullable=False, server_default=utcnow()),
    sa.Column("updated_at", Timestamp, nullable=False, server_default=utcnow(), onupdate=utcnow()),
    sa.Column("triggered_by", sa.String(100), nullable=True),
    # Performance metrics (percent, 0-100)
    sa.Column("fulfillment_rate", sa.Integer, nullable=True),
    sa.Column("on_time_delivery_rate", sa.Integer, nullable=True),
    sa.Column("cost_accuracy", sa.Integer, nullable=True),
    sa.Column("quality_score", sa.Integer, nullable=True),
)

_ix = "ix_orchestration_runs_"
sa.Index(f"{_ix}run_number", orchestration_runs.c.run_number, unique=True)
sa.Index(f"{_ix}tenant_id", orchestration_runs.c.tenant_id)
sa.Index(f"{_ix}status", orchestration_runs.c.status)
sa.Index(f"{_ix}started_at", orchestration_runs.c.started_at)
sa.Index(f"{_ix}completed_at", orchestration_runs.c.completed_at)
sa.Index(f"{_ix}run_type", orchestration_runs.c.run_type)
sa.Index(f"{_ix}trigger", orchestration_runs.c.triggered_by)
sa.Index(f"{_ix}tenant_status", orchestration_runs.c.tenant_id, orchestration_runs.c.status)
sa.Index(f"{_ix}tenant_type", orchestration_runs.c.tenant_id, orchestration_runs.c.run_type)
sa.Index(f"{_ix}tenant_started", orchestration_runs.c.tenant_id, orchestration_runs.c.started_at)
sa.Index(f"{_ix}status_started", orchestration_runs.c.status, orchestration_runs.c.started_at)
sa.Index(f"{_ix}fulfillment_rate", orchestration_runs.c.fulfillment_rate)
sa.Index(f"{_ix}on_time_delivery_rate", orchestration_runs.c.on_time_delivery_rate)
sa.Index(f"{_ix}cost_accuracy", orchestration_runs.c.cost_accuracy)
sa.Index(f"{_ix}quality_score", orchestration_runs.c.quality_score)
