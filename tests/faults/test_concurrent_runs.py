"""Fault: two runs of one tenant-day at once, on SQLite and PostgreSQL.

Real concurrent writers: threads with their own connections writing the same partition through
the IO manager many times over (before the per-tenant-day lock, PostgreSQL failed on the primary
key), and two real run processes of the daily job started together. Rows equal a clean run's.
"""

import os
import subprocess
import threading
import uuid
from datetime import timedelta

import dagster as dg
import pandas as pd
import pytest

from bakery_orchestration.core.partitions import partition_key
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.migrate import ensure_schema
from bakery_orchestration.framework.io_manager import OrchestrationIOManager, PartitionTables
from bakery_orchestration.tenants.registry import add_tenant
from tests.faults.conftest import partition_rows
from tests.integration.audit_world import DAY, killable_command

# One worker builds the shared world once per dialect (the fixture is session-scoped).
pytestmark = pytest.mark.xdist_group("faults")

WRITERS = 5
ROUNDS = 4


def _write_concurrently(manager, key, tables: PartitionTables) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def write() -> None:
        context = dg.build_output_context(asset_key=dg.AssetKey("daily_sales"), partition_key=key)
        start.wait()
        try:
            manager.handle_output(context, tables)
        except BaseException as error:  # noqa: BLE001 - the test reports every writer's failure
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_writers_of_one_tenant_day_take_turns(empty_db_url, record_fault):
    ensure_schema(empty_db_url)
    engine = create_db_engine(empty_db_url)
    tenant = add_tenant(engine, "bakery-a", "Bakery A")
    day = DAY
    products = [f"product-{number}" for number in range(12)]
    sales = pd.DataFrame(
        {"product_id": products, "quantity": 3.0, "sales_date": day - timedelta(days=1)}
    )
    manager = OrchestrationIOManager(url=empty_db_url)
    key = partition_key(tenant.slug, day)
    failures = []
    for _ in range(ROUNDS):
        failures += _write_concurrently(manager, key, PartitionTables(sales))
    after = partition_rows(engine, tenant.id, day)
    engine.dispose()
    clean = {**after, "daily_sales": len(products), "sales_quarantine": 0}
    outcome = (
        f"{WRITERS} writers x {ROUNDS} rounds on one tenant-day: {len(failures)} failed, "
        f"{after['daily_sales']} rows kept"
    )
    lost, duplicated = record_fault("two writers of one tenant-day", outcome, clean, after)
    assert failures == [], f"{len(failures)} writers failed, first: {failures[0]!r}"
    assert after == clean
    assert (lost, duplicated) == (0, 0)


def test_two_runs_of_one_tenant_day_at_once(world, record_fault):
    tenant = world.tenants[0]
    env = {**os.environ, "BAKERY_HOME": str(world.home)}
    root = world.instance.root_directory
    run_ids = [str(uuid.uuid4()) for _ in range(2)]
    processes = [
        subprocess.Popen(
            killable_command(world.url, root, tenant.slug, DAY, run_id),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for run_id in run_ids
    ]
    errors = [process.communicate(timeout=300)[1].decode() for process in processes]
    statuses = [world.instance.get_run_by_id(run_id).status for run_id in run_ids]
    after = partition_rows(world.engine, tenant.id, DAY)
    outcome = f"two daily runs of {tenant.slug} {DAY} at once: " + ", ".join(
        status.value.lower() for status in statuses
    )
    lost, duplicated = record_fault(
        "two runs of one tenant-day at once", outcome, world.clean_rows[tenant.slug], after
    )
    assert statuses == [dg.DagsterRunStatus.SUCCESS] * 2, errors
    assert (lost, duplicated) == (0, 0)
