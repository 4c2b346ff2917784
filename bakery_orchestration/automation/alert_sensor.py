"""``alert_sensor``: turns failed asset checks and failed runs into operator alerts.

Open-source Dagster has no alerting on checks, and a failed non-blocking check does not fail its
run, so the sensor reads the event log itself. It follows the runs that ended (success or
failure) after its cursor, in storage order, and for each run reads the run's
``ASSET_CHECK_EVALUATION`` events: a failed check raises or bumps the alert for that tenant and
check, a passed one resolves it. A failed run raises an alert for its job and partition; a later
successful run of the same job and partition resolves it.

Why per ended run rather than one global query of check evaluations after a storage id: the
embedded SQLite instance shards its event log per run and refuses global storage-id cursors, and
a check's execution row is created "planned" and completed in place later; once a run has
ended, all its evaluations are final. On the first tick the sensor starts from the beginning of
the log, ``PAGE_SIZE`` runs per stream per tick.
"""

import json
from dataclasses import asdict, dataclass

import dagster as dg

from bakery_orchestration.audit.alerts import Alert, raise_alert, resolve_alerts
from bakery_orchestration.core.batches import BATCH_TAG, run_partition_keys
from bakery_orchestration.framework.tags import TENANT_PARTITION
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.tenants.registry import list_tenants

ALERT_SENSOR = "alert_sensor"
PAGE_SIZE = 200


@dataclass
class AlertCursor:
    failures: int = -1
    successes: int = -1

    @classmethod
    def parse(cls, text: str | None) -> "AlertCursor":
        return cls(**json.loads(text)) if text else cls()

    def dump(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def _tenant_of_partition(partition: str | None) -> str | None:
    if partition and "|" in partition:
        return partition.split("|")[1]
    return None


class _Tenants:
    def __init__(self, database: OrchestrationDatabase) -> None:
        self._ids = {t.slug: t.id for t in list_tenants(database.engine)}

    def alert(self, slug: str | None, **fields) -> Alert:
        return Alert(tenant_id=self._ids.get(slug) if slug else None, tenant=slug, **fields)


def check_alert(
    tenants: _Tenants, evaluation: dg.AssetCheckEvaluation, run_tenant: str | None
) -> Alert:
    """The alert for one check evaluation (of one tenant-day when it has a partition)."""
    partition = evaluation.partition
    slug = _tenant_of_partition(partition) or run_tenant
    check = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
    where = f" for {partition}" if partition else ""
    return tenants.alert(
        slug,
        alert_type="asset_check",
        dedup_key=check,
        severity=evaluation.severity.value,
        message=evaluation.description or f"check {check} failed{where}",
    )


def run_alert(tenants: _Tenants, run: dg.DagsterRun, message: str) -> Alert:
    partition = run.tags.get("dagster/partition") or run.tags.get(TENANT_PARTITION) or ""
    return tenants.alert(
        run.tags.get(TENANT_PARTITION) or _tenant_of_partition(partition),
        alert_type="run_failure",
        dedup_key=f"{run.job_name}:{partition}",
        severity="ERROR",
        message=f"run {run.run_id} of {run.job_name} {partition} failed: {message}",
    )


def _ended_runs(instance: dg.DagsterInstance, cursor: AlertCursor):
    """Run-end records after the cursor, both streams merged in storage order."""

    def fetch(event_type, after):
        return instance.fetch_run_status_changes(
            dg.RunStatusChangeRecordsFilter(event_type=event_type, after_storage_id=after),
            limit=PAGE_SIZE,
            ascending=True,
        ).records

    failures = fetch(dg.DagsterEventType.RUN_FAILURE, cursor.failures)
    successes = fetch(dg.DagsterEventType.RUN_SUCCESS, cursor.successes)
    if len(failures) == PAGE_SIZE or len(successes) == PAGE_SIZE:
        full = [page[-1].storage_id for page in (failures, successes) if len(page) == PAGE_SIZE]
        failures = [r for r in failures if r.storage_id <= min(full)]
        successes = [r for r in successes if r.storage_id <= min(full)]
    failed = {r.storage_id for r in failures}
    merged = sorted(failures + successes, key=lambda r: r.storage_id)
    return [(record, record.storage_id in failed) for record in merged]


def _apply(database: OrchestrationDatabase, alert: Alert, failed: bool, log) -> None:
    if failed:
        outcome = raise_alert(database.engine, alert)
        log.info(f"{outcome.state} {alert.alert_type} {alert.dedup_key} ({alert.tenant})")
    else:
        resolve_alerts(database.engine, alert)


def _process_run(instance, database, tenants, record, failed: bool, log) -> None:
    """Check alerts per tenant-day (in a range run each tenant-day's verdict is its own
    partitioned evaluation), then the run alert. A failed tenant batch raises no run alert:
    ``batch_split_sensor`` re-runs each tenant alone and those runs alert for themselves."""
    run = instance.get_run_by_id(record.run_id)
    if run is None:
        return
    run_tenant = run.tags.get(TENANT_PARTITION)
    for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data
        if "tenant_day_verdicts" in evaluation.metadata:
            continue  # a range run's one result; each tenant-day's own verdict is logged too
        alert = check_alert(tenants, evaluation, run_tenant)
        _apply(database, alert, not evaluation.passed, log)
    if BATCH_TAG not in run.tags:
        _apply(database, run_alert(tenants, run, record.event_log_entry.message or ""), failed, log)
    elif not failed:
        for key in run_partition_keys(run, instance):
            single = dg.DagsterRun(
                job_name=run.job_name, run_id=run.run_id, tags={"dagster/partition": key}
            )
            _apply(database, run_alert(tenants, single, ""), False, log)


@dg.sensor(
    name=ALERT_SENSOR,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Raises, deduplicates and resolves operator alerts from failed asset checks and "
    "failed runs (alerts table and BAKERY_ALERT_WEBHOOK_URL).",
)
def alert_sensor(context: dg.SensorEvaluationContext, database: OrchestrationDatabase):
    cursor = AlertCursor.parse(context.cursor)
    tenants = _Tenants(database)
    ended = _ended_runs(context.instance, cursor)
    for record, failed in ended:
        _process_run(context.instance, database, tenants, record, failed, context.log)
        if failed:
            cursor.failures = record.storage_id
        else:
            cursor.successes = record.storage_id
    return dg.SensorResult(
        skip_reason=None if ended else "no run ended since the last tick", cursor=cursor.dump()
    )
