"""``bakery-orch runs``: the audit trail as an operator reads it."""

import json
from datetime import UTC, datetime, timedelta

import click
import sqlalchemy as sa

from bakery_orchestration.audit import queries
from bakery_orchestration.cli.tenants import _engine
from bakery_orchestration.db.schema import orchestration_step_logs
from bakery_orchestration.errors import BakeryError
from bakery_orchestration.tenants.registry import get_tenant

HEADER = f"{'run number':<50} {'status':<16} {'type':<9} {'started (UTC)':<19} {'secs':>5}  counts"


def _line(row) -> str:
    started = row.started_at.strftime("%Y-%m-%d %H:%M:%S") if row.started_at else "-"
    counts = (
        f"fc={row.forecasts_generated} batches={row.production_batches_created} "
        f"po={row.purchase_orders_created} sent={row.notifications_sent}"
    )
    text = f"{row.run_number:<50} {row.status:<16} {row.run_type:<9} {started:<19} "
    text += f"{row.duration_seconds if row.duration_seconds is not None else '-':>5}  {counts}"
    if row.error_message:
        text += f"\n    error: {row.error_message.splitlines()[0][:160]}"
    return text


def _print(engine, query) -> None:
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    click.echo(HEADER)
    for row in rows:
        click.echo(_line(row))
    click.echo(f"({len(rows)} runs)")


@click.group()
def runs() -> None:
    """Inspect orchestration runs (the audit trail)."""


@runs.command("list")
@click.argument("tenant")
@click.option("--days", type=int, default=7, show_default=True, help="History window.")
@click.option("--active", is_flag=True, help="Only pending and running runs.")
@click.pass_context
def list_(ctx, tenant: str, days: int, active: bool) -> None:
    """Runs of TENANT: its history over the last --days, or its active runs."""
    engine = _engine(ctx)
    tenant_id = get_tenant(engine, tenant).id
    if active:
        _print(engine, queries.active_runs(tenant_id))
        return
    end = datetime.now(UTC)
    _print(engine, queries.run_history(tenant_id, end - timedelta(days=days), end))


@runs.command()
@click.option("--limit", type=int, default=100, show_default=True)
@click.pass_context
def failed(ctx, limit: int) -> None:
    """Failed runs that still need attention (retries left)."""
    _print(_engine(ctx), queries.failed_runs(limit))


@runs.command()
@click.argument("tenant")
@click.option("--days", type=int, default=30, show_default=True)
@click.pass_context
def stats(ctx, tenant: str, days: int) -> None:
    """Average performance metrics of TENANT's completed runs."""
    engine = _engine(ctx)
    tenant_id = get_tenant(engine, tenant).id
    since = datetime.now(UTC) - timedelta(days=days)
    with engine.connect() as conn:
        row = conn.execute(queries.performance_summary(tenant_id, since)).one()
    click.echo(f"{tenant}: {row.runs} completed runs in the last {days} days")
    for name in ("fulfillment_rate", "on_time_delivery_rate", "cost_accuracy", "quality_score"):
        value = getattr(row, name)
        click.echo(f"  {name:<22} {'n/a' if value is None else f'{float(value):.1f}'}")
    duration = row.duration_seconds
    click.echo(f"  {'duration_seconds':<22} {'n/a' if duration is None else f'{duration:.1f}'}")


@runs.command()
@click.argument("run_number")
@click.pass_context
def show(ctx, run_number: str) -> None:
    """Every column of one run and its step log."""
    engine = _engine(ctx)
    log = orchestration_step_logs
    with engine.connect() as conn:
        row = conn.execute(queries.run_by_number(run_number)).mappings().first()
        if row is None:
            raise BakeryError(f"no run {run_number}: see `bakery-orch runs list TENANT`")
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
