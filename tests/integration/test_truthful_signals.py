"""Signals that say what happened, on SQLite and PostgreSQL: a day whose sales are missing is
planned degraded (check failed, alert, audit row says so) until the late sales re-run it; an
unreadable stored model is retrained in the step and recorded as a forecast_model
materialization; a run that ran only some steps leaves NULL counts for the others."""

from datetime import timedelta

import dagster as dg
import pytest
import sqlalchemy as sa

from bakery_orchestration.audit.recorder import finalize_run
from bakery_orchestration.automation.alert_sensor import alert_sensor
from bakery_orchestration.automation.late_sales import OPEN_DAY_ASSETS, PAST_DAY_ASSETS
from bakery_orchestration.core.partitions import partition_key
from bakery_orchestration.db.schema import alerts, sales_receipts
from tests.conftest import DIALECTS
from tests.integration.audit_world import DAY, corrupt_model_digests, prepared_world

pytestmark = pytest.mark.xdist_group("truthful_signals")


@pytest.fixture(scope="module", params=DIALECTS)
def world(request, tmp_path_factory, postgres_server):
    home = tmp_path_factory.mktemp("truth_home")
    with prepared_world(request.param, home, postgres_server, tenants=1) as built:
        assert built.run(built.tenants[0].slug, DAY - timedelta(days=1)).success
        yield built


def check_of(result, name: str):
    return next(e for e in result.get_asset_check_evaluations() if e.check_name == name)


def materialization_metadata(result, asset: str) -> dict:
    (event,) = [
        e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(asset)
    ]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def open_alerts(world, dedup_key: str) -> list:
    alert_sensor(
        dg.build_sensor_context(instance=world.instance, resources={"database": world.database})
    )
    query = sa.select(alerts.c.message).where(
        alerts.c.dedup_key == dedup_key, alerts.c.resolved_at.is_(None)
    )
    with world.engine.connect() as conn:
        return list(conn.execute(query).scalars())


def test_missing_sales_plan_the_day_degraded_until_they_arrive(world):
    tenant = world.tenants[0]
    landed = world.home / "landing" / tenant.slug / f"{(DAY - timedelta(days=1)).isoformat()}.csv"
    held_back = landed.read_bytes()
    landed.unlink()

    morning = world.run(tenant.slug, DAY)
    assert morning.success
    received = check_of(morning, "sales_received")
    assert not received.passed
    assert received.severity == dg.AssetCheckSeverity.WARN
    assert "sales missing at cycle time" in received.description
    forecast = materialization_metadata(morning, "demand_forecast")
    assert forecast["degraded"] == f"degraded: sales of {DAY - timedelta(days=1)} missing"
    row = world.row_of(morning.run_id)
    assert row["status"] == "partial_success"
    assert row["error_message"] == f"degraded: sales of {DAY - timedelta(days=1)} missing"
    with world.engine.connect() as conn:
        state = conn.execute(
            sa.select(sales_receipts.c.state)
            .where(sales_receipts.c.tenant_id == tenant.id)
            .where(sales_receipts.c.partition_date == DAY)
        ).scalar()
    assert state == "missing"
    (message,) = open_alerts(world, "daily_sales:sales_received")
    assert "sales missing at cycle time" in message

    landed.write_bytes(held_back)  # the late path re-runs the open day with its sales
    late = world.job.execute_in_process(
        partition_key=partition_key(tenant.slug, DAY),
        instance=world.instance,
        asset_selection=OPEN_DAY_ASSETS,
        raise_on_error=False,
    )
    assert late.success
    assert check_of(late, "sales_received").passed
    assert "degraded" not in materialization_metadata(late, "demand_forecast")
    assert open_alerts(world, "daily_sales:sales_received") == []


def test_an_unreadable_model_is_retrained_in_the_step(world):
    tenant = world.tenants[0]
    with corrupt_model_digests(world, tenant.id):
        result = world.run(tenant.slug, DAY)
    assert result.success
    forecast = materialization_metadata(result, "demand_forecast")
    assert forecast["model_trained_in_this_run"] is True
    assert forecast["model_trained_because"].startswith("stored model unreadable")
    model = materialization_metadata(result, "forecast_model")
    assert model["model_id"] == forecast["model_id"]
    assert model["history_rows"] > 0 and model["fit_seconds"] > 0
    assert model["training_window"].endswith(f".. {DAY}")
    assert tenant.slug in world.instance.get_materialized_partitions(dg.AssetKey("forecast_model"))


def test_steps_a_run_did_not_execute_have_null_counts(world):
    tenant = world.tenants[0]
    result = world.job.execute_in_process(
        partition_key=partition_key(tenant.slug, DAY),
        instance=world.instance,
        asset_selection=PAST_DAY_ASSETS,
        raise_on_error=False,
    )
    finalize_run(world.instance, world.database, result.run_id)
    row = world.row_of(result.run_id)
    assert row["status"] == "completed"
    assert row["forecasts_generated"] is None and row["forecasting_status"] == "skipped"
    assert row["production_batches_created"] is None and row["production_status"] == "skipped"
    assert row["ai_insights_generated"] is not None and row["ai_insights_status"] == "success"
    assert sorted(row["run_metadata"]["steps_run"]) == [
        "daily_sales",
        "forecast_validation",
        "insights",
    ]
