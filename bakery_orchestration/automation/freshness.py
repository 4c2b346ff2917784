"""``sales_freshness_sensor``: today's sales must be loaded by a configurable local hour.

For every active tenant whose local time is past ``BAKERY_SALES_DEADLINE_HOUR`` (default 10,
read when the sensor is built), a missing ``daily_sales`` materialization for the tenant's local
today raises (or bumps) a ``sales_freshness`` alert; once it is there, the alert is resolved.
"""

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dagster as dg

from bakery_orchestration.automation.alerts import Alert, raise_alert, resolve_alerts
from bakery_orchestration.partitions import partition_key
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.tenants.registry import Tenant, list_tenants

SALES_FRESHNESS_SENSOR = "sales_freshness_sensor"
DEFAULT_DEADLINE_HOUR = 10
DAILY_SALES = dg.AssetKey("daily_sales")


def overdue_partitions(tenants: list[Tenant], now: datetime, deadline_hour: int) -> dict[str, str]:
    """Tenant slug -> today's partition key, for active tenants past the deadline."""
    due = {}
    for tenant in tenants:
        local = now.astimezone(ZoneInfo(tenant.timezone))
        if tenant.status == "active" and local.hour >= deadline_hour:
            due[tenant.slug] = str(partition_key(tenant.slug, local.date()))
    return due


def _loaded(instance: dg.DagsterInstance, partitions: list[str]) -> set[str]:
    if not partitions:
        return set()
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=DAILY_SALES, asset_partitions=partitions),
        limit=len(partitions) * 10,
    ).records
    return {r.partition_key for r in records}


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
        due = overdue_partitions(tenants, datetime.now(UTC), hour)
        loaded = _loaded(context.instance, sorted(due.values()))
        ids = {t.slug: t.id for t in tenants}
        for slug, key in due.items():
            alert = Alert(
                tenant_id=ids[slug],
                tenant=slug,
                alert_type="sales_freshness",
                dedup_key="daily_sales",
                severity="ERROR",
                message=f"{slug}: daily_sales {key} not loaded by {hour:02d}:00 local time",
            )
            if key in loaded:
                resolve_alerts(database.engine, alert)
            else:
                raise_alert(database.engine, alert)
        return dg.SkipReason(f"{len(due) - len(loaded)} of {len(due)} tenants overdue")

    return sales_freshness_sensor
