"""The audit trail in orchestration_runs and the step log, for runs that end every way, on
SQLite and PostgreSQL: a clean run, a failing forecast and its re-execution, a cancelled run,
a run whose worker is killed mid-step, a backfill of 10 partitions, and the query patterns."""

import os
import signal
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
import sqlalchemy as sa

from bakery_orchestration.audit import queries
from bakery_orchestration.audit.recorder import finalize_run
from bakery_orchestration.core.partitions import partition_key
from bakery_orchestration.db.schema import (
    forecast_models,
    orchestration_runs,
    orchestration_step_logs,
    tenants,
)
from bakery_orchestration.forecasting import assets as forecasting_assets
from tests.conftest import DIALECTS
from tests.helpers.http_server import Reply, ScriptedServer
from tests.integration.audit_world import (
    DAY,
    killable_command,
    prepared_world,
)

STEP_PREFIXES = ("forecasting", "production", "procurement", "notification", "ai_insights")


@pytest.fixture(scope="module", params=DIALECTS)
def world(request, tmp_path_factory, postgres_server):
    home = tmp_path_factory.mktemp("audit_home")
    with prepared_world(request.param, home, postgres_server) as built:
        yield built


@pytest.fixture(scope="module")
def clean_runs(world):
    """The day before and the day itself, run as the demo does."""
    tenant = world.tenants[0].slug
    return [world.run(tenant, day) for day in (DAY - timedelta(days=1), DAY)]


def test_clean_runs_complete_with_every_step_filled(world, clean_runs):
    for result in clean_runs:
        assert result.success
        row = world.row_of(result.run_id)
        assert row["status"] == "completed"
        assert row["run_number"].startswith("ORCH-2026031")
        assert row["run_type"] == "manual" and row["priority"] == "critical"
        for prefix in STEP_PREFIXES:
            expected = "skipped" if prefix == "notification" else "success"  # no webhook set
            assert row[f"{prefix}_status"] == expected, prefix
            assert row[f"{prefix}_started_at"] <= row[f"{prefix}_completed_at"]
        assert row["forecasts_generated"] == 12 * 7
        assert row["saga_steps_total"] == row["saga_steps_completed"] == 8
        assert row["forecast_id"] is not None and row["production_schedule_id"] is not None
        assert row["completed_at"] >= row["started_at"]
        assert row["duration_seconds"] >= 0
        assert row["run_metadata"]["dagster_run_id"] == result.run_id
        assert row["run_metadata"]["cpu_seconds"] > 0
        assert 50 < row["run_metadata"]["peak_rss_mb"] < 2000
        assert row["forecast_data"]["products"] == 12


def test_one_row_per_run_and_a_log_line_per_step(world, clean_runs):
    run_numbers = [world.row_of(r.run_id)["run_number"] for r in clean_runs]
    with world.engine.connect() as conn:
        logged = conn.execute(
            sa.select(orchestration_step_logs.c.run_number, sa.func.count())
            .where(orchestration_step_logs.c.run_number.in_(run_numbers))
            .group_by(orchestration_step_logs.c.run_number)
        ).all()
    assert dict(logged) == {number: 8 for number in run_numbers}


def test_validation_day_carries_quality_and_fulfillment(world, clean_runs):
    row = world.row_of(clean_runs[1].run_id)
    assert 0 <= row["quality_score"] <= 100
    assert 0 <= row["fulfillment_rate"] <= 100
    assert 0 <= row["cost_accuracy"] <= 100
    assert row["on_time_delivery_rate"] is None  # no purchase order was due yet


def _broken_forecast(engine, tenant, day):
    raise RuntimeError(f"forecast engine down for {tenant.slug} {day}")


def test_failed_forecast_fails_the_run_and_a_rerun_completes(world, clean_runs, monkeypatch):
    tenant = world.tenants[0]
    with monkeypatch.context() as patch:
        patch.setattr(forecasting_assets, "forecast_for_day", _broken_forecast)
        failed = world.run(tenant.slug, DAY)
    assert not failed.success
    row = world.row_of(failed.run_id)
    assert row["status"] == "failed"
    assert row["forecasting_status"] == "failed"
    assert "forecast engine down" in row["forecasting_error"]
    assert row["production_status"] == "skipped"
    assert row["notification_status"] == "skipped"
    assert row["production_batches_created"] is None  # never ran: nothing counted
    assert row["error_details"]["step"] == "demand_forecast"
    assert row["error_details"]["exception_type"] == "RuntimeError"
    assert row["error_message"] == (
        f"step demand_forecast failed: RuntimeError: forecast engine down for {tenant.slug} {DAY}"
    )
    assert row["saga_steps_completed"] == 1  # daily_sales only

    rerun = world.run(tenant.slug, DAY, tags={"bakery/run_type": "manual"})
    assert rerun.success
    assert world.row_of(rerun.run_id)["status"] == "completed"
    assert world.row_of(failed.run_id)["status"] == "failed"  # history stays truthful


def _set_webhook(world, tenant_id, url: str | None) -> None:
    with world.engine.begin() as conn:
        conn.execute(sa.update(tenants).where(tenants.c.id == tenant_id).values(webhook_url=url))


def test_webhook_down_gives_partial_success(world, clean_runs, monkeypatch):
    monkeypatch.setenv("BAKERY_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32")  # the test receiver
    tenant = world.tenants[0]
    with ScriptedServer() as server:
        server.reply(*[Reply(500, {"detail": "receiver down"})] * 3)
        _set_webhook(world, tenant.id, f"{server.url}/hooks/summary")
        try:
            result = world.run(tenant.slug, DAY)
        finally:
            _set_webhook(world, tenant.id, None)
        attempts = len(server.requests)
    assert result.success  # a failing webhook never fails the plans
    row = world.row_of(result.run_id)
    assert attempts == 3
    assert row["status"] == "partial_success"
    assert row["notification_status"] == "failed"
    assert "500" in row["notification_error"]
    assert row["notifications_sent"] == 0 and row["ai_insights_posted"] == 0
    assert row["production_status"] == row["procurement_status"] == "success"


def test_delivered_summary_counts_the_notification_and_posted_insights(
    world, clean_runs, monkeypatch
):
    monkeypatch.setenv("BAKERY_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32")  # the test receiver
    tenant = world.tenants[0]
    with ScriptedServer() as server:
        server.reply(Reply(200, {"ok": True}))
        _set_webhook(world, tenant.id, f"{server.url}/hooks/summary")
        try:
            result = world.run(tenant.slug, DAY)
        finally:
            _set_webhook(world, tenant.id, None)
        posted = server.requests[0].json()
    row = world.row_of(result.run_id)
    assert row["status"] == "completed"
    assert row["notification_status"] == "success" and row["notifications_sent"] == 1
    assert row["ai_insights_posted"] == row["ai_insights_generated"] == len(posted["insights"])
    assert posted["tenant"] == tenant.slug


def test_cancelled_run_is_recorded_cancelled(world):
    tenant = world.tenants[0].slug
    run = world.instance.create_run_for_job(
        world.job,
        run_id=str(uuid.uuid4()),
        tags={
            **world.job.partitions_def.get_tags_for_partition_key(partition_key(tenant, DAY)),
        },
    )
    world.instance.report_run_canceled(run, message="cancelled by an operator")
    assert finalize_run(world.instance, world.database, run.run_id) == "cancelled"
    row = world.row_of(run.run_id)
    assert row["status"] == "cancelled"
    assert row["error_message"] == "run cancelled"
    assert row["forecasting_status"] == "skipped"


def test_killed_worker_is_reconciled_to_failed(world, clean_runs):
    tenant = world.tenants[0]
    with world.engine.begin() as conn:  # no model for the day: the forecast step must train
        conn.execute(sa.delete(forecast_models).where(forecast_models.c.tenant_id == tenant.id))
    run_id = str(uuid.uuid4())
    env = {**os.environ, "BAKERY_HOME": str(world.home)}
    command = killable_command(
        world.url, world.instance.root_directory, tenant.slug, DAY + timedelta(days=1), run_id
    )
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        _wait_for_step_start(world.instance, run_id, "demand_forecast", process)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    run = world.instance.get_run_by_id(run_id)
    assert run.status == dg.DagsterRunStatus.STARTED  # nobody told Dagster
    world.instance.report_run_failed(run, message="run worker died")  # what run monitoring does
    assert finalize_run(world.instance, world.database, run_id) == "failed"
    row = world.row_of(run_id)
    assert row["forecasting_status"] == "failed"
    assert "never finished" in row["forecasting_error"]
    assert row["production_status"] == "skipped"


def _wait_for_step_start(instance, run_id, step, process, timeout=120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run finished before it could be killed"
        if instance.get_run_by_id(run_id) is not None:
            starts = instance.get_records_for_run(
                run_id, of_type=dg.DagsterEventType.STEP_START
            ).records
            if any(r.event_log_entry.step_key == step for r in starts):
                return
        time.sleep(0.2)
    raise AssertionError(f"step {step} of run {run_id} did not start within {timeout}s")


def test_backfill_of_ten_partitions_gives_ten_rows(world):
    tenant = world.tenants[0]
    days = [DAY - timedelta(days=30 + i) for i in range(10)]
    run_ids = []
    for day in days:
        result = world.run(
            tenant.slug,
            day,
            asset_selection=[dg.AssetKey("daily_sales")],
            tags={"dagster/backfill": "bkf1"},
        )
        assert result.success
        run_ids.append(result.run_id)
    rows = [world.row_of(run_id) for run_id in run_ids]
    assert len({r["run_number"] for r in rows}) == 10
    assert {r["run_type"] for r in rows} == {"backfill"}
    assert {r["triggered_by"] for r in rows} == {"backfill:bkf1"}
    assert {r["status"] for r in rows} == {"completed"}


def test_query_patterns_find_the_runs(world, clean_runs):
    tenant = world.tenants[0]
    with world.engine.connect() as conn:
        history = conn.execute(
            queries.run_history(
                tenant.id,
                world.row_of(clean_runs[0].run_id)["started_at"] - timedelta(minutes=1),
                world.row_of(clean_runs[1].run_id)["started_at"] + timedelta(minutes=1),
            )
        ).all()
        summary = conn.execute(
            queries.performance_summary(tenant.id, history[-1].started_at - timedelta(days=1))
        ).one()
        active = conn.execute(queries.active_runs(tenant.id)).all()
    assert {r.run_number for r in history} >= {
        world.row_of(r.run_id)["run_number"] for r in clean_runs
    }
    assert summary.runs >= 2 and summary.quality_score is not None
    assert active == []


def _production_like_history(conn, tenants: int = 50, per_tenant: int = 200) -> uuid.UUID:
    """Many tenants, a year of mostly completed runs, a few running and failed ones."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ids = [uuid.uuid4() for _ in range(tenants)]
    statuses = ["completed"] * 90 + ["failed"] * 6 + ["partial_success"] * 3 + ["running"]
    rows = [
        {
            "run_number": f"ORCH-HIST-{t}-{i}",
            "tenant_id": tenant_id,
            "status": statuses[(t * 7 + i) % len(statuses)],
            "started_at": start + timedelta(days=i, minutes=t),
            "retry_count": i % 5,
            "fulfillment_rate": 90,
        }
        for t, tenant_id in enumerate(ids)
        for i in range(per_tenant)
    ]
    conn.execute(sa.insert(orchestration_runs), rows)
    conn.execute(sa.text("ANALYZE orchestration_runs"))
    return ids[0]


@pytest.mark.postgres
def test_each_query_uses_its_documented_index(world):
    if world.engine.dialect.name != "postgresql":
        pytest.skip("EXPLAIN plans are checked on PostgreSQL")
    with world.engine.begin() as conn:
        tenant = _production_like_history(conn)
    day = datetime(2025, 3, 1, tzinfo=UTC)
    expectations = [
        (queries.active_runs(tenant), {"tenant_status"}),
        (queries.run_history(tenant, day, day + timedelta(days=7)), {"tenant_started"}),
        (queries.performance_summary(tenant, day), {"tenant_started", "tenant_status"}),
        (queries.failed_runs(), {"status", "status_started"}),
    ]
    with world.engine.connect() as conn:
        for query, indexes in expectations:
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            plan = "\n".join(conn.execute(sa.text(f"EXPLAIN {compiled}")).scalars())
            used = {ix for ix in indexes if f"ix_orchestration_runs_{ix} " in plan + " "}
            assert used, f"expected one of {indexes} in:\n{plan}"
