"""``sales_freshness_sensor``: today's sales must be loaded by a configurable local hour.

For every active tenant whose local time is past ``BAKERY_SALES_DEADLINE_HOUR`` (default 10,
read when the sensor is built), today's sales count as loaded only when ``daily_sales`` received
them (or the day is closed): a partition that ran but found no sales (``sales_receipts`` state
``missing``) or could not read them is not loaded. Otherwise it raises (or bumps) a
``sales_freshness`` alert; once they are loaded, the alert is resolved.
"""

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dagster as dg

from bakery_orchestration.audit.alerts import Alert, raise_alert, resolve_alerts
from bakery_orchestration.core.partitions import partition_key
from bakery_orchestration.storage import receipts
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.tenants.registry import Tenant, list_tenants

SALES_FRESHNESS_SENSOR = "sales_freshness_sensor"
DEFAULT_DEADLINE_HOUR = 10


def overdue_partitions(tenants: list[Tenant], now: datetime, deadline_hour: int) -> dict[str, str]:
    """Tenant slug -> today's partition key, for active tenants past the deadline."""
    due = {}
    for tenant in tenants:
        local = now.astimezone(ZoneInfo(tenant.timezone))
        if tenant.status == "active" and local.hour >= deadline_hour:
            due[tenant.slug] = str(partition_key(tenant.slug, local.date()))
    return due


LOADED_STATES = (receipts.RECEIVED, receipts.CLOSED)


def _states(database: OrchestrationDatabase, tenants: list[Tenant], now: datetime) -> dict:
    """Tenant slug -> today's receipt state (None: daily_sales has not run)."""
    with database.engine.connect() as conn:
        return {
            t.slug: receipts.read_state(conn, t.id, now.astimezone(ZoneInfo(t.timezone)).date())
            for t in tenants
        }


def build_sales_freshness_sensor(deadline_hour: int | None = None) -> dg.SensorDefinition:
    hour = deadline_hour
    if hour is None:
        hour = int(os.environ.get("BAKERY_SALES_DEADLINE_HOUR", DEFAULT_DEADLINE_HOUR))

    @dg.sensor(
        name=SALES_FRESHNESS_SENSOR,
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Alerts when a tenant's sales for today are not loaded by {hour:02d}:00 "
        "local time.",
    )
    def sales_freshness_sensor(
        context: dg.SensorEvaluationContext, database: OrchestrationDatabase
    ):
        tenants = list_tenants(database.engine, status="active")
        now = datetime.now(UTC)
        due = overdue_partitions(tenants, now, hour)
        states = _states(database, [t for t in tenants if t.slug in due], now)
        ids = {t.slug: t.id for t in tenants}
        overdue = 0
        for slug, key in due.items():
            state = states.get(slug)
            alert = Alert(
                tenant_id=ids[slug],
                tenant=slug,
                alert_type="sales_freshness",
                dedup_key="daily_sales",
                severity="ERROR",
                message=f"{slug}: daily_sales {key} not loaded by {hour:02d}:00 local time "
                f"({state or 'not run yet'})",
            )
            if state in LOADED_STATES:
                resolve_alerts(database.engine, alert)
            else:
                overdue += 1
                raise_alert(database.engine, alert)
        return dg.SkipReason(f"{overdue} of {len(due)} tenants overdue")

    return sales_freshness_sensor
