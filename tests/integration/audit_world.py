"""A prepared orchestration database and Dagster instance for audit scenarios: demo tenants with
two years of history, landing files for the last days, and the real daily job."""

import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from bakery_orchestration.audit.recorder import finalize_run
from bakery_orchestration.core.partitions import partition_key
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.migrate import ensure_schema
from bakery_orchestration.db.schema import forecast_models, orchestration_runs
from bakery_orchestration.definitions import build_definitions
from bakery_orchestration.demo.run import prepare_tenants
from bakery_orchestration.resources import local_resources
from bakery_orchestration.storage.database import OrchestrationDatabase
from tests.dagster_state import clear_stale_state_storage
from tests.postgres import require_postgres

DAY = date(2026, 3, 16)


@dataclass
class AuditWorld:
    url: str
    engine: sa.Engine
    instance: dg.DagsterInstance
    defs: dg.Definitions
    tenants: list
    home: Path | None = None

    @property
    def database(self) -> OrchestrationDatabase:
        return OrchestrationDatabase(url=self.url)

    @property
    def job(self) -> dg.JobDefinition:
        clear_stale_state_storage()
        return self.defs.resolve_job_def("daily_cycle_job")

    def run(self, tenant: str, day: date, **kwargs) -> dg.ExecuteInProcessResult:
        result = self.job.execute_in_process(
            partition_key=partition_key(tenant, day),
            instance=self.instance,
            raise_on_error=False,
            **kwargs,
        )
        finalize_run(self.instance, self.database, result.run_id)
        return result

    def rows(self, *where) -> list[dict]:
        with self.engine.connect() as conn:
            query = sa.select(orchestration_runs).where(*where).order_by(orchestration_runs.c.id)
            return [dict(r) for r in conn.execute(query).mappings()]

    def row_of(self, run_id: str) -> dict:
        rows = [r for r in self.rows() if r["run_metadata"]["dagster_run_id"] == run_id]
        assert len(rows) == 1, f"expected one audit row for run {run_id}, got {len(rows)}"
        return rows[0]


@contextmanager
def prepared_world(dialect: str, home: Path, postgres_server, tenants: int = 1):
    """A world on ``dialect`` whose local files live under ``home``, torn down afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BAKERY_HOME", str(home))
        if dialect == "sqlite":
            url = f"sqlite:///{home / 'orchestration.db'}"
        else:
            require_postgres(postgres_server)
            url = postgres_server.create_database()
        with dg.instance_for_test() as instance:
            world = build_world(url, instance, tenants)
            world.home = home
            try:
                yield world
            finally:
                world.engine.dispose()


def build_world(url: str, instance: dg.DagsterInstance, tenants: int = 1) -> AuditWorld:
    ensure_schema(url)
    engine = create_db_engine(url)
    registered = prepare_tenants(engine, tenants, DAY)
    instance.add_dynamic_partitions("tenant", [t.slug for t in registered])
    return AuditWorld(url, engine, instance, build_definitions(local_resources(url)), registered)


@contextmanager
def corrupt_model_digests(world: AuditWorld, tenant_id):
    """Inside the block the tenant's stored models fail their integrity check (wrong digest)."""
    models = forecast_models
    with world.engine.begin() as conn:
        saved = dict(
            conn.execute(
                sa.select(models.c.id, models.c.sha256).where(models.c.tenant_id == tenant_id)
            ).all()
        )
        conn.execute(
            sa.update(models).where(models.c.tenant_id == tenant_id).values(sha256="0" * 64)
        )
    try:
        yield
    finally:
        with world.engine.begin() as conn:
            for model_id, digest in saved.items():
                conn.execute(sa.update(models).where(models.c.id == model_id).values(sha256=digest))


KILLABLE_RUN = """
import sys
import dagster as dg
import pytest
from bakery_orchestration.definitions import build_definitions
from bakery_orchestration.core.partitions import partition_key
from bakery_orchestration.resources import local_resources

url, home, tenant, day, run_id = sys.argv[1:]
instance = dg.DagsterInstance.from_config(home)
job = build_definitions(local_resources(url)).resolve_job_def("daily_cycle_job")
job.execute_in_process(partition_key=partition_key(tenant, day), instance=instance, run_id=run_id)
"""


def killable_command(url: str, home: str, tenant: str, day: date, run_id: str) -> list[str]:
    return [sys.executable, "-c", KILLABLE_RUN, url, home, tenant, day.isoformat(), run_id]


def run_failure_context(instance: dg.DagsterInstance, sensor_name: str, run_id: str):
    """The context a run-failure sensor gets for the failed run ``run_id``."""
    failure = next(
        e.dagster_event
        for e in instance.all_logs(run_id)
        if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.RUN_FAILURE
    )
    return dg.build_run_status_sensor_context(
        sensor_name=sensor_name,
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run_id),
    ).for_run_failure()
