"""``bakery-orch demo``: complete local mornings for N generated bakeries.

Registers the bakeries and their products, imports their sales history up to the first day run,
drops the sales of the days run as landing files (each morning loads the day before, as a POS
export would arrive), then runs the daily cycle for each tenant and day in order, so every
day's validation scores a real forecast and the UI's plots have a history to show. Dagster's
console logging is silenced; each run's event log is appended to a file instead.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from bakery_orchestration.audit.recorder import finalize_run
from bakery_orchestration.core import settings
from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.core.partitions import partition_key
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.migrate import ensure_schema
from bakery_orchestration.demo.event_log import append_event_log
from bakery_orchestration.demo.generator import DemoBakery, demo_bakeries, demo_products, demo_sales
from bakery_orchestration.demo.landing import write_landing_files
from bakery_orchestration.demo.planning_data import load_demo_planning_data
from bakery_orchestration.instance import register_tenant_partitions
from bakery_orchestration.sales.history import store_sales_history
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.tenants import registry

HISTORY_DAYS = 730


QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass(frozen=True)
class CheckFailure:
    name: str
    severity: str  # WARN | ERROR
    description: str


@dataclass(frozen=True)
class DemoRun:
    tenant: str
    day: date
    success: bool
    run_id: str
    audit_status: str | None = None
    checks_failed: tuple[CheckFailure, ...] = ()
    closed: bool = False

    @property
    def verdict(self) -> str:
        """ok only when the run succeeded and every check passed; failed on a failed run or a
        failed ERROR check; warn on a failed WARN check."""
        if not self.success or any(c.severity == "ERROR" for c in self.checks_failed):
            return "failed"
        return "warn" if self.checks_failed else "ok"


def prepare_tenants(
    engine: sa.Engine,
    count: int,
    day: date,
    history_days: int = HISTORY_DAYS,
    landing_days: int = 2,
) -> list[registry.Tenant]:
    """Register (or refresh) ``count`` demo bakeries with products, planning master data,
    history, and landing files for the last ``landing_days`` days before ``day`` (2: the demo
    runs D-1 and D; 1 when only D runs, so no earlier file looks like late sales)."""
    tenants = []
    for bakery in demo_bakeries(count):
        tenant = _ensure_tenant(engine, bakery)
        registry.upsert_products(engine, bakery.slug, demo_products(bakery))
        load_demo_planning_data(engine, bakery, day)
        sales = demo_sales(bakery, day - timedelta(days=history_days), day - timedelta(days=1))
        cutoff = sales["date"] < (day - timedelta(days=landing_days)).isoformat()
        store_sales_history(engine, tenant.id, sales[cutoff])
        write_landing_files(settings.landing_dir(), bakery.slug, sales[~cutoff])
        tenants.append(tenant)
    return tenants


def _ensure_tenant(engine: sa.Engine, bakery: DemoBakery) -> registry.Tenant:
    try:
        return registry.get_tenant(engine, bakery.slug)
    except BakeryError:
        return registry.add_tenant(
            engine,
            bakery.slug,
            bakery.name,
            tier=bakery.tier,
            country=bakery.country,
            subdivision=bakery.subdivision,
            closed_weekdays=bakery.closed_weekdays,
        )


def run_demo(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    database_url: str,
    *,
    day: date,
    count: int,
    days: int = 2,
    event_log: Path | None = None,
    on_run: Callable[[DemoRun], None] = lambda _run: None,
) -> list[DemoRun]:
    """Run the daily cycle of ``count`` tenants for the ``days`` days ending on ``day``."""
    ensure_schema(database_url)
    engine = create_db_engine(database_url)
    try:
        tenants = prepare_tenants(engine, count, day, landing_days=days)
    finally:
        engine.dispose()
    register_tenant_partitions(instance, tenants)
    job = defs.resolve_job_def("daily_cycle_job")
    database = OrchestrationDatabase(url=database_url)
    runs = []
    for run_day in (day - timedelta(days=n) for n in reversed(range(days))):
        for tenant in tenants:
            result = job.execute_in_process(
                run_config=QUIET,
                partition_key=partition_key(tenant.slug, run_day),
                instance=instance,
                tags={"bakery/run_type": "manual", "bakery/triggered_by": "user:demo"},
                raise_on_error=False,
            )
            final = finalize_run(instance, database, result.run_id)
            if event_log is not None:
                append_event_log(instance, result.run_id, event_log)
            run = _demo_run(tenant.slug, run_day, result, final)
            runs.append(run)
            on_run(run)
    return runs


def _demo_run(tenant: str, day: date, result, final: str | None) -> DemoRun:
    failed = tuple(
        CheckFailure(e.check_name, e.severity.value, e.description or "no description")
        for e in result.get_asset_check_evaluations()
        if not e.passed
    )
    plans = result.asset_materializations_for_node("production_plan")
    closed = bool(plans and plans[-1].metadata.get("closed") and plans[-1].metadata["closed"].value)
    return DemoRun(tenant, day, result.success, result.run_id, final, failed, closed)
