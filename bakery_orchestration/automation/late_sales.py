"""``late_sales_sensor``: sales that arrive or change after their morning re-run that morning.

Sales dated X are loaded by partition X + 1 (the morning after). A change reported by the sales
source for (tenant, X) is **late** only when partition X + 1 has already loaded its sales
(``daily_sales`` materialized) and the change came after that load. Anything else is not late:
a partition that has not run yet belongs to the daily schedule, and a file that was already
there when the partition loaded was loaded with it. So the first tick after ``bakery-orch demo``
(every file already loaded) requests nothing, whatever the cursor.

A late change re-runs, for that tenant-day only:
- a past day: ``daily_sales``, ``forecast_validation`` and what depends on the validation
  (insights). The forecasts and plans of a past morning record what was decided then; the
  validation scores them against the corrected sales.
- the tenant's current day (still open): the whole daily cycle but the owner's summary, so a
  day planned degraded (its sales missing at cycle time) is re-forecast and re-planned with the
  sales, its ``sales_received`` check passes and the alert resolves. The summary already sent is
  not posted again.

Each re-run is a plain ``RunRequest`` for one tenant-day (public API), keyed by the partition and
the newest change, so the same change never runs twice and a newer one runs again. Unknown or
cancelled tenants are logged and skipped, and so are days that have left the partition window
(``BAKERY_PARTITION_DAYS_KEPT``): a run for them would fail, and their history stays in the
orchestration database. The sensor cursor is the sales source's cursor.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from bakery_orchestration.core.partitions import partition_key, window_start
from bakery_orchestration.framework import tags
from bakery_orchestration.sales.resources import SalesChange, SalesSource
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.tenants.registry import Tenant, list_tenants

LATE_SALES_SENSOR = "late_sales_sensor"
MAX_PAGES_PER_TICK = 20
RERUN_STATUSES = ("active", "suspended")
DAILY_SALES = dg.AssetKey("daily_sales")

# A past day: its sales, their validation and what is derived from the validation.
PAST_DAY_ASSETS = [dg.AssetKey(k) for k in ("daily_sales", "forecast_validation", "insights")]
# The tenant's current day: the whole daily cycle but the summary already sent.
OPEN_DAY_ASSETS = [
    dg.AssetKey(k)
    for k in (
        "daily_sales",
        "demand_forecast",
        "forecast_validation",
        "production_plan",
        "inventory_projection",
        "procurement_needs",
        "insights",
    )
]


@dataclass
class LatePlan:
    """Candidate tenant-days (``date|tenant`` key -> newest change) and skipped changes."""

    changed: dict[str, datetime] = field(default_factory=dict)
    open_days: set[str] = field(default_factory=set)
    future: list[SalesChange] = field(default_factory=list)
    unknown: list[SalesChange] = field(default_factory=list)
    before_start: list[SalesChange] = field(default_factory=list)


def plan_late_partitions(
    changes: Iterable[SalesChange], tenants: Iterable[Tenant], now: datetime
) -> LatePlan:
    """Sort changes into tenant-days that may need a re-run and skipped ones."""
    by_slug = {t.slug: t for t in tenants if t.status in RERUN_STATUSES}
    first_day = window_start(now)  # a rolling window may have moved since the load
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
            continue
        if day < first_day:
            plan.before_start.append(change)
            continue
        key = str(partition_key(tenant.slug, day))
        plan.changed[key] = max(change.changed_at, plan.changed.get(key, change.changed_at))
        if day == today:
            plan.open_days.add(key)
    return plan


def late_partitions(changed: dict[str, datetime], loaded: dict[str, datetime]) -> list[str]:
    """Tenant-days whose sales changed after the partition last loaded them."""
    return sorted(key for key, at in changed.items() if key in loaded and at > loaded[key])


def _read_changes(source: SalesSource, cursor: str | None) -> tuple[list[SalesChange], str | None]:
    changes: list[SalesChange] = []
    for _ in range(MAX_PAGES_PER_TICK):
        page = source.changes_since(cursor)
        changes.extend(page.items)
        cursor = page.next_cursor
        if not page.has_more:
            break
    return changes, cursor


def last_loaded(instance: dg.DagsterInstance, partitions: Iterable[str]) -> dict[str, datetime]:
    """When ``daily_sales`` last materialized each partition (absent: never)."""
    wanted = sorted(set(partitions))
    if not wanted:
        return {}
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=DAILY_SALES, asset_partitions=wanted),
        limit=len(wanted) * 20,
    ).records
    loaded: dict[str, datetime] = {}
    for record in records:
        at = datetime.fromtimestamp(record.timestamp, UTC)
        key = record.partition_key
        if key is not None and at > loaded.get(key, at - timedelta(seconds=1)):
            loaded[key] = at
    return loaded


def rerun_request(key: str, changed_at: datetime, open_day: bool) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=f"late_sales:{key}:{changed_at.isoformat()}",
        partition_key=key,
        asset_selection=OPEN_DAY_ASSETS if open_day else PAST_DAY_ASSETS,
        tags={
            tags.RUN_TYPE: "backfill",  # an audit run type of the reference schema
            "bakery/late_sales_scope": "open_day" if open_day else "past_day",
            **tags.triggered_by("sensor", LATE_SALES_SENSOR),
        },
    )


@dg.sensor(
    name=LATE_SALES_SENSOR,
    asset_selection=OPEN_DAY_ASSETS,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Re-runs a tenant-day whose sales arrived or changed after its morning loaded "
    "them: validation for a past day, forecast and plans too for the day still open.",
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
            f"skipped {len(plan.future)} changes for future mornings and "
            f"{len(plan.before_start)} for days that left the partition window"
        )
    late = late_partitions(plan.changed, last_loaded(context.instance, plan.changed))
    if not late:
        return dg.SensorResult(
            skip_reason="no tenant-day loaded its sales before they changed", cursor=cursor
        )
    context.log.info(f"re-running {late}")
    requests = [rerun_request(k, plan.changed[k], k in plan.open_days) for k in late]
    return dg.SensorResult(run_requests=requests, cursor=cursor)
