"""Writes to ``orchestration_runs`` and the step log, inside the caller's transaction.

Everything is keyed by the run number, which is derived from (Dagster run id, tenant, date):
writing the same step twice (a retry, a re-executed handle_output) updates, never duplicates.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bakery_orchestration.audit import policy
from bakery_orchestration.db.schema import orchestration_runs, orchestration_step_logs

OUTPUT_NAMESPACE = uuid.UUID("6f1c3c1e-8a4e-4f7e-9a35-0d6c1b7c2a10")


def output_id(table: str, tenant_id: uuid.UUID, day: date) -> uuid.UUID:
    """A stable id for one partition's stored output of ``table`` (what *_id columns hold)."""
    return uuid.uuid5(OUTPUT_NAMESPACE, f"{table}/{tenant_id}/{day.isoformat()}")


@dataclass(frozen=True)
class RunKey:
    dagster_run_id: str
    tenant: str
    tenant_id: uuid.UUID
    day: date

    @property
    def run_number(self) -> str:
        return policy.run_number(self.day, self.tenant, self.dagster_run_id)


@dataclass(frozen=True)
class RunInfo:
    run_type: str
    triggered_by: str
    priority: str
    started_at: datetime | None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepRecord:
    step: str
    status: str  # success | failed | skipped
    attempt: int
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None = None
    counters: dict[str, int] = field(default_factory=dict)
    run_values: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def _insert(conn: sa.Connection, table: sa.Table):
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def ensure_run_row(conn: sa.Connection, key: RunKey, info: RunInfo) -> None:
    """Create the run's row (status running) unless it exists."""
    values = {
        "run_number": key.run_number,
        "tenant_id": key.tenant_id,
        "status": "running",
        "run_type": info.run_type,
        "priority": info.priority,
        "triggered_by": info.triggered_by,
        "run_metadata": {"dagster_run_id": key.dagster_run_id, **info.metadata},
    }
    if info.started_at is not None:
        values["started_at"] = info.started_at
    insert = _insert(conn, orchestration_runs).values(**values)
    conn.execute(insert.on_conflict_do_nothing(index_elements=["run_number"]))


def record_step(conn: sa.Connection, key: RunKey, record: StepRecord) -> None:
    """The step's attempt in the step log, and its columns/counters on the run row."""
    duration = (
        (record.finished_at - record.started_at).total_seconds()
        if record.started_at and record.finished_at
        else None
    )
    log = orchestration_step_logs
    conn.execute(
        sa.delete(log).where(
            log.c.dagster_run_id == key.dagster_run_id,
            log.c.tenant_id == key.tenant_id,
            log.c.partition_date == key.day,
            log.c.step == record.step,
            log.c.attempt == record.attempt,
        )
    )
    conn.execute(
        sa.insert(log).values(
            run_number=key.run_number,
            dagster_run_id=key.dagster_run_id,
            tenant_id=key.tenant_id,
            partition_date=key.day,
            step=record.step,
            attempt=record.attempt,
            status=record.status,
            started_at=record.started_at,
            finished_at=record.finished_at,
            duration_seconds=duration,
            error=record.error,
            details=record.details,
        )
    )
    values: dict[str, Any] = {**record.counters, **record.run_values}
    prefix = policy.STEP_COLUMNS.get(record.step)
    if prefix:
        values.update(
            {
                f"{prefix}_status": record.status,
                f"{prefix}_started_at": record.started_at,
                f"{prefix}_completed_at": record.finished_at,
                f"{prefix}_error": record.error,
            }
        )
    if values:
        conn.execute(
            sa.update(orchestration_runs)
            .where(orchestration_runs.c.run_number == key.run_number)
            .values(**values)
        )


def step_statuses(conn: sa.Connection, key: RunKey) -> dict[str, str]:
    """The latest attempt's status of each step logged for the run and tenant-day."""
    log = orchestration_step_logs
    rows = conn.execute(
        sa.select(log.c.step, log.c.attempt, log.c.status)
        .where(log.c.run_number == key.run_number)
        .order_by(log.c.attempt)
    ).all()
    return {step: status for step, _attempt, status in rows}


def finish_run(
    conn: sa.Connection,
    key: RunKey,
    *,
    status: str,
    completed_at: datetime,
    steps_total: int,
    steps_completed: int,
    error_message: str | None,
    error_details: dict | None,
    retry_count: int,
    max_retries_reached: bool,
    run_metadata: dict,
    performance: dict | None = None,
) -> None:
    runs = orchestration_runs
    row = (
        conn.execute(sa.select(runs).where(runs.c.run_number == key.run_number)).mappings().first()
    )
    if row is None:
        return
    started = row["started_at"]
    if started is not None and started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    values = {
        "status": status,
        "completed_at": completed_at,
        "duration_seconds": int(round((completed_at - started).total_seconds()))
        if started
        else None,
        "saga_steps_total": steps_total,
        "saga_steps_completed": steps_completed,
        "error_message": error_message,
        "error_details": error_details,
        "retry_count": retry_count,
        "max_retries_reached": max_retries_reached,
        "run_metadata": {**(row["run_metadata"] or {}), **run_metadata},
        **(performance or {}),
    }
    executed = set(run_metadata.get("steps_run", []))
    for step, prefix in policy.STEP_COLUMNS.items():
        if step not in executed:  # not run by this run: skipped, and nothing was counted
            values[f"{prefix}_status"] = "skipped"
            values.update(dict.fromkeys(policy.STEP_COUNTERS[step]))
    conn.execute(sa.update(runs).where(runs.c.run_number == key.run_number).values(**values))
