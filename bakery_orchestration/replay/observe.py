"""What a replay step left behind, read where an operator would read it: the audit row, the
Dagster event log of the step's runs, the ``alerts`` table, ``validation_runs`` and the plan.
Nothing here judges: every figure is the product's own, None where it measured nothing."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import dagster as dg
import sqlalchemy as sa

from bakery_orchestration.audit.policy import run_number
from bakery_orchestration.core.partitions import partition_key
from bakery_orchestration.db import schema
from bakery_orchestration.replay.report import AlertEvent, CheckFailure, RunNote


@dataclass(frozen=True)
class Window:
    """The wall-clock span of one replay step (alerts carry wall-clock times)."""

    started: datetime
    ended: datetime

    def __contains__(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return self.started <= aware <= self.ended


def audit_row(conn: sa.Connection, tenant: str, day: date, run_id: str) -> sa.Row | None:
    """The audit row of the morning's run; if the audit keeps one row per tenant-day under
    another run number, the tenant-day's first row."""
    runs = schema.orchestration_runs
    columns = (runs.c.status, runs.c.run_metadata, runs.c.error_message)
    exact = conn.execute(
        sa.select(*columns).where(runs.c.run_number == run_number(day, tenant, run_id))
    ).first()
    if exact is not None:
        return exact
    prefix = run_number(day, tenant, "0" * 8)[:-8]  # the same truncation as a real run id
    query = (
        sa.select(*columns)
        .where(runs.c.run_number.startswith(prefix, autoescape=True))
        .order_by(runs.c.created_at)
    )
    return conn.execute(query).first()


def degraded_reason(instance: dg.DagsterInstance, run_id: str, row: sa.Row | None) -> str | None:
    """Why the day was planned degraded, when the product says so: a ``degraded`` audit status,
    a part of the audit's error message that starts with ``degraded``, or a ``degraded`` entry
    (optionally with a ``degraded_reason``) in the audit's run metadata or in a materialization
    of the run."""
    if row is not None:
        said = [p for p in (row.error_message or "").split("; ") if p.startswith("degraded")]
        if said:
            return said[0]
        found = _reason(row.run_metadata or {})
        if found or str(row.status) == "degraded":
            return found or "degraded"
    for record in instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records:
        metadata = record.event_log_entry.asset_materialization.metadata
        found = _reason({k: getattr(v, "value", v) for k, v in metadata.items()})
        if found:
            return found
    return None


def _reason(entries: dict) -> str | None:
    flag = entries.get("degraded")
    if not flag:
        return None
    if isinstance(flag, str):
        return flag
    return str(entries.get("degraded_reason") or "degraded")


def failed_checks(instance: dg.DagsterInstance, notes: Iterable[RunNote]) -> list[CheckFailure]:
    found = []
    for note in notes:
        for entry in instance.all_logs(
            note.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ):
            evaluation = entry.dagster_event.event_specific_data
            if not evaluation.passed:
                found.append(
                    CheckFailure(
                        name=f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}",
                        severity=evaluation.severity.value,
                        description=evaluation.description,
                        run=f"{note.kind} {note.partition}",
                    )
                )
    return found


def alert_changes(conn: sa.Connection, window: Window) -> tuple[list[AlertEvent], list[AlertEvent]]:
    """Alerts first seen, and alerts resolved, within the step."""
    alerts = schema.alerts
    rows = conn.execute(sa.select(alerts).order_by(alerts.c.first_seen)).all()
    opened = [_event(r) for r in rows if r.first_seen in window]
    resolved = [_event(r) for r in rows if r.resolved_at in window]
    return opened, resolved


def _event(row: sa.Row) -> AlertEvent:
    return AlertEvent(row.alert_type, row.dedup_key, row.severity, row.message)


def day_wape(conn: sa.Connection, tenant_id, day: date) -> float | None:
    validation = schema.validation_runs
    query = sa.select(validation.c.wape).where(
        validation.c.tenant_id == tenant_id, validation.c.partition_date == day
    )
    value = conn.execute(query).scalar()
    return round(float(value), 2) if value is not None else None


def units_baked(
    conn: sa.Connection, instance: dg.DagsterInstance, tenant, day: date
) -> float | None:
    """The day's planned bake; None when ``production_plan`` never ran for the day."""
    key = str(partition_key(tenant.slug, day))
    planned = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("production_plan"), asset_partitions=[key]),
        limit=1,
    ).records
    if not planned:
        return None
    plans = schema.production_plans
    query = sa.select(sa.func.coalesce(sa.func.sum(plans.c.quantity), 0)).where(
        plans.c.tenant_id == tenant.id, plans.c.partition_date == day
    )
    return float(conn.execute(query).scalar())
