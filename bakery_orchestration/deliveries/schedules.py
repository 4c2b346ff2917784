"""Delivery tracking every hour at minute 30 (Europe/Madrid), as a one-op job.

The op checks every open purchase order of the active tenants against the real current time
(not the tick's), so a run that waited in the queue still judges the orders correctly. Its
optional ``now`` config (ISO 8601 with an offset) replays the tracking at another instant.
"""

from datetime import UTC, datetime

import dagster as dg

from bakery_orchestration.deliveries.service import track_deliveries
from bakery_orchestration.deliveries.tracking import window_from_environment
from bakery_orchestration.framework import tags
from bakery_orchestration.storage.database import OrchestrationDatabase

DELIVERY_TRACKING_SCHEDULE = "delivery_tracking_schedule"
MAX_RUNTIME_SECONDS = 1800


class DeliveryTrackingConfig(dg.Config):
    now: str | None = None
    """Evaluate at this instant instead of the current time (ISO 8601 with an offset)."""


@dg.op(out=dg.Out(dg.Nothing))
def delivery_tracking(
    context: dg.OpExecutionContext, config: DeliveryTrackingConfig, database: OrchestrationDatabase
) -> dg.Output:
    """Raise arriving-soon, overdue and receipt-incomplete alerts for open purchase orders."""
    now = datetime.fromisoformat(config.now) if config.now else datetime.now(UTC)
    window = window_from_environment()
    summary = track_deliveries(database.engine, now, window)
    for line in summary.raised:
        context.log.warning(f"raised {line}")
    context.log.info(f"{summary.orders_checked} open orders checked: {dict(summary.outcomes)}")
    return dg.Output(
        None,
        metadata={
            "orders_checked": summary.orders_checked,
            "raised": summary.outcomes["raised"],
            "repeated": summary.outcomes["repeated"],
            "resolved": summary.outcomes["resolved"],
            "window": f"{window.label} tenant-local",
        },
    )


@dg.job(
    tags={"dagster/max_runtime": str(MAX_RUNTIME_SECONDS), tags.RUN_TYPE: "delivery_tracking"},
    description="Check open purchase orders against their delivery window and alert operators.",
)
def delivery_tracking_job():
    delivery_tracking()


@dg.schedule(
    name=DELIVERY_TRACKING_SCHEDULE,
    job=delivery_tracking_job,
    cron_schedule="30 * * * *",
    execution_timezone="Europe/Madrid",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Hourly at :30: delivery alerts for open purchase orders of active tenants.",
)
def delivery_tracking_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    tick = context.scheduled_execution_time
    return dg.RunRequest(
        run_key=tick.isoformat(),
        tags=tags.triggered_by("schedule", DELIVERY_TRACKING_SCHEDULE),
    )
