"""Pure rules of the audit trail: run numbers, run types, priorities, step names, final status.

Steps and their ``orchestration_runs`` columns:

| asset               | step column prefix | counters it fills                                     |
|---------------------|--------------------|-------------------------------------------------------|
| demand_forecast     | forecasting_       | forecasts_generated                                   |
| production_plan     | production_        | production_batches_created                            |
| procurement_needs   | procurement_       | procurement_plans_created, purchase_orders_created    |
| daily_summary       | notification_      | notifications_sent, ai_insights_posted                |
| insights            | ai_insights_       | ai_insights_generated                                 |

Other assets (daily_sales, forecast_validation, inventory_projection) appear in the step log and
in the saga counts only.
"""

import hashlib
from collections.abc import Mapping
from datetime import date

STEP_COLUMNS = {
    "demand_forecast": "forecasting",
    "production_plan": "production",
    "procurement_needs": "procurement",
    "daily_summary": "notification",
    "insights": "ai_insights",
}
STEP_COUNTERS = {
    "demand_forecast": ("forecasts_generated",),
    "production_plan": ("production_batches_created",),
    "procurement_needs": ("procurement_plans_created", "purchase_orders_created"),
    "daily_summary": ("notifications_sent", "ai_insights_posted"),
    "insights": ("ai_insights_generated",),
}
TIER_PRIORITY = {"starter": "normal", "professional": "high", "enterprise": "critical"}
RUN_TYPES = ("scheduled", "manual", "backfill", "test")
MAX_RUN_NUMBER = 50


def run_number(day: date, tenant: str, dagster_run_id: str) -> str:
    """``ORCH-20260315-bakery-a-1a2b3c4d``: readable, unique per run and tenant-day, <= 50 chars."""
    suffix = dagster_run_id.replace("-", "")[:8]
    head = f"ORCH-{day:%Y%m%d}-"
    room = MAX_RUN_NUMBER - len(head) - len(suffix) - 1
    if len(tenant) > room:
        digest = hashlib.sha1(tenant.encode()).hexdigest()[:6]
        tenant = f"{tenant[: room - 7]}~{digest}"
    return f"{head}{tenant}-{suffix}"


def run_type(tags: Mapping[str, str]) -> str:
    """scheduled | manual | backfill | test, from the run's tags."""
    explicit = tags.get("bakery/run_type")
    if explicit in RUN_TYPES:
        return explicit
    if "dagster/backfill" in tags:
        return "backfill"
    if "dagster/schedule_name" in tags:
        return "scheduled"
    return "manual"


def triggered_by(tags: Mapping[str, str]) -> str:
    """schedule:NAME, sensor:NAME, backfill:ID or user[:NAME]."""
    if "bakery/triggered_by" in tags:
        return tags["bakery/triggered_by"][:100]
    if "dagster/schedule_name" in tags:
        return f"schedule:{tags['dagster/schedule_name']}"
    if "dagster/sensor_name" in tags:
        return f"sensor:{tags['dagster/sensor_name']}"
    if "dagster/backfill" in tags:
        return f"backfill:{tags['dagster/backfill']}"
    user = tags.get("user") or tags.get("dagster/user")
    return f"user:{user}" if user else "user"


def priority(tier: str) -> str:
    return TIER_PRIORITY.get(tier, "normal")


ESSENTIAL_STEPS = ("daily_sales", "demand_forecast", "production_plan", "procurement_needs")


def final_status(dagster_status: str, steps: Mapping[str, str | None]) -> str:
    """The run's audit status once Dagster says it ended.

    - cancelled: Dagster cancelled the run;
    - failed: an essential step (sales, forecast, production, procurement) failed or never ran;
    - partial_success: the plans exist but a non-essential step failed (validation, the
      notification, insights — e.g. the webhook was down);
    - completed: every step succeeded (or had nothing to do, like a summary for a bakery
      without a webhook).
    """
    if dagster_status == "CANCELED":
        return "cancelled"
    essential = [steps.get(name) for name in ESSENTIAL_STEPS if name in steps]
    if any(status != "success" for status in essential):
        return "failed"
    done = ("success", "skipped")  # skipped: nothing to do, e.g. no webhook configured
    if not any(status in done for status in steps.values()):
        return "failed"
    if dagster_status == "SUCCESS" and all(s in done for s in steps.values()):
        return "completed"
    return "partial_success"
