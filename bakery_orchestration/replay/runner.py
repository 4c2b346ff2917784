"""The replay's day loop. Each morning D, in this order, as the deployment would live it:

1. the retraining schedule's ticks since the last morning (the first morning instead trains the
   model once through ``retrain_model_job``, as of D);
2. the sales of D - 1 land as a file (unless ``missing-sales@D``), then ``late_sales_sensor``
   ticks, as it would have before 08:00;
3. ``daily_cycle_job`` runs for the tenant-day, then ``alert_sensor`` ticks;
4. with ``missing-sales@D`` the file lands now, after the cycle; ``late_sales_sensor`` and
   ``alert_sensor`` tick again;
5. the step's report is read back from what the product wrote (``observe``).

The sensors decide everything: what is late, what is re-run, which alert opens or resolves.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd

from bakery_orchestration.automation.alert_sensor import ALERT_SENSOR
from bakery_orchestration.automation.late_sales import LATE_SALES_SENSOR
from bakery_orchestration.automation.schedules import (
    WEEKLY_RETRAINING_SCHEDULE,
    ScheduleSettings,
)
from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.core.names import IO_MANAGER_KEY
from bakery_orchestration.core.partitions import date_partitions, partition_key
from bakery_orchestration.db.migrate import ensure_schema
from bakery_orchestration.definitions import build_definitions
from bakery_orchestration.framework.io_manager import OrchestrationIOManager
from bakery_orchestration.notifications.resources import WebhookNotifier
from bakery_orchestration.replay import inject, observe
from bakery_orchestration.replay.cron import ticks_between
from bakery_orchestration.replay.inputs import ReplaySales, mornings, sales_of
from bakery_orchestration.replay.report import DayReport, ReplayReport, RunNote
from bakery_orchestration.replay.ticks import DAILY_JOB, RETRAIN_JOB, Machinery
from bakery_orchestration.replay.world import create_tenant
from bakery_orchestration.sales.landing_files import sales_file
from bakery_orchestration.sales.resources import LocalFilesSalesSource
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.tenants.registry import Tenant

RUN_TAGS = {"bakery/run_type": "manual", "bakery/triggered_by": "user:replay"}


@dataclass(frozen=True)
class ReplayPlan:
    file: str
    start: date
    days: int
    tenant: str
    country: str | None
    injections: inject.Injections


def replay_resources(home: Path, database_url: str) -> dict:
    database = OrchestrationDatabase(url=database_url)  # migrated once by run_replay
    return {
        "database": database,
        IO_MANAGER_KEY: OrchestrationIOManager(url=database_url),
        # Files land whole and once here, so the guard against rewrites within one timestamp
        # tick (1 s by default) can be short: it costs its length on every landing.
        "sales_source": LocalFilesSalesSource(
            landing_dir=str(home / "landing"), settle_seconds=0.1
        ),
        "notifier": WebhookNotifier(),
    }


def run_replay(
    plan: ReplayPlan,
    sales: ReplaySales,
    home: Path,
    database_url: str | None = None,
    on_day: Callable[[DayReport], None] = lambda _day: None,
) -> ReplayReport:
    """Replay ``plan`` in ``home`` (landing files, Dagster instance, SQLite by default)."""
    if date_partitions.start.date() > plan.start:
        raise BakeryError(
            f"--start {plan.start} is before the first partition "
            f"({date_partitions.start.date()}); set BAKERY_PARTITION_START"
        )
    url = database_url or f"sqlite:///{home / 'orchestration.db'}"
    resources = replay_resources(home, url)
    began = time.monotonic()
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    with dg.DagsterInstance.local_temp(tempdir=str(home / "dagster")) as instance:
        ensure_schema(url)
        machinery = Machinery(build_definitions(resources), instance, resources["database"])
        world = _World(plan, sales, home, machinery)
        days = [
            world.replay_morning(morning, on_day) for morning in mornings(plan.start, plan.days)
        ]
    report = ReplayReport(plan.tenant, plan.file, days, sales.rows_read, sales.rows_skipped)
    report.seconds = round(time.monotonic() - began, 1)
    return report


class _World:
    def __init__(self, plan: ReplayPlan, sales: ReplaySales, home: Path, machinery: Machinery):
        self.plan = plan
        self.machinery = machinery
        self.sales = inject.with_demand_drops(sales.sales, plan.injections)
        self.landing = home / "landing"
        self.tenant: Tenant = create_tenant(
            machinery.database.engine,
            machinery.instance,
            plan.tenant,
            plan.country,
            self.sales,
            plan.start,
        )
        self.schedules = ScheduleSettings.from_environment()
        self.last_morning: datetime | None = None

    def replay_morning(self, morning: date, on_day: Callable[[DayReport], None]) -> DayReport:
        started = datetime.now(UTC)
        clock = time.monotonic()
        missing = self.plan.injections.on(inject.MISSING_SALES, morning)
        notes = self._models(morning)
        if not missing:
            notes += self._land(morning)
        notes.append(
            self.machinery.run(
                DAILY_JOB, "cycle", partition_key(self.tenant.slug, morning), tags=RUN_TAGS
            )
        )
        notes += self.machinery.tick_sensor(ALERT_SENSOR)
        if missing:
            notes += self._land(morning)
            notes += self.machinery.tick_sensor(ALERT_SENSOR)
        window = observe.Window(started, datetime.now(UTC))
        day = self._observe(morning, notes, window)
        day.seconds = round(time.monotonic() - clock, 1)
        on_day(day)
        return day

    def _models(self, morning: date) -> list[RunNote]:
        """The model as production keeps it: trained once before the first morning, then
        whatever the weekly retraining schedule decides at its ticks since the last morning."""
        at = datetime.combine(morning, datetime.min.time()).replace(
            hour=self.schedules.cycle_hour, tzinfo=ZoneInfo(self.tenant.timezone)
        )
        last, self.last_morning = self.last_morning, at
        if last is None:
            config = {"as_of": morning.isoformat(), "reason": "replay: first model"}
            run_config = {"ops": {"forecast_model": {"config": config}}}
            return [
                self.machinery.run(
                    RETRAIN_JOB, "first model", self.tenant.slug, run_config=run_config
                )
            ]
        cron, zone = self.schedules.retraining_cron, self.schedules.retraining_timezone
        notes = []
        for tick in ticks_between(cron, zone, last, at):
            as_of = {"ops": {"forecast_model": {"config": {"as_of": tick.date().isoformat()}}}}
            notes += self.machinery.tick_schedule(WEEKLY_RETRAINING_SCHEDULE, tick, as_of)
        return notes

    def _land(self, morning: date) -> list[RunNote]:
        """The sales of the day before land (garbled with ``bad-rows``; a header alone when
        nothing was sold); the late-sales sensor ticks once the file has settled, as the daemon
        would see it."""
        day = morning - timedelta(days=1)
        rows = inject.landing_rows(
            sales_of(self.sales, day), garbage=self.plan.injections.on(inject.BAD_ROWS, morning)
        )
        path = sales_file(self.landing, self.tenant.slug, day)
        path.parent.mkdir(parents=True, exist_ok=True)
        rows.to_csv(path, index=False)
        time.sleep(_settle_seconds(self.machinery) + 0.05)
        return self.machinery.tick_sensor(LATE_SALES_SENSOR)

    def _observe(self, morning: date, notes: list[RunNote], window) -> DayReport:
        instance = self.machinery.instance
        cycle = next(n for n in notes if n.kind == "cycle")
        with self.machinery.database.engine.connect() as conn:
            row = observe.audit_row(conn, self.tenant.slug, morning, cycle.run_id)
            degraded = observe.degraded_reason(instance, cycle.run_id, row)
            opened, resolved = observe.alert_changes(conn, window)
            audit_status = str(row.status) if row is not None else None
            return DayReport(
                date=morning,
                status="degraded" if degraded else audit_status,
                audit_status=audit_status,
                degraded=degraded,
                injected=self.plan.injections.for_morning(morning),
                checks_failed=observe.failed_checks(instance, notes),
                alerts_opened=opened,
                alerts_resolved=resolved,
                wape=observe.day_wape(conn, self.tenant.id, morning),
                units_baked=observe.units_baked(conn, instance, self.tenant, morning),
                units_sold=_units_sold(self.sales, morning),
                runs=notes,
            )


def _units_sold(sales: pd.DataFrame, day: date) -> float | None:
    """What the bakery sold on ``day`` in the replayed world (after any demand drop); None past
    the end of the file."""
    if day > sales["date"].max():
        return None
    return round(float(sales_of(sales, day)["quantity"].sum()), 3)


def _settle_seconds(machinery: Machinery) -> float:
    return machinery.defs.resources["sales_source"].settle_seconds
