"""The tenant partitions sensor, the late sales sensor and the partition status sensor,
evaluated with build_sensor_context against a real Dagster instance, a migrated SQLite database
and landed sales files."""

import json
import os
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from bakery_orchestration.automation import status_cache
from bakery_orchestration.automation.jobs import DAILY_GROUPS
from bakery_orchestration.automation.late_sales import (
    OPEN_DAY_ASSETS,
    PAST_DAY_ASSETS,
    late_sales_sensor,
)
from bakery_orchestration.automation.status_cache import partition_status_sensor
from bakery_orchestration.automation.tenant_partitions import (
    partition_changes,
    tenant_partitions_sensor,
)
from bakery_orchestration.core.partitions import tenant_day_partitions
from bakery_orchestration.definitions import build_definitions
from bakery_orchestration.resources import local_resources
from bakery_orchestration.sales.resources import LocalFilesSalesSource
from bakery_orchestration.tenants import registry
from tests.dagster_state import clear_stale_state_storage
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
        clear_stale_state_storage()  # see tests/dagster_state.py
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
    """Land a sales file; its change time (ctime) is now, its mtime settled and distinct."""
    folder = landing / tenant
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{day.isoformat()}.csv"
    path.write_text(f"date,product,quantity\n{day.isoformat()},{rows}")
    stamp = time.time_ns() - 5_000_000_000
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


def loaded(instance, *keys: str) -> None:
    """daily_sales materialized for these partitions now (as a morning run would)."""
    for key in keys:
        instance.report_runless_asset_event(dg.AssetMaterialization(DAILY_SALES, partition=key))


def test_files_there_before_their_morning_loaded_are_not_late(instance, evaluate, landing):
    """The first tick after `bakery-orch demo`: every file was loaded by its partition, and
    files of partitions that never ran belong to the schedule: no run requested."""
    instance.add_dynamic_partitions("tenant", ["bakery-a", "bakery-b"])
    land(landing, "bakery-a", date(2026, 1, 10))
    land(landing, "bakery-a", date(2026, 1, 11))  # its partition never ran
    land(landing, "bakery-b", date(2026, 1, 10))
    loaded(instance, "2026-01-11|bakery-a", "2026-01-11|bakery-b")
    result = evaluate(late_sales_sensor)
    assert not result.run_requests
    assert "no tenant-day loaded its sales before they changed" in result.skip_reason


def test_sales_changed_after_their_morning_rerun_that_past_day(instance, evaluate, landing):
    instance.add_dynamic_partitions("tenant", ["bakery-a", "bakery-b", "paused"])
    loaded(instance, "2026-01-11|bakery-a", "2026-01-12|bakery-a", "2026-01-11|bakery-b")
    land(landing, "bakery-a", date(2026, 1, 10))
    land(landing, "bakery-a", date(2026, 1, 11))
    land(landing, "bakery-b", date(2026, 1, 10))
    land(landing, "bakery-a", date(2026, 1, 20))  # never ran: the schedule's
    land(landing, "bakery-a", date.today() + timedelta(days=3))  # a future morning
    land(landing, "stranger", date(2026, 1, 10))  # unknown tenant: logged, skipped
    land(landing, "gone", date(2026, 1, 10))  # cancelled tenant: skipped

    result = evaluate(late_sales_sensor)
    # bakery-a's two late days share one range run; bakery-b's one day is a plain request.
    ranged, single = sorted(result.run_requests, key=lambda r: r.partition_key or "")
    assert single.partition_key == "2026-01-11|bakery-b"
    assert ranged.partition_key is None
    assert (
        ranged.tags["dagster/asset_partition_range_start"],
        ranged.tags["dagster/asset_partition_range_end"],
    ) == ("2026-01-11|bakery-a", "2026-01-12|bakery-a")
    request = ranged
    assert request.asset_selection == PAST_DAY_ASSETS
    assert dg.AssetKey("demand_forecast") not in request.asset_selection  # the past stays
    assert dg.AssetKey("daily_summary") not in request.asset_selection  # sent that morning
    assert {k: v for k, v in single.tags.items()} == {
        "bakery/run_type": "backfill",
        "bakery/late_sales_scope": "past_day",
        "bakery/triggered_by": "sensor:late_sales_sensor",
    }
    assert request.run_key.startswith("late_sales:2026-01-11|bakery-a..2026-01-12|bakery-a:")

    again = evaluate(late_sales_sensor, cursor=result.cursor)
    assert not again.run_requests
    assert again.cursor == result.cursor

    land(landing, "bakery-a", date(2026, 1, 10), rows="x,7\n")
    (only,) = evaluate(late_sales_sensor, cursor=result.cursor).run_requests
    assert only.partition_key == "2026-01-11|bakery-a"
    assert only.run_key != request.run_key  # a newer change runs again


def test_the_open_day_is_replanned_when_its_sales_arrive(instance, evaluate, landing):
    instance.add_dynamic_partitions("tenant", ["bakery-a"])
    today = datetime.now(ZoneInfo("Europe/Madrid")).date()  # bakery-a's local day
    today_key = f"{today.isoformat()}|bakery-a"
    loaded(instance, today_key)  # the morning ran without the file: degraded
    land(landing, "bakery-a", today - timedelta(days=1))
    (request,) = evaluate(late_sales_sensor).run_requests
    assert request.partition_key == today_key
    assert request.asset_selection == OPEN_DAY_ASSETS
    assert dg.AssetKey("demand_forecast") in request.asset_selection
    assert dg.AssetKey("daily_summary") not in request.asset_selection
    assert request.tags["bakery/late_sales_scope"] == "open_day"


def test_rerun_selections_match_the_asset_graph(evaluate, resources):
    defs = build_definitions(resources={**local_resources(resources["database"].url), **resources})
    graph = defs.get_repository_def().asset_graph
    daily = dg.AssetSelection.groups(*DAILY_GROUPS) - dg.AssetSelection.assets(
        "forecast_model", "daily_summary"
    )
    past = (
        dg.AssetSelection.assets("daily_sales")
        | dg.AssetSelection.assets("forecast_validation").downstream()
    ) & daily
    assert set(PAST_DAY_ASSETS) == past.resolve(graph)
    assert set(OPEN_DAY_ASSETS) == daily.resolve(graph)


# --- partition_status_sensor -------------------------------------------------------------------


def _cached_status(instance, key: dg.AssetKey):
    record = next(iter(instance.get_asset_records([key])), None)
    return record.asset_entry.cached_status if record else None


def _materialize_runless(instance, key: dg.AssetKey, tenant: str, day: date) -> None:
    partition = dg.MultiPartitionKey({"tenant": tenant, "date": day.isoformat()})
    instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=partition))


def test_status_sensor_rebuilds_each_tenant_day_asset_once_per_window(instance, evaluate):
    """What the sensor does: after a change of the window (first tick, a tenant added) every
    tenant x day asset's status cache is rebuilt and holds its materialized partitions; with no
    change a tick rebuilds nothing."""
    instance.add_dynamic_partitions("tenant", ["bakery-a"])
    day = date(2025, 3, 4)
    for key in (DAILY_SALES, VALIDATION):
        _materialize_runless(instance, key, "bakery-a", day)
        instance.wipe_asset_cached_status([key])
        assert _cached_status(instance, key) is None

    result = evaluate(partition_status_sensor)
    cursor = json.loads(result.cursor)
    rebuilt = {dg.AssetKey.from_user_string(k) for k in cursor["done"]}
    assets = build_definitions().get_repository_def().assets_defs_by_key
    multi = {
        k for k, a in assets.items() if isinstance(a.partitions_def, dg.MultiPartitionsDefinition)
    }
    assert len(rebuilt) == 8 and rebuilt == multi  # forecast_model (per tenant) is cheap to rebuild
    assert (
        f"rebuilt the partition status of {len(rebuilt)} assets" in result.skip_reason.skip_message
    )
    for key in (DAILY_SALES, VALIDATION):
        assert _cached_status(instance, key) is not None
    sold, not_yet = (
        dg.MultiPartitionKey({"tenant": "bakery-a", "date": d})
        for d in ("2025-03-04", "2025-03-05")
    )
    status = instance.get_status_by_partition(DAILY_SALES, [sold, not_yet], tenant_day_partitions)
    assert status == {sold: dg.AssetPartitionStatus.MATERIALIZED, not_yet: None}

    again = evaluate(partition_status_sensor, cursor=result.cursor)
    assert isinstance(again, dg.SkipReason)
    assert again.skip_message.startswith("partition status current for window 2025-01-01/1:")

    before = _cached_status(instance, DAILY_SALES).partitions_def_id
    instance.add_dynamic_partitions("tenant", ["bakery-b"])
    after_add = evaluate(partition_status_sensor, cursor=result.cursor)
    assert json.loads(after_add.cursor)["window"].startswith("2025-01-01/2:")
    assert (
        f"rebuilt the partition status of {len(rebuilt)} assets"
        in after_add.skip_reason.skip_message
    )
    assert _cached_status(instance, DAILY_SALES).partitions_def_id != before


def test_status_sensor_spreads_the_rebuild_over_ticks(instance, evaluate, monkeypatch):
    """Past the tick budget the rest waits for the next tick; nothing is rebuilt twice."""
    monkeypatch.setattr(status_cache, "TICK_BUDGET_S", -1.0)
    instance.add_dynamic_partitions("tenant", ["bakery-a"])
    first = evaluate(partition_status_sensor)
    assert len(json.loads(first.cursor)["done"]) == 1
    assert first.skip_reason.skip_message.endswith("left for the next tick")
    second = evaluate(partition_status_sensor, cursor=first.cursor)
    done = json.loads(second.cursor)["done"]
    assert len(done) == 2 and len(set(done)) == 2
