"""``bakery-orch status``: the morning at a glance — each active tenant's daily cycle for a day
(done, running, degraded, failed, not started) from the audit trail, and the open alerts.

A tenant-day may have several audit rows (a retry, a re-run, a backfill split into runs): the
newest one tells where it stands now. The day is a partition date (Europe/Madrid calendar),
today by default; audit rows carry it in their run number (``ORCH-YYYYMMDD-...``).
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa

from bakery_orchestration.cli.database import open_engine
from bakery_orchestration.db.schema import alerts, orchestration_runs, tenants

PARTITION_TIMEZONE = "Europe/Madrid"  # partitions.TIMEZONE, without importing Dagster
CYCLE_STATE = {
    "completed": "done",
    "pending": "running",
    "running": "running",
    "partial_success": "degraded",
    "failed": "failed",
    "cancelled": "failed",
}


def cycle_states(conn: sa.Connection, day: date) -> list[tuple[str, str, str | None]]:
    """(tenant slug, state, first line of the error) of each active tenant on ``day``."""
    runs = orchestration_runs
    newest = (
        sa.select(
            runs.c.tenant_id,
            runs.c.status,
            runs.c.error_message,
            sa.func.row_number()
            .over(partition_by=runs.c.tenant_id, order_by=runs.c.started_at.desc())
            .label("rank"),
        )
        .where(runs.c.run_number.like(sa.bindparam("prefix")))
        .subquery()
    )
    query = (
        sa.select(tenants.c.slug, newest.c.status, newest.c.error_message)
        .join_from(
            tenants,
            newest,
            sa.and_(newest.c.tenant_id == tenants.c.id, newest.c.rank == 1),
            isouter=True,
        )
        .where(tenants.c.status == "active")
        .order_by(tenants.c.slug)
    )
    rows = conn.execute(query, {"prefix": f"ORCH-{day:%Y%m%d}-%"}).all()
    return [
        (
            slug,
            CYCLE_STATE.get(status, status) if status else "not started",
            error.splitlines()[0][:160] if error else None,
        )
        for slug, status, error in rows
    ]


def open_alerts(conn: sa.Connection) -> list:
    query = (
        sa.select(
            sa.func.coalesce(tenants.c.slug, "-").label("tenant"),
            alerts.c.severity,
            alerts.c.alert_type,
            alerts.c.message,
            alerts.c.first_seen,
            alerts.c.occurrences,
        )
        .join_from(alerts, tenants, alerts.c.tenant_id == tenants.c.id, isouter=True)
        .where(alerts.c.resolved_at.is_(None))
        .order_by(alerts.c.severity, tenants.c.slug, alerts.c.first_seen)
    )
    return conn.execute(query).all()


@click.command()
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The business day (default: today in Europe/Madrid).",
)
@click.pass_context
def status(ctx: click.Context, day: datetime | None) -> None:
    """Each active tenant's daily cycle for the day, and every open alert."""
    the_day = day.date() if day else datetime.now(ZoneInfo(PARTITION_TIMEZONE)).date()
    engine = open_engine(ctx)
    try:
        with engine.connect() as conn:
            states = cycle_states(conn, the_day)
            open_ = open_alerts(conn)
    finally:
        engine.dispose()
    counts = {name: sum(1 for _, s, _ in states if s == name) for name in _order(states)}
    summary = ", ".join(f"{n} {name}" for name, n in counts.items()) or "no active tenants"
    click.echo(f"daily cycle of {the_day.isoformat()}: {summary}")
    for slug, state, error in states:
        click.echo(f"  {slug:<24} {state:<12} {error or ''}".rstrip())
    click.echo(f"open alerts: {len(open_)}")
    for alert in open_:
        since = alert.first_seen.strftime("%Y-%m-%d %H:%M")
        message = alert.message.splitlines()[0][:120] if alert.message else ""
        click.echo(
            f"  {alert.severity:<5} {alert.tenant:<24} {alert.alert_type:<24} since {since} "
            f"(x{alert.occurrences}) {message}"
        )


def _order(states) -> list[str]:
    seen = [s for _, s, _ in states]
    known = ["failed", "degraded", "running", "not started", "done"]
    return [s for s in known if s in seen] + sorted(set(seen) - set(known))
