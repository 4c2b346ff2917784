"""The tenant partitions sensor and the late sales sensor, evaluated with build_sensor_context
against a real Dagster instance, a migrated SQLite database and landed sales files."""

import os
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from bakery_orchestration.automation.backfills import requested_partitions
from bakery_orchestration.automation.late_sales import late_sales_sensor
from bakery_orchestration.automation.tenant_partitions import (
    partition_changes,
    tenant_partitions_sensor,
)
from bakery_orchestration.definitions import build_definitions
from bakery_orchestration.resources import local_resources
from bakery_orchestration.sales.resources import LocalFilesSalesSource
from bakery_orchestration.tenants import registry
from tests.integration.automation_support import add_tenants, migrated_database

DAILY_SALES = dg.AssetKey("daily_sales")
VALIDATION = dg.AssetKey("forecast_validation")


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture
def database(tmp_path):
    db = migrated_database(f"sqlite:///{tmp_path / 'orchestration.db'}")
    add_tenants(
        db.engine,
        ("bakery-a", {}),
        ("bakery-b", {"timezone": "America/New_York"}),
        ("paused", {"status": "suspended"}),
        ("gone", {"status": "cancelled"}),
    )
    return db


@pytest.fixture
def landing(tmp_path):
    return tmp_path / "landing"


@pytest.fixture
def resources(database, landing):
    return {
        "database": database,
        "sales_source": LocalFilesSalesSource(landing_dir=str(landing), settle_seconds=0),
    }


@pytest.fixture
def evaluate(instance, resources):
    defs = build_definitions(resources={**local_resources(resources["database"].url), **resources})

    def run(sensor, cursor=None):
        context = dg.build_sensor_context(
            instance=instance,
            instance_ref=instance.get_ref(),
            definitions=defs,
            cursor=cursor,
            resources=resources,
        )
        return sensor(context)

    return run


def land(landing, tenant: str, day: date, rows: str = "x,1\n") -> None:
    folder = landing / tenant
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{day.isoformat()}.csv"
    path.write_text(f"date,product,quantity\n{day.isoformat()},{rows}")
    stamp = time.time_ns() - 5_000_000_000  # settled, and distinct per call
    os.utime(path, ns=(stamp, stamp + len(list(landing.rglob("*.csv")))))


def test_partition_changes_add_and_delete_in_batches(database):
    tenants = registry.list_tenants(database.engine)
    changes = partition_changes(tenants, known=["gone", "bakery-a"], batch_size=1)
    assert (changes.add, changes.delete) == (["bakery-b"], ["gone"])
    everything = partition_changes(tenants, known=["gone", "bakery-a"])
    assert everything.add == ["bakery-b", "paused"]


def test_tenant_sensor_adds_active_and_suspended_and_removes_cancelled(instance, evaluate):
    instance.add_dynamic_partitions("tenant", ["gone", "bakery-a"])
    result = evaluate(tenant_partitions_sensor)
    adds, deletes = result.dynamic_partitions_requests
    assert (sorted(adds.partition_keys), list(deletes.partition_keys)) == (
        ["bakery-b", "paused"],
        ["gone"],
    )
    instance.add_dynamic_partitions("tenant", adds.partition_keys)
    instance.delete_dynamic_partition("tenant", "gone")
    assert isinstance(evaluate(tenant_partitions_sensor), dg.SkipReason)
    assert sorted(instance.get_dynamic_partitions("tenant")) == ["bakery-a", "bakery-b", "paused"]


def test_late_sales_become_one_backfill_of_the_past_partitions(instance, evaluate, landing):
    instance.add_dynamic_partitions("tenant", ["bakery-a", "bakery-b", "paused"])
    today = date.today()
    land(landing, "bakery-a", date(2026, 1, 10))
    land(landing, "bakery-a", date(2026, 1, 11))
    land(landing, "bakery-b", date(2026, 1, 10))
    land(landing, "bakery-a", today + timedelta(days=3))  # future morning: the schedule loads it
    land(landing, "stranger", date(2026, 1, 10))  # unknown tenant: logged, skipped
    land(landing, "gone", date(2026, 1, 10))  # cancelled tenant: skipped

    result = evaluate(late_sales_sensor)
    (request,) = result.run_requests
    expected = {"2026-01-11|bakery-a", "2026-01-12|bakery-a", "2026-01-11|bakery-b"}
    covered = requested_partitions(request)
    assert {DAILY_SALES, VALIDATION} <= set(covered)
    assert dg.AssetKey("demand_forecast") not in covered  # the past forecast stays as it was
    assert dg.AssetKey("daily_summary") not in covered  # that morning's summary was sent then
    assert all(partitions == expected for partitions in covered.values())
    assert request.tags == {
        "bakery/run_type": "late_sales",
        "bakery/triggered_by": "sensor:late_sales_sensor",
    }

    again = evaluate(late_sales_sensor, cursor=result.cursor)
    assert not again.run_requests
    assert again.cursor == result.cursor

    land(landing, "bakery-a", date(2026, 1, 10), rows="x,7\n")
    changed = evaluate(late_sales_sensor, cursor=result.cursor)
    (only,) = changed.run_requests
    assert requested_partitions(only)[VALIDATION] == {"2026-01-11|bakery-a"}


def test_todays_partition_is_rerun_only_once_loaded(instance, evaluate, landing):
    instance.add_dynamic_partitions("tenant", ["bakery-a"])
    today = datetime.now(ZoneInfo("Europe/Madrid")).date()  # bakery-a's local day
    yesterday = today - timedelta(days=1)
    land(landing, "bakery-a", yesterday)
    result = evaluate(late_sales_sensor)
    assert not result.run_requests
    today_key = f"{today.isoformat()}|bakery-a"
    instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key=DAILY_SALES, partition=today_key)
    )
    land(landing, "bakery-a", yesterday, rows="x,2\n")
    (request,) = evaluate(late_sales_sensor, cursor=result.cursor).run_requests
    assert requested_partitions(request)[DAILY_SALES] == {today_key}
