"""End to end on the production storage: Dagster's instance and the orchestration database both
on the local PostgreSQL server, the real ``dagster-daemon`` ticks ``daily_cycle_schedule`` once
for three tenants with ``BAKERY_TENANTS_PER_RUN=2``, and the queue runs a batch of two and a
single tenant to completion; every tenant-day ends with a completed audit row.

The schedule is set to tick at one minute just ahead (cron ``M * * * *``) at the tenants' local
hour, so exactly one tick is the morning's tick.
"""

import os
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
import sqlalchemy as sa

from bakery_orchestration.core.batches import run_tenants
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.migrate import ensure_schema
from bakery_orchestration.demo.run import prepare_tenants
from bakery_orchestration.instance import register_tenant_partitions
from tests.helpers.daemon import PROJECT, running_daemon
from tests.postgres import require_postgres

ZONE = ZoneInfo("Europe/Madrid")  # the demo bakeries' zone
TENANTS = 3
TIMEOUT_SECONDS = 360


def _instance_yaml(home: Path, storage_url: str) -> None:
    home.mkdir(parents=True)
    text = (PROJECT / "dagster.yaml").read_text()
    text += f"\nstorage:\n  postgres:\n    postgres_url: {storage_url}\n"
    (home / "dagster.yaml").write_text(text)


def _wait(instance: dg.DagsterInstance, daemon: subprocess.Popen) -> list:
    finished = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE}
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert daemon.poll() is None, "dagster-daemon exited"
        records = instance.get_run_records(dg.RunsFilter(job_name="daily_cycle_job"))
        covered = sum(len(run_tenants(r.dagster_run)) for r in records)
        if covered >= TENANTS and all(r.dagster_run.status in finished for r in records):
            return records
        time.sleep(2)
    pytest.fail(f"the tick's runs did not end within {TIMEOUT_SECONDS}s")


def _audit(engine: sa.Engine, day) -> dict[str, str]:
    query = sa.text(
        "SELECT t.slug, r.status FROM orchestration_runs r JOIN tenants t ON t.id = r.tenant_id "
        "WHERE r.run_number LIKE :prefix"
    )
    with engine.connect() as conn:
        rows = conn.execute(query, {"prefix": f"ORCH-{day:%Y%m%d}-%"}).all()
    return dict(rows)


@pytest.mark.slow
def test_daemon_runs_a_scheduled_tick_in_batches_on_postgres(tmp_path, postgres_server):
    require_postgres(postgres_server)
    storage_url = postgres_server.create_database().replace("postgresql+psycopg2", "postgresql")
    database_url = postgres_server.create_database()
    dagster_home = tmp_path / "dagster_home"
    _instance_yaml(dagster_home, storage_url)
    day = datetime.now(ZONE).date()
    ensure_schema(database_url)
    engine = create_db_engine(database_url)
    env = {
        **os.environ,
        "BAKERY_HOME": str(tmp_path),
        "DAGSTER_HOME": str(dagster_home),
        "BAKERY_DATABASE_URL": database_url,
        "BAKERY_TENANTS_PER_RUN": "2",
    }
    os.environ["BAKERY_HOME"] = str(tmp_path)  # landing files for prepare_tenants
    try:
        tenants = prepare_tenants(engine, TENANTS, day, landing_days=1)
    finally:
        os.environ.pop("BAKERY_HOME")
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    register_tenant_partitions(instance, tenants)
    tick = (datetime.now(ZONE) + timedelta(seconds=75)).replace(second=0, microsecond=0)
    if tick.date() != day:
        pytest.skip("the test straddles midnight in Madrid; run it again")
    env["BAKERY_DAILY_CYCLE_CRON"] = f"{tick.minute} * * * *"
    env["BAKERY_DAILY_CYCLE_HOUR"] = str(tick.hour)
    try:
        with running_daemon(env, tmp_path / "daemon.log") as daemon:
            records = _wait(instance, daemon)
            statuses = _audit(engine, day)
            deadline = time.monotonic() + 90  # the audit sensors close the rows every 15 s
            while set(statuses.values()) != {"completed"} and time.monotonic() < deadline:
                time.sleep(3)
                statuses = _audit(engine, day)
    finally:
        instance.dispose()
        engine.dispose()
    assert [r.dagster_run.status for r in records] == [dg.DagsterRunStatus.SUCCESS] * 2
    batches = sorted(run_tenants(r.dagster_run) for r in records)
    assert batches == [["demo-bakery-1", "demo-bakery-2"], ["demo-bakery-3"]]
    assert all(
        r.dagster_run.tags["dagster/schedule_name"] == "daily_cycle_schedule" for r in records
    )
    assert statuses == {t.slug: "completed" for t in tenants}
