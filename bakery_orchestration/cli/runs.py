"""``bakery-orch runs``: the audit trail as an operator reads it, for one tenant or all."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import click
import sqlalchemy as sa

from bakery_orchestration.audit import queries
from bakery_orchestration.cli.database import open_engine, tenant_id_of
from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.db.schema import orchestration_runs, orchestration_step_logs, tenants

HEADER = (
    f"{'tenant':<20} {'run number':<50} {'status':<16} {'type':<9} {'started (UTC)':<19} "
    f"{'secs':>5}  counts"
)
METRICS = ("fulfillment_rate", "on_time_delivery_rate", "cost_accuracy", "quality_score")
STATS_COLUMNS = (*METRICS, "duration_seconds")
STATS_LABELS = ("runs", "fulfil %", "on time %", "cost acc %", "quality %", "secs")


def _line(row) -> str:
    started = row.started_at.strftime("%Y-%m-%d %H:%M:%S") if row.started_at else "-"
    counts = (
        f"fc={row.forecasts_generated} batches={row.production_batches_created} "
        f"po={row.purchase_orders_created} sent={row.notifications_sent}"
    )
    text = f"{row.tenant:<20} {row.run_number:<50} {row.status:<16} {row.run_type:<9} "
    text += f"{started:<19} "
    text += f"{row.duration_seconds if row.duration_seconds is not None else '-':>5}  {counts}"
    if row.error_message:
        text += f"\n    error: {row.error_message.splitlines()[0][:160]}"
    return text


def _runs(tenant_id: uuid.UUID | None, *conditions) -> sa.Select:
    """The listing columns and the tenant's slug, newest first, for one tenant or all."""
    runs = orchestration_runs
    query = (
        sa.select(*queries.LIST_COLUMNS, tenants.c.slug.label("tenant"))
        .join_from(runs, tenants, runs.c.tenant_id == tenants.c.id)
        .where(*conditions)
        .order_by(runs.c.started_at.desc())
    )
    return query if tenant_id is None else query.where(runs.c.tenant_id == tenant_id)


def _print(engine: sa.Engine, query: sa.Select) -> None:
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    click.echo(HEADER)
    for row in rows:
        click.echo(_line(row))
    click.echo(f"({len(rows)} runs)")


def _tenant(engine: sa.Engine, slug: str | None) -> uuid.UUID | None:
    return None if slug is None else tenant_id_of(engine, slug)


@click.group()
def runs() -> None:
    """Inspect orchestration runs (the audit trail)."""


@runs.command("list")
@click.argument("tenant", required=False)
@click.option("--days", type=click.IntRange(min=1), default=7, show_default=True)
@click.option("--active", is_flag=True, help="Only pending and running runs.")
@click.pass_context
def list_(ctx, tenant: str | None, days: int, active: bool) -> None:
    """Runs of TENANT (default: every tenant) over the last --days, or the active ones."""
    engine = open_engine(ctx)
    tenant_id = _tenant(engine, tenant)
    status = orchestration_runs.c.status
    if active:
        _print(engine, _runs(tenant_id, status.in_(["pending", "running"])))
        return
    end = datetime.now(UTC)
    started = orchestration_runs.c.started_at.between(end - timedelta(days=days), end)
    _print(engine, _runs(tenant_id, started))


@runs.command()
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.pass_context
def failed(ctx, limit: int) -> None:
    """Failed runs that still need attention (retries left), every tenant."""
    runs_ = orchestration_runs
    query = _runs(
        None,
        runs_.c.status == "failed",
        runs_.c.retry_count < 3,
        runs_.c.max_retries_reached.is_(False),
    ).limit(limit)
    _print(open_engine(ctx), query)


def _summary(tenant_id: uuid.UUID | None, since: datetime) -> sa.Select:
    runs_ = orchestration_runs
    query = (
        sa.select(
            tenants.c.slug.label("tenant"),
            sa.func.count().label("runs"),
            *(sa.func.avg(runs_.c[name]).label(name) for name in METRICS),
            sa.func.avg(runs_.c.duration_seconds).label("duration_seconds"),
        )
        .join_from(runs_, tenants, runs_.c.tenant_id == tenants.c.id)
        .where(runs_.c.status == "completed", runs_.c.started_at > since)
        .group_by(tenants.c.slug)
        .order_by(tenants.c.slug)
    )
    return query if tenant_id is None else query.where(runs_.c.tenant_id == tenant_id)


def _figure(value) -> str:
    return "n/a" if value is None else f"{float(value):.1f}"


@runs.command()
@click.argument("tenant", required=False)
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True)
@click.pass_context
def stats(ctx, tenant: str | None, days: int) -> None:
    """Average performance of completed runs over --days, per tenant (default: every tenant).

    Rates are percent; n/a where no run measured them."""
    engine = open_engine(ctx)
    since = datetime.now(UTC) - timedelta(days=days)
    with engine.connect() as conn:
        rows = conn.execute(_summary(_tenant(engine, tenant), since)).all()
    click.echo(f"completed runs in the last {days} days")
    click.echo(f"{'tenant':<20} " + " ".join(f"{label:>10}" for label in STATS_LABELS))
    for row in rows:
        values = [str(row.runs), *(_figure(getattr(row, name)) for name in STATS_COLUMNS)]
        click.echo(f"{row.tenant:<20} " + " ".join(f"{value:>10}" for value in values))
    if not rows:
        click.echo(f"{tenant or 'no tenant'}: no completed runs")


@runs.command()
@click.argument("run_number")
@click.pass_context
def show(ctx, run_number: str) -> None:
    """Every column of one run and its step log."""
    engine = open_engine(ctx)
    log = orchestration_step_logs
    with engine.connect() as conn:
        row = conn.execute(queries.run_by_number(run_number)).mappings().first()
        if row is None:
            raise BakeryError(f"no run {run_number}: see `bakery-orch runs list`")
        steps = conn.execute(
            sa.select(log).where(log.c.run_number == run_number).order_by(log.c.id)
        ).mappings()
        step_lines = [
            f"  {s['step']:<22} attempt {s['attempt']} {s['status']:<8} "
            f"{s['duration_seconds'] or 0:7.2f}s {s['error'] or ''}"
            for s in steps
        ]
    for key, value in row.items():
        if isinstance(value, dict):
            value = json.dumps(value, default=str)[:300]
        click.echo(f"{key:<28} {value}")
    click.echo("steps:")
    for line in step_lines:
        click.echo(line)
