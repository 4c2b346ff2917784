"""Runs interrupted from outside: the orchestration database going away mid-run (PostgreSQL:
new connections refused and open ones terminated) and the run worker killed with SIGKILL. The
audit says why the run failed, and after a re-run every table holds the clean run's rows.
"""

import os
import signal
import subprocess
import threading
import time
import uuid

import dagster as dg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bakery_orchestration.audit.recorder import finalize_run
from tests.faults.conftest import partition_rows
from tests.integration.audit_world import DAY, killable_command
from tests.postgres import SERVER_URL

# One worker builds the shared world once per dialect (the fixture is session-scoped).
pytestmark = pytest.mark.xdist_group("faults")

STEP = "demand_forecast"


def _step_started(instance, run_id: str, step: str) -> bool:
    if instance.get_run_by_id(run_id) is None:
        return False
    starts = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_START).records
    return any(record.event_log_entry.step_key == step for record in starts)


def _wait_until(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


class DatabaseOutage:
    """Takes one PostgreSQL database away (and back) without touching the server's others."""

    def __init__(self, url: str) -> None:
        self.name = make_url(url).database
        self._admin = sa.create_engine(f"{SERVER_URL}/postgres", isolation_level="AUTOCOMMIT")

    def begin(self) -> None:
        with self._admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS false'))
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": self.name},
            )

    def end(self) -> None:
        with self._admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS true'))
        self._admin.dispose()


def _rerun_and_compare(world, tenant, failed_run_id: str, case: str, record_fault) -> None:
    audit = world.row_of(failed_run_id)
    rerun = world.run(tenant.slug, DAY)
    after = partition_rows(world.engine, tenant.id, DAY)
    reason = " ".join(audit["error_message"].split())[:160]  # the audit keeps the full text
    outcome = (
        f"first run {audit['status']} ({reason}); re-run {world.row_of(rerun.run_id)['status']}"
    )
    lost, duplicated = record_fault(case, outcome, world.clean_rows[tenant.slug], after)
    assert audit["status"] == "failed" and audit["error_message"]
    assert rerun.success
    assert (lost, duplicated) == (0, 0)
    other = world.tenants[1]
    assert partition_rows(world.engine, other.id, DAY) == world.clean_rows[other.slug]


def test_database_down_mid_run(world, record_fault):
    if make_url(world.url).get_backend_name() == "sqlite":
        pytest.skip("the embedded SQLite file lives in the run worker: no server to stop")
    tenant = world.tenants[0]
    outage = DatabaseOutage(world.url)
    run_id = str(uuid.uuid4())

    def take_it_down() -> None:
        _wait_until(lambda: _step_started(world.instance, run_id, STEP))
        outage.begin()

    watcher = threading.Thread(target=take_it_down)
    watcher.start()
    try:
        result = world.job.execute_in_process(
            partition_key=world.job.partitions_def.get_partition_key_from_str(
                f"{DAY.isoformat()}|{tenant.slug}"
            ),
            instance=world.instance,
            run_id=run_id,
            raise_on_error=False,
        )
    finally:
        watcher.join()
        outage.end()
    world.engine.dispose()  # its pooled connections were terminated with the outage
    assert not result.success
    finalize_run(world.instance, world.database, run_id)
    _rerun_and_compare(world, tenant, run_id, "database down mid-run", record_fault)


def test_run_worker_killed_mid_run(world, record_fault):
    tenant = world.tenants[0]
    run_id = str(uuid.uuid4())
    env = {**os.environ, "BAKERY_HOME": str(world.home)}
    command = killable_command(world.url, world.instance.root_directory, tenant.slug, DAY, run_id)
    process = subprocess.Popen(command, env=env, start_new_session=True, stderr=subprocess.DEVNULL)
    try:
        _wait_until(lambda: process.poll() is None and _step_started(world.instance, run_id, STEP))
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    run = world.instance.get_run_by_id(run_id)
    world.instance.report_run_failed(run, message="run worker died")  # what run monitoring does
    finalize_run(world.instance, world.database, run_id)
    _rerun_and_compare(world, tenant, run_id, "run worker SIGKILL mid-run", record_fault)
