"""Tenant batches for real, on SQLite and PostgreSQL: three tenants' daily cycle in one run (a
partition range), each with its own audit row and the same results as a run of its own; and a
batch in which one tenant's sales are garbage: its blocking input check fails on its own
tenant-day only (the other two show passing checks and get no alert), the batch fails naming
that tenant and ``batch_split_sensor`` splits it into one run per tenant, where only the broken
tenant fails."""

from datetime import timedelta

import dagster as dg
import pytest
import sqlalchemy as sa

from bakery_orchestration.audit.recorder import finalize_run
from bakery_orchestration.automation.alert_sensor import alert_sensor
from bakery_orchestration.automation.batch_split import batch_split_sensor
from bakery_orchestration.core.batches import Batch
from bakery_orchestration.core.partitions import partition_key
from bakery_orchestration.db.schema import alerts, demand_forecasts
from bakery_orchestration.demo.generator import demo_bakeries, demo_sales
from bakery_orchestration.demo.landing import write_landing_files
from tests.conftest import DIALECTS
from tests.integration.audit_world import DAY, prepared_world, run_failure_context

# One worker runs the module in order: the alert test reads the state the batch left.
pytestmark = pytest.mark.xdist_group("tenant_batches")


@pytest.fixture(scope="module", params=DIALECTS)
def world(request, tmp_path_factory, postgres_server):
    home = tmp_path_factory.mktemp("batch_home")
    with prepared_world(request.param, home, postgres_server, tenants=3) as built:
        yield built


def run_batch(world, day) -> dg.ExecuteInProcessResult:
    batch = Batch(tuple(t.slug for t in world.tenants), day, 0)
    result = world.job.execute_in_process(
        instance=world.instance, tags=batch.tags(), raise_on_error=False
    )
    finalize_run(world.instance, world.database, result.run_id)
    return result


def forecast_rows(world, tenant, day) -> list[tuple]:
    table = demand_forecasts
    query = (
        sa.select(table.c.product_id, table.c.target_date, table.c.p10, table.c.p50, table.c.p90)
        .where(table.c.tenant_id == tenant.id, table.c.partition_date == day)
        .order_by(table.c.product_id, table.c.target_date)
    )
    with world.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


def batch_rows(world, run_id) -> dict[str, dict]:
    rows = [r for r in world.rows() if r["run_metadata"]["dagster_run_id"] == run_id]
    by_tenant = {t.id: t.slug for t in world.tenants}
    return {by_tenant[r["tenant_id"]]: r for r in rows}


@pytest.fixture(scope="module")
def runs(world):
    """The day before as a batch (it trains both models), the day for the first tenant
    alone, then the day as a batch."""
    before = run_batch(world, DAY - timedelta(days=1))
    alone = world.run(world.tenants[0].slug, DAY)
    single_rows = forecast_rows(world, world.tenants[0], DAY)
    batch = run_batch(world, DAY)
    return {"before": before, "alone": alone, "batch": batch, "single_rows": single_rows}


def test_a_batch_run_audits_each_tenant_day_on_its_own_row(world, runs):
    assert runs["before"].success and runs["batch"].success
    slugs = [t.slug for t in world.tenants]
    rows = batch_rows(world, runs["batch"].run_id)
    assert sorted(rows) == sorted(slugs)
    for slug, row in rows.items():
        assert row["status"] == "completed", slug
        assert row["run_number"].startswith(f"ORCH-20260316-{slug}-")
        assert row["forecasts_generated"] == 12 * 7
        assert row["saga_steps_total"] == row["saga_steps_completed"] == 8
        assert row["run_metadata"]["tenant_batch"] == ",".join(slugs)
        assert row["run_metadata"]["tenant_days_in_run"] == 3
        assert row["forecast_data"]["products"] == 12
    assert len({row["run_number"] for row in rows.values()}) == 3


def test_a_tenant_in_a_batch_gets_what_it_gets_alone(world, runs):
    assert runs["alone"].success
    rows = forecast_rows(world, world.tenants[0], DAY)
    assert len(rows) == 12 * 7
    assert rows == runs["single_rows"]


def test_dagster_sees_every_tenant_day_materialized_and_checked(world, runs):
    result = runs["batch"]
    materialized = world.instance.get_materialized_partitions(dg.AssetKey("demand_forecast"))
    for tenant in world.tenants:
        assert str(partition_key(tenant.slug, DAY)) in materialized
    planned = [
        e
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
        and e.asset_key == dg.AssetKey("production_plan")
    ]
    assert len(planned) == 3
    metadata = planned[0].step_materialization_data.materialization.metadata
    assert metadata["tenant_days"].value == 3
    per_tenant = metadata["per_tenant_day"].value
    assert sorted(per_tenant) == sorted(str(partition_key(t.slug, DAY)) for t in world.tenants)
    assert metadata["total_batches"].value == sum(v["batches"] for v in per_tenant.values())
    checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks["forecast_accuracy"].metadata["tenant_days_checked"].value == 3
    assert checks["sales_input_quality"].passed


def alert_tenants(world, dedup_key: str) -> set:
    """Tenants with an open alert for ``dedup_key`` after the alert sensor's tick."""
    context = dg.build_sensor_context(
        instance=world.instance, resources={"database": world.database}
    )
    alert_sensor(context)
    query = sa.select(alerts.c.tenant_id).where(
        alerts.c.dedup_key == dedup_key, alerts.c.resolved_at.is_(None)
    )
    with world.engine.connect() as conn:
        return set(conn.execute(query).scalars())


def check_verdicts(world, check: str, day) -> dict:
    """The check's latest evaluation on each tenant's partition of ``day``, as the UI reads it."""
    key = dg.AssetCheckKey(dg.AssetKey("daily_sales"), check)
    history = world.instance.event_log_storage.get_asset_check_execution_history(key, limit=500)
    found = {}
    for tenant in world.tenants:
        partition = str(partition_key(tenant.slug, day))
        latest = next((r for r in history if r.partition == partition), None)  # newest first
        found[tenant.slug] = latest.status.value if latest else None
    return found


def test_alerts_from_a_batch_stay_per_tenant(world, runs):
    result = runs["batch"]
    accuracy = next(
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.asset_check_evaluation_data.check_name == "forecast_accuracy"
        and e.asset_check_evaluation_data.partition is None  # the one result over the batch
    )
    verdicts = accuracy.metadata["tenant_day_verdicts"].value
    assert sorted(v["partition"] for v in verdicts) == sorted(
        str(partition_key(t.slug, DAY)) for t in world.tenants
    )
    failing = {v["partition"] for v in verdicts if not v["passed"]}
    raised = alert_tenants(world, "forecast_validation:forecast_accuracy")
    expected = {t.id for t in world.tenants if str(partition_key(t.slug, DAY)) in failing}
    assert raised == expected
    assert None not in raised


def land_day(world, day, garbage_for: str) -> None:
    """Land the sales dated ``day`` for every tenant (none on its closed weekday); one tenant's
    file is all garbage."""
    landing = world.home / "landing"
    for bakery in demo_bakeries(len(world.tenants)):
        write_landing_files(landing, bakery.slug, demo_sales(bakery, day, day))
    garbage = landing / garbage_for / f"{day.isoformat()}.csv"
    garbage.write_text(f"date,product,quantity\n{day},baguette,lots\n{day},croissant,many\n")


def test_one_broken_tenant_fails_alone_and_the_split_isolates_it(world, runs):
    broken = world.tenants[1]
    day = DAY + timedelta(days=1)
    land_day(world, day - timedelta(days=1), garbage_for=broken.slug)
    failed = run_batch(world, day)
    assert not failed.success
    verdicts = check_verdicts(world, "sales_input_quality", day)
    assert verdicts == {t.slug: "FAILED" if t is broken else "SUCCEEDED" for t in world.tenants}
    assert alert_tenants(world, "daily_sales:sales_input_quality") == {broken.id}

    rows = batch_rows(world, failed.run_id)
    assert sorted(rows) == sorted(t.slug for t in world.tenants)
    for row in rows.values():
        assert row["status"] == "failed"
        assert "check daily_sales:sales_input_quality failed" in row["error_message"]
        assert broken.slug in row["error_message"]
        assert row["forecasts_generated"] is None  # never ran: nothing was counted
        assert row["forecasting_status"] == "skipped"
    _split_and_rerun(world, failed, broken, day)


def _split_and_rerun(world, failed, broken, day) -> None:
    context = run_failure_context(world.instance, batch_split_sensor.name, failed.run_id)
    requests = list(batch_split_sensor(context))
    assert sorted(str(r.partition_key) for r in requests) == sorted(
        str(partition_key(t.slug, day)) for t in world.tenants
    )
    assert all(r.tags["bakery/split_from"] == failed.run_id for r in requests)
    assert len({r.run_key for r in requests}) == 3

    outcomes = {}
    for request in requests:
        single = world.job.execute_in_process(
            partition_key=request.partition_key,
            instance=world.instance,
            tags=request.tags,
            raise_on_error=False,
        )
        finalize_run(world.instance, world.database, single.run_id)
        slug = str(request.partition_key).split("|")[1]
        outcomes[slug] = (single.success, world.row_of(single.run_id)["status"])
    expected = {t.slug: (True, "completed") for t in world.tenants}
    expected[broken.slug] = (False, "failed")
    assert outcomes == expected
    assert alert_tenants(world, "daily_sales:sales_input_quality") == {broken.id}
