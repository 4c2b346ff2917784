"""``late_sales_sensor``: sales that arrive or change after their morning re-run the past.

Sales dated X are loaded by partition X + 1 (the morning after). When the sales source reports a
change for a tenant and sales date X with X + 1 before the tenant's local today, partition X + 1
is re-run. Today's partition is re-run only once its ``daily_sales`` has been materialized;
before that the daily schedule loads the changed sales itself. Future partitions are skipped, and
so are changes for tenants that are unknown or cancelled (logged).

All changes of one tick become ONE asset backfill of ``daily_sales``, ``forecast_validation`` and
what depends on ``forecast_validation`` in the daily graph, for exactly those partitions. The past
forecasts and plans (``demand_forecast``, planning) are not recomputed: they record what was
decided that morning, and the validation scores them against the corrected sales. The sensor
cursor is the sales source's cursor, so a change never triggers twice.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from bakery_orchestration.automation import tags
from bakery_orchestration.automation.backfills import asset_backfill_request
from bakery_orchestration.jobs import DAILY_GROUPS
from bakery_orchestration.partitions import date_partitions, partition_key
from bakery_orchestration.sales.resources import SalesChange, SalesSource
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.tenants.registry import Tenant, list_tenants

LATE_SALES_SENSOR = "late_sales_sensor"
MAX_PAGES_PER_TICK = 20
RERUN_STATUSES = ("active", "suspended")

# Late sales repair the day's sales, its validation and what is derived from them (insights);
# the owner's summary for that morning was delivered then and is not posted again.
LATE_SALES_SELECTION = (
    (
        dg.AssetSelection.assets("daily_sales", "forecast_validation")
        | dg.AssetSelection.assets("forecast_validation").downstream()
    )
    & dg.AssetSelection.groups(*DAILY_GROUPS)
) - dg.AssetSelection.assets("daily_summary")


@dataclass
class LatePlan:
    partitions: set[str] = field(default_factory=set)
    today: set[str] = field(default_factory=set)
    future: list[SalesChange] = field(default_factory=list)
    unknown: list[SalesChange] = field(default_factory=list)
    before_start: list[SalesChange] = field(default_factory=list)


def plan_late_partitions(
    changes: Iterable[SalesChange], tenants: Iterable[Tenant], now: datetime
) -> LatePlan:
    """Sort changes into past partitions to re-run (``date|tenant`` keys) and skipped ones."""
    by_slug = {t.slug: t for t in tenants if t.status in RERUN_STATUSES}
    first_day = date_partitions.start.date()
    plan = LatePlan()
    for change in changes:
        tenant = by_slug.get(change.tenant)
        if tenant is None:
            plan.unknown.append(change)
            continue
        day = change.day + timedelta(days=1)
        today = now.astimezone(ZoneInfo(tenant.timezone)).date()
        if day > today:
            plan.future.append(change)
        elif day < first_day:
            plan.before_start.append(change)
        elif day == today:
            plan.today.add(str(partition_key(tenant.slug, day)))
        else:
            plan.partitions.add(str(partition_key(tenant.slug, day)))
    return plan


def _read_changes(source: SalesSource, cursor: str | None) -> tuple[list[SalesChange], str | None]:
    changes: list[SalesChange] = []
    for _ in range(MAX_PAGES_PER_TICK):
        page = source.changes_since(cursor)
        changes.extend(page.items)
        cursor = page.next_cursor
        if not page.has_more:
            break
    return changes, cursor


def _already_loaded(instance: dg.DagsterInstance, partitions: set[str]) -> set[str]:
    if not partitions:
        return set()
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=dg.AssetKey("daily_sales"), asset_partitions=sorted(partitions)
        ),
        limit=len(partitions) * 10,
    ).records
    return {r.partition_key for r in records if r.partition_key in partitions}


@dg.sensor(
    name=LATE_SALES_SENSOR,
    asset_selection=LATE_SALES_SELECTION,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="One asset backfill per tick re-validating the past days whose sales arrived or "
    "changed late.",
)
def late_sales_sensor(
    context: dg.SensorEvaluationContext,
    sales_source: SalesSource,
    database: OrchestrationDatabase,
):
    changes, cursor = _read_changes(sales_source, context.cursor)
    if not changes:
        return dg.SensorResult(skip_reason="no sales changed", cursor=cursor)
    plan = plan_late_partitions(changes, list_tenants(database.engine), datetime.now(UTC))
    for change in plan.unknown:
        context.log.warning(f"sales change for unknown or cancelled tenant {change.tenant!r}")
    if plan.future or plan.before_start:
        context.log.info(
            f"skipped {len(plan.future)} changes for today's or future mornings and "
            f"{len(plan.before_start)} before the first partition"
        )
    plan.partitions |= _already_loaded(context.instance, plan.today)
    if not plan.partitions:
        return dg.SensorResult(skip_reason="no past partition to re-run", cursor=cursor)
    asset_graph = context.repository_def.asset_graph
    request = asset_backfill_request(
        asset_graph,
        LATE_SALES_SELECTION.resolve(asset_graph),
        plan.partitions,
        tags={tags.RUN_TYPE: "late_sales", **tags.triggered_by("sensor", LATE_SALES_SENSOR)},
    )
    context.log.info(f"backfilling {sorted(plan.partitions)}")
    return dg.SensorResult(run_requests=[request], cursor=cursor)
