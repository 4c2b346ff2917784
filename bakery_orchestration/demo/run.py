"""``bakery-orch demo``: a complete local day for N generated bakeries.

Registers the bakeries and their products, imports their sales history up to three days before
the date, drops the last two days as landing files, then runs the daily cycle for the day before
and for the date itself, so the date's validation scores a real forecast.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg
import sqlalchemy as sa

from bakery_orchestration import settings
from bakery_orchestration.audit.recorder import finalize_run
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.migrate import ensure_schema
from bakery_orchestration.demo.generator import DemoBakery, demo_bakeries, demo_products, demo_sales
from bakery_orchestration.demo.landing import write_landing_files
from bakery_orchestration.demo.planning_data import load_demo_planning_data
from bakery_orchestration.errors import BakeryError
from bakery_orchestration.instance import register_tenant_partitions
from bakery_orchestration.partitions import partition_key
from bakery_orchestration.sales.history import store_sales_history
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.tenants import registry

HISTORY_DAYS = 730


@dataclass(frozen=True)
class DemoRun:
    tenant: str
    day: date
    success: bool
    run_id: str


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
    on_run: Callable[[DemoRun], None] = lambda _run: None,
) -> list[DemoRun]:
    ensure_schema(database_url)
    engine = create_db_engine(database_url)
    try:
        tenants = prepare_tenants(engine, count, day)
    finally:
        engine.dispose()
    register_tenant_partitions(instance, tenants)
    job = defs.resolve_job_def("daily_cycle_job")
    database = OrchestrationDatabase(url=database_url)
    runs = []
    for run_day in (day - timedelta(days=1), day):
        for tenant in tenants:
            result = job.execute_in_process(
                partition_key=partition_key(tenant.slug, run_day),
                instance=instance,
                tags={"bakery/run_type": "manual", "bakery/triggered_by": "user:demo"},
                raise_on_error=False,
            )
            finalize_run(instance, database, result.run_id)
            run = DemoRun(tenant.slug, run_day, result.success, result.run_id)
            runs.append(run)
            on_run(run)
    return runs
