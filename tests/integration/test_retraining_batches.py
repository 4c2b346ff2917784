"""The weekly retraining in batches, for real on SQLite and PostgreSQL: the schedule puts
adjacent tenants that need a new model in one run (a range of tenant partitions, each with the
rule that fired for it); the run trains and stores each tenant's model and Dagster sees each
tenant's ``forecast_model`` partition materialized. A batch holding a tenant that cannot be
trained fails naming it, and ``batch_split_sensor`` retrains each tenant of it alone, so only
the broken one fails."""

from datetime import UTC, datetime

import dagster as dg
import pytest
import sqlalchemy as sa

from bakery_orchestration.automation.batch_split import batch_split_sensor
from bakery_orchestration.automation.schedules import (
    ScheduleSettings,
    build_weekly_retraining_schedule,
)
from bakery_orchestration.db.schema import forecast_models
from tests.conftest import DIALECTS
from tests.integration.audit_world import DAY, prepared_world, run_failure_context

pytestmark = pytest.mark.xdist_group("retraining_batches")
TICK = datetime(DAY.year, DAY.month, DAY.day, 21, tzinfo=UTC)


@pytest.fixture(scope="module", params=DIALECTS)
def world(request, tmp_path_factory, postgres_server):
    home = tmp_path_factory.mktemp("retrain_home")
    with prepared_world(request.param, home, postgres_server, tenants=3) as built:
        yield built


def schedule_requests(world, per_run: int) -> list[dg.RunRequest]:
    schedule = build_weekly_retraining_schedule(ScheduleSettings(retrain_tenants_per_run=per_run))
    context = dg.build_schedule_context(
        instance=world.instance,
        scheduled_execution_time=TICK,
        resources={"database": world.database},
    )
    result = schedule(context)
    assert isinstance(result, list), result
    return result


def execute(world, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    job = world.defs.resolve_job_def("retrain_model_job")
    return job.execute_in_process(
        instance=world.instance,
        partition_key=request.partition_key,
        run_config=request.run_config,
        tags=request.tags,
        raise_on_error=False,
    )


def models(world) -> dict:
    """Stored models per tenant: (count, reasons)."""
    query = sa.select(forecast_models.c.tenant_id, forecast_models.c.retrain_reason)
    with world.engine.connect() as conn:
        rows = conn.execute(query).all()
    found: dict = {}
    for tenant_id, reason in rows:
        found.setdefault(tenant_id, []).append(reason)
    return found


def test_adjacent_tenants_retrain_in_one_run_each_with_its_own_rule(world):
    slugs = [t.slug for t in world.tenants]
    requests = schedule_requests(world, per_run=2)
    assert [r.tags.get("bakery/batch_tenants") for r in requests] == [",".join(slugs[:2]), None]
    batch, single = requests
    assert batch.tags["dagster/asset_partition_range_start"] == slugs[0]
    assert batch.tags["dagster/asset_partition_range_end"] == slugs[1]
    assert batch.tags["dagster/priority"] == "-1"
    assert batch.tags["bakery/retrain_reason"] == "no_model=2"
    assert batch.run_config["ops"]["forecast_model"]["config"]["reasons"] == {
        slugs[0]: "no_model",
        slugs[1]: "no_model",
    }
    assert single.partition_key == slugs[2]

    results = [execute(world, r) for r in requests]
    assert [r.success for r in results] == [True, True]
    stored = models(world)
    assert {t.id: stored.get(t.id) for t in world.tenants} == {
        t.id: ["no_model"] for t in world.tenants
    }
    materialized = world.instance.get_materialized_partitions(dg.AssetKey("forecast_model"))
    assert materialized == set(slugs)
    event = next(
        e
        for e in results[0].all_events
        if e.event_type_value == "ASSET_MATERIALIZATION" and e.partition == slugs[0]
    )
    metadata = event.step_materialization_data.materialization.metadata
    assert metadata["tenant_days"].value == 2
    per_tenant = metadata["per_tenant_day"].value
    assert sorted(per_tenant) == slugs[:2]
    assert all(v["reason"] == "no_model" and v["products"] == 12 for v in per_tenant.values())

    # With models in place nobody needs a new one: the rule keeps them.
    skipped = build_weekly_retraining_schedule(ScheduleSettings(retrain_tenants_per_run=2))(
        dg.build_schedule_context(
            instance=world.instance,
            scheduled_execution_time=TICK,
            resources={"database": world.database},
        )
    )
    assert isinstance(skipped, dg.SkipReason)


def test_a_broken_tenant_fails_its_batch_and_the_split_isolates_it(world):
    last = world.tenants[-1].slug
    world.instance.add_dynamic_partitions("tenant", ["ghost-bakery"])  # no tenant row behind it
    batch = dg.RunRequest(
        run_key=f"{last}..ghost-bakery:test",
        run_config={
            "ops": {
                "forecast_model": {
                    "config": {"reasons": {last: "model_too_old", "ghost-bakery": "no_model"}}
                }
            }
        },
        tags={
            "dagster/asset_partition_range_start": last,
            "dagster/asset_partition_range_end": "ghost-bakery",
            "bakery/batch_tenants": f"{last},ghost-bakery",
            "dagster/max_retries": "0",
        },
    )
    failed = execute(world, batch)
    assert not failed.success
    failure = next(e for e in failed.all_events if e.event_type_value == "STEP_FAILURE")
    error = failure.step_failure_data.error
    assert error.cause.cls_name == "TenantFailure"
    assert error.cause.message.startswith(
        "bakery_orchestration.core.batches.TenantFailure: tenant "
    )
    assert "ghost-bakery: retraining failed: BakeryError: unknown tenant" in error.cause.message

    context = run_failure_context(world.instance, batch_split_sensor.name, failed.run_id)
    requests = list(batch_split_sensor(context))
    assert [(r.partition_key, r.job_name) for r in requests] == [
        (last, "retrain_model_job"),
        ("ghost-bakery", "retrain_model_job"),
    ]
    assert [r.tags["bakery/retrain_reason"] for r in requests] == ["model_too_old", "no_model"]
    assert all(r.tags["bakery/split_from"] == failed.run_id for r in requests)

    before = len(models(world)[world.tenants[-1].id])
    outcomes = {r.partition_key: execute(world, r).success for r in requests}
    assert outcomes == {last: True, "ghost-bakery": False}
    reasons = models(world)[world.tenants[-1].id]
    assert len(reasons) == before + 1 and "model_too_old" in reasons
