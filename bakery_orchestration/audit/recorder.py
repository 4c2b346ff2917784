"""Dagster's side of the audit: what a step, a failed step and an ended run write.

- Successful outputs: the IO manager calls :func:`record_output` inside the transaction that
  stores the output, so the output and its audit land together or not at all.
- Failed steps: :data:`audit_failure_hook`, attached to every daily asset (asset hooks fire for
  UI materializations and backfills too, unlike job hooks).
- Ended runs (success, failure, cancellation, a killed worker marked failed by run monitoring):
  :func:`finalize_run`, called by the run-status sensors and by in-process launchers.
"""

import functools
import os
import socket
from datetime import UTC, datetime

import dagster as dg
import sqlalchemy as sa
from dagster import DagsterEventType

from bakery_orchestration.audit import policy, writer
from bakery_orchestration.audit.performance import performance_metrics
from bakery_orchestration.core.batches import BATCH_TAG, run_partition_keys
from bakery_orchestration.core.partitions import split_key
from bakery_orchestration.core.process import cpu_seconds, peak_rss_mib
from bakery_orchestration.core.versions import release
from bakery_orchestration.storage import receipts
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.storage.tables import ASSET_STORAGE
from bakery_orchestration.tenants.registry import get_tenant

MAX_STEP_RETRIES = 3


def code_version() -> str:
    """The package version and git commit (``core/versions.release``)."""
    return release()


def _utc(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp else None


def _step_events(instance: dg.DagsterInstance, run_id: str, event_type) -> list:
    return list(instance.get_records_for_run(run_id, of_type=event_type, limit=10_000).records)


def _step_started_at(instance: dg.DagsterInstance, run_id: str, step_key: str) -> datetime | None:
    starts = [
        r.event_log_entry
        for r in _step_events(instance, run_id, DagsterEventType.STEP_START)
        if r.event_log_entry.step_key == step_key
    ]
    return _utc(starts[-1].timestamp) if starts else None


def _run_key(database: OrchestrationDatabase, run: dg.DagsterRun, key: str) -> writer.RunKey:
    tenant, day = split_key(key)
    return writer.RunKey(run.run_id, tenant, database.tenant_id(tenant), day)


def _run_keys(
    instance: dg.DagsterInstance, database: OrchestrationDatabase, run: dg.DagsterRun
) -> list[writer.RunKey]:
    """One audit key per tenant-day the run covers (a tenant batch covers several)."""
    return [_run_key(database, run, key) for key in run_partition_keys(run, instance)]


def _run_info(
    instance: dg.DagsterInstance, database: OrchestrationDatabase, run: dg.DagsterRun, tenant: str
) -> writer.RunInfo:
    record = instance.get_run_record_by_id(run.run_id)
    started = _utc(record.start_time) if record and record.start_time else None
    return _info(run, get_tenant(database.engine, tenant).tier, started, record)


def _info(run: dg.DagsterRun, tier: str, started, record) -> writer.RunInfo:
    return writer.RunInfo(
        run_type=policy.run_type(run.tags),
        triggered_by=policy.triggered_by(run.tags),
        priority=policy.priority(tier),
        started_at=started or (record.create_timestamp if record else None),
        metadata={
            "job_name": run.job_name,
            "code_version": code_version(),
            **({"tenant_batch": run.tags[BATCH_TAG]} if BATCH_TAG in run.tags else {}),
        },
    )


@functools.lru_cache(maxsize=64)
def _run_started(instance: dg.DagsterInstance, run_id: str):
    """The run's record and start time, once per run and process (a batch writes many rows)."""
    record = instance.get_run_record_by_id(run_id)
    return record, (_utc(record.start_time) if record and record.start_time else None)


_TIERS: dict[tuple[str, str, str], str] = {}


def _tenant_tier(database: OrchestrationDatabase, run_id: str, tenant: str) -> str:
    """The tenant's tier, looked up once per run and process."""
    key = (database.url, run_id, tenant)
    if key not in _TIERS:
        if len(_TIERS) > 1024:
            _TIERS.clear()
        _TIERS[key] = get_tenant(database.engine, tenant).tier
    return _TIERS[key]


@functools.lru_cache(maxsize=256)
def _attempt_started_at(instance, run_id: str, step_key: str, attempt: int) -> datetime | None:
    return _step_started_at(instance, run_id, step_key)


def record_output(
    conn: sa.Connection,
    context: dg.OutputContext,
    database: OrchestrationDatabase,
    audit: dict,
    partition: str,
) -> None:
    """Audit a stored output of one tenant-day: create its run row if needed and record the
    step's success. Run-level facts are looked up once per run, not once per tenant-day."""
    step_context = context.step_context
    run = step_context.dagster_run
    if "|" not in partition:
        return
    key = _run_key(database, run, partition)
    instance = step_context.instance
    record, started = _run_started(instance, run.run_id)
    tier = _tenant_tier(database, run.run_id, key.tenant)
    writer.ensure_run_row(conn, key, _info(run, tier, started, record))
    status = audit.get("status", "success")
    attempt = step_context.previous_attempt_count + 1
    writer.record_step(
        conn,
        key,
        writer.StepRecord(
            step=context.asset_key.path[-1],
            status=status,
            attempt=attempt,
            started_at=_attempt_started_at(instance, run.run_id, context.step_key, attempt),
            finished_at=datetime.now(UTC),
            error=audit.get("error"),
            counters=audit.get("counters", {}),
            run_values=audit.get("run_values", {}),
            details={
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "process_cpu_seconds": cpu_seconds(),
                "process_peak_rss_mb": peak_rss_mib(),
                **audit.get("details", {}),
            },
        ),
    )


@dg.failure_hook(required_resource_keys={"database"})
def audit_failure_hook(context: dg.HookContext) -> None:
    """Record a failed step (its error, the attempt) on the audit row of each tenant-day of the
    run (a tenant batch fails as a whole; its error names the tenant-day that failed)."""
    database: OrchestrationDatabase = context.resources.database
    run = context.instance.get_run_by_id(context.run_id)
    keys = _run_keys(context.instance, database, run)
    if not keys:
        return
    error = context.op_exception
    retries = _retries_of(context.instance, run.run_id, context.step_key)
    started = _step_started_at(context.instance, run.run_id, context.step_key)
    with database.engine.begin() as conn:
        for key in keys:
            writer.ensure_run_row(conn, key, _run_info(context.instance, database, run, key.tenant))
            writer.record_step(
                conn,
                key,
                writer.StepRecord(
                    step=context.step_key,
                    status="failed",
                    attempt=retries + 1,
                    started_at=started,
                    finished_at=datetime.now(UTC),
                    error=f"{type(error).__name__}: {error}" if error else "step failed",
                    details={"exception_type": type(error).__name__ if error else None},
                ),
            )


def _retries_of(instance: dg.DagsterInstance, run_id: str, step_key: str) -> int:
    events = _step_events(instance, run_id, DagsterEventType.STEP_UP_FOR_RETRY)
    return sum(1 for r in events if r.event_log_entry.step_key == step_key)


def planned_steps(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[str]:
    """The run's audited steps: the persisted assets it was to materialize (asset checks that
    run as separate steps are not steps of the bakery's saga)."""
    snapshot = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    return sorted(key for key in snapshot.step_keys_to_execute if key in ASSET_STORAGE)


def finalize_run(
    instance: dg.DagsterInstance, database: OrchestrationDatabase, run_id: str
) -> str | None:
    """Close the audit rows of an ended run (one per tenant-day); returns the final status
    (the worst over a batch's tenant-days; None if the run is not audited)."""
    record = instance.get_run_record_by_id(run_id)
    run = record.dagster_run
    keys = _run_keys(instance, database, run) if run.is_finished else []
    if not keys:
        return None
    steps = planned_steps(instance, run)
    failures = _failed_steps(instance, run_id)
    retries = {s: _retries_of(instance, run_id, s) for s in steps}
    statuses = []
    with database.engine.begin() as conn:
        for key in keys:
            statuses.append(
                _finalize_key(
                    conn, instance, database, record, key, steps, failures, retries, len(keys)
                )
            )
    return min(statuses, key=STATUS_ORDER.index)


STATUS_ORDER = ["failed", "cancelled", "partial_success", "completed"]


def _finalize_key(
    conn, instance, database, record, key, steps, failures, retries, tenant_days: int
) -> str:
    """Close one tenant-day's row; run-level facts come from the caller, read once per run."""
    run = record.dagster_run
    started = _utc(record.start_time) if record.start_time else None
    tier = get_tenant(database.engine, key.tenant).tier
    writer.ensure_run_row(conn, key, _info(run, tier, started, record))
    _record_unlogged_failures(conn, instance, key, run, failures)
    logged = writer.step_statuses(conn, key)
    outcome = {step: logged.get(step) for step in steps}
    status = policy.final_status(run.status.value, outcome)
    first_failure = next((f for f in failures if f["step"] in steps), None)
    degraded = receipts.degraded_note(receipts.read_state(conn, key.tenant_id, key.day), key.day)
    if degraded and status == "completed":
        status = "partial_success"  # planned, but without the day's sales
    problems = [_error_message(run, first_failure, status), degraded]
    writer.finish_run(
        conn,
        key,
        status=status,
        completed_at=_utc(record.end_time) or datetime.now(UTC),
        steps_total=len(steps),
        steps_completed=sum(1 for s in steps if logged.get(s) in ("success", "skipped")),
        error_message="; ".join(p for p in problems if p) or None,
        error_details=first_failure,
        retry_count=sum(retries.values()),
        max_retries_reached=any(
            retries[s] >= MAX_STEP_RETRIES for s in steps if logged.get(s) == "failed"
        ),
        run_metadata={
            "dagster_run_id": run.run_id,
            "dagster_status": run.status.value,
            "planned_steps": steps,
            "steps_run": sorted(logged),
            **_process_figures(conn, key),
            "tenant_days_in_run": tenant_days,
            "host": socket.gethostname(),
        },
        performance=performance_metrics(conn, key.tenant_id, key.day),
    )
    return status


def _failed_steps(instance: dg.DagsterInstance, run_id: str) -> list[dict]:
    failures = []
    for r in _step_events(instance, run_id, DagsterEventType.STEP_FAILURE):
        entry = r.event_log_entry
        data = entry.dagster_event.step_failure_data if entry.dagster_event else None
        error = _user_error(data.error) if data else None
        failures.append(
            {
                "step": entry.step_key,
                "exception_type": error.cls_name if error else None,
                "message": _cause_text(instance, run_id, entry.step_key, error)
                if error
                else entry.user_message[:MAX_ERROR_CHARS],
                "attempt": _retries_of(instance, run_id, entry.step_key) + 1,
            }
        )
    return failures


MAX_ERROR_CHARS = 400
CHECK_FAILED = "DagsterAssetCheckFailedError"


def _user_error(error):
    """The user's exception, not Dagster's wrappers around it nor the retry bookkeeping
    (``Exceeded max_retries of 3`` wraps the last attempt's exception as its cause)."""
    while error.cause is not None and (
        error.cls_name.startswith("Dagster")
        or error.cls_name == "RetryRequested"
        or error.message.startswith("Exceeded max_retries")
    ):
        error = error.cause
    return error


def _cause_text(instance, run_id: str, step_key: str, error) -> str:
    """``Class: message`` of the failure, its root cause when it has one (connection refused,
    read timeout), or the failed blocking check and why; one line, cut to a readable length."""
    if error.cls_name == CHECK_FAILED:
        checks = _failed_blocking_checks(instance, run_id, step_key)
        if checks:
            return "; ".join(checks)[:MAX_ERROR_CHARS]
    text = _one_line(error.message)
    if not text.startswith(f"{error.cls_name}:"):
        text = f"{error.cls_name}: {text}"
    root = error
    while root.cause is not None:
        root = root.cause
    if root is not error:
        cause = _one_line(root.message)
        if not cause.startswith(f"{root.cls_name}:"):
            cause = f"{root.cls_name}: {cause}"
        text += f" (caused by {cause})"
    return text[:MAX_ERROR_CHARS]


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _failed_blocking_checks(instance, run_id: str, step_key: str) -> list[str]:
    found = []
    for r in _step_events(instance, run_id, DagsterEventType.ASSET_CHECK_EVALUATION):
        entry = r.event_log_entry
        evaluation = entry.dagster_event.event_specific_data
        if entry.step_key == step_key and evaluation.blocking and not evaluation.passed:
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            why = _one_line(evaluation.description or "failed")
            found.append(f"check {name} failed: {why}")
    return found


def _record_unlogged_failures(conn, instance, key, run, failures: list[dict]) -> None:
    """Steps that failed without their hook writing (a crash), or that started and never ended
    (a killed worker, later marked failed by run monitoring)."""
    logged = writer.step_statuses(conn, key)
    failed = {f["step"] for f in failures}
    succeeded = {
        r.event_log_entry.step_key
        for r in _step_events(instance, run.run_id, DagsterEventType.STEP_SUCCESS)
    }
    for r in _step_events(instance, run.run_id, DagsterEventType.STEP_START):
        step = r.event_log_entry.step_key
        audited = step in ASSET_STORAGE and step not in succeeded
        if audited and logged.get(step) is None and step not in failed:
            failed.add(step)
            failures.append(
                {
                    "step": step,
                    "exception_type": None,
                    "message": "step started but never finished (run worker died or was killed)",
                    "attempt": _retries_of(instance, run.run_id, step) + 1,
                }
            )
    for failure in failures:
        if failure["step"] in ASSET_STORAGE and logged.get(failure["step"]) is None:
            writer.record_step(
                conn,
                key,
                writer.StepRecord(
                    step=failure["step"],
                    status="failed",
                    attempt=failure["attempt"],
                    started_at=_step_started_at(instance, run.run_id, failure["step"]),
                    finished_at=None,
                    error=failure["message"],
                ),
            )


def _error_message(run: dg.DagsterRun, failure: dict | None, status: str) -> str | None:
    if failure:
        return f"step {failure['step']} failed: {failure['message']}"[:2000]
    if status == "cancelled":
        return "run cancelled"
    if status == "failed":
        return f"run ended {run.status.value} before its steps completed"
    return None


def _process_figures(conn: sa.Connection, key: writer.RunKey) -> dict[str, float]:
    """``cpu_seconds``: the sum over step processes of the CPU each had used at its last output;
    ``peak_rss_mb``: the largest resident memory any of them reached."""
    from bakery_orchestration.db.schema import orchestration_step_logs as log

    rows = conn.execute(sa.select(log.c.details).where(log.c.run_number == key.run_number)).all()
    per_pid: dict[int, float] = {}
    peak = 0.0
    for (details,) in rows:
        if details and "pid" in details:
            pid = details["pid"]
            per_pid[pid] = max(per_pid.get(pid, 0.0), details.get("process_cpu_seconds", 0.0))
            peak = max(peak, details.get("process_peak_rss_mb", 0.0))
    return {"cpu_seconds": round(sum(per_pid.values()), 3), "peak_rss_mb": peak}
