"""Run-status sensors that close audit rows whichever way a run ends, and a reconciliation
sensor that closes rows whose run ended while no sensor was watching."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import sqlalchemy as sa

from bakery_orchestration.audit.recorder import finalize_run
from bakery_orchestration.db.schema import orchestration_runs
from bakery_orchestration.storage.database import OrchestrationDatabase

ENDED = {
    "success": dg.DagsterRunStatus.SUCCESS,
    "failure": dg.DagsterRunStatus.FAILURE,
    "canceled": dg.DagsterRunStatus.CANCELED,
}


def _audit_sensor(name: str, status: dg.DagsterRunStatus) -> dg.SensorDefinition:
    @dg.run_status_sensor(
        name=f"audit_run_{name}_sensor",
        run_status=status,
        minimum_interval_seconds=15,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Closes the orchestration_runs rows of runs that ended {status.value}.",
    )
    def _sensor(context: dg.RunStatusSensorContext, database: OrchestrationDatabase):
        final = finalize_run(context.instance, database, context.dagster_run.run_id)
        if final:
            context.log.info(f"run {context.dagster_run.run_id} audited as {final}")

    return _sensor


audit_run_sensors = [_audit_sensor(name, status) for name, status in ENDED.items()]


@dg.sensor(
    minimum_interval_seconds=120,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Closes audit rows left running whose Dagster run has ended (missed events).",
)
def audit_reconciliation_sensor(
    context: dg.SensorEvaluationContext, database: OrchestrationDatabase
):
    cutoff = datetime.now(UTC) - timedelta(minutes=2)
    runs = orchestration_runs
    with database.engine.connect() as conn:
        open_rows = conn.execute(
            sa.select(runs.c.run_metadata)
            .where(runs.c.status.in_(["pending", "running"]), runs.c.updated_at < cutoff)
            .limit(200)
        ).scalars()
        run_ids = {m["dagster_run_id"] for m in open_rows if m and "dagster_run_id" in m}
    closed = 0
    for run_id in sorted(run_ids):
        run = context.instance.get_run_by_id(run_id)
        if run is None or not run.is_finished:
            continue
        if finalize_run(context.instance, database, run_id):
            closed += 1
    return dg.SkipReason(f"reconciled {closed} audit rows of {len(run_ids)} open")
