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

Late past days batch like the schedule and the UI's backfills (``BackfillPolicy``): the sensor
turns them into rectangles of the tenant x day partitions — consecutive days of one tenant, and
the same days of tenants adjacent in partition order — of at most
``BAKERY_BACKFILL_PARTITIONS_PER_RUN`` tenant-days, each one ``RunRequest`` over a partition range
(the public ``dagster/asset_partition_range_start`` / ``_end`` tags); a lone tenant-day is a
plain one-partition request. The tenant's open day is always its own request (its selection
differs). A request's run key names its range and the newest change in it, so the same changes
never run twice and a newer one runs again. Unknown or cancelled tenants are logged and skipped,
and so are days that have left the partition window (``BAKERY_PARTITION_DAYS_KEPT``): a run for
them would fail, and their history stays in the orchestration database. The sensor cursor is the
sales source's cursor.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from bakery_orchestration.core.batches import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    backfill_partitions_per_run,
)
from bakery_orchestration.core.partitions import partition_key, split_key, window_start
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


def _tags(open_day: bool) -> dict[str, str]:
    return {
        tags.RUN_TYPE: "backfill",  # an audit run type of the reference schema
        "bakery/late_sales_scope": "open_day" if open_day else "past_day",
        **tags.triggered_by("sensor", LATE_SALES_SENSOR),
    }


def rerun_request(key: str, changed_at: datetime, open_day: bool) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=f"late_sales:{key}:{changed_at.isoformat()}",
        partition_key=key,
        asset_selection=OPEN_DAY_ASSETS if open_day else PAST_DAY_ASSETS,
        tags=_tags(open_day),
    )


def past_day_rectangles(
    keys: Iterable[str], tenant_order: list[str], size: int
) -> list[tuple[str, str]]:
    """Cover the past tenant-days ``keys`` with (first key, last key) ranges of at most ``size``
    tenant-days, each a rectangle of the tenant x day partitions: consecutive days of tenants
    adjacent in ``tenant_order`` (the dynamic partitions' order), every covered key in ``keys``."""
    return [(start, end) for start, end, _ in _rectangles(keys, tenant_order, size)]


def _rectangles(
    keys: Iterable[str], tenant_order: list[str], size: int
) -> list[tuple[str, str, list[str]]]:
    """``past_day_rectangles``, each with the keys it covers."""
    days_by_tenant: dict[str, list] = {}
    for key in keys:
        tenant, day = split_key(key)
        days_by_tenant.setdefault(tenant, []).append(day)
    spans: dict[tuple, list[str]] = {}  # (first day, last day) -> tenants
    for tenant, days in days_by_tenant.items():
        days.sort()
        run = [days[0]]
        for day in [*days[1:], None]:
            if day is not None and day == run[-1] + timedelta(days=1) and len(run) < size:
                run.append(day)
                continue
            spans.setdefault((run[0], run[-1]), []).append(tenant)
            if day is not None:
                run = [day]
    position = {slug: index for index, slug in enumerate(tenant_order)}
    ranges = []
    for (first, last), tenants in sorted(spans.items()):
        width = (last - first).days + 1
        tenants.sort(key=lambda t: position.get(t, len(position)))
        group: list[str] = []
        for tenant in [*tenants, None]:
            adjacent = (
                tenant is not None
                and group
                and tenant in position
                and group[-1] in position
                and position[tenant] == position[group[-1]] + 1
                and (len(group) + 1) * width <= size
            )
            if adjacent:
                group.append(tenant)
                continue
            if group:
                covered = [
                    str(partition_key(t, first + timedelta(days=i)))
                    for t in group
                    for i in range(width)
                ]
                ranges.append((covered[0], covered[-1], covered))
            group = [tenant] if tenant is not None else []
    return ranges


def past_day_requests(
    late: list[str], changed: dict[str, datetime], tenant_order: list[str], size: int
) -> list[dg.RunRequest]:
    requests = []
    for start, end, covered in _rectangles(late, tenant_order, size):
        if start == end:
            requests.append(rerun_request(start, changed[start], open_day=False))
            continue
        newest = max(changed[k] for k in covered)
        requests.append(
            dg.RunRequest(
                run_key=f"late_sales:{start}..{end}:{newest.isoformat()}",
                asset_selection=PAST_DAY_ASSETS,
                tags={**_tags(False), RANGE_START_TAG: start, RANGE_END_TAG: end},
            )
        )
    return requests


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
    open_days = [k for k in late if k in plan.open_days]
    requests = [rerun_request(k, plan.changed[k], True) for k in open_days]
    requests += past_day_requests(
        [k for k in late if k not in plan.open_days],
        plan.changed,
        context.instance.get_dynamic_partitions("tenant"),
        backfill_partitions_per_run(),
    )
    return dg.SensorResult(run_requests=requests, cursor=cursor)
