"""``bakery-orch deliveries``: list purchase orders and record their receipt.

Recording a receipt marks the order ``received`` with ``received_at`` and resolves its open
delivery alerts (arriving soon, overdue, receipt incomplete) at once, without waiting for the
next hourly tracking.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import click

from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.migrate import ensure_schema
from bakery_orchestration.deliveries import store
from bakery_orchestration.deliveries.service import receive_delivery
from bakery_orchestration.tenants.registry import get_tenant


def _engine(ctx: click.Context):
    url = ctx.obj["database_url"]
    ensure_schema(url)
    return create_db_engine(url)


def _tenant_of(engine, po_number: str, explicit: str | None) -> str:
    """The tenant given, or else the only one with an order numbered ``po_number``."""
    if explicit:
        return explicit
    with engine.connect() as conn:
        slugs = store.tenants_with_order(conn, po_number)
    if not slugs:
        raise BakeryError(f"no tenant has a purchase order {po_number}")
    if len(slugs) > 1:
        raise BakeryError(f"{po_number} exists for {', '.join(slugs)}: name one with --tenant")
    return slugs[0]


def _instant(value: str | None, timezone: str) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint="--at") from exc
    return at if at.tzinfo else at.replace(tzinfo=ZoneInfo(timezone))


@click.group()
def deliveries() -> None:
    """Purchase order deliveries: what is expected, and recording receipts."""


@deliveries.command()
@click.argument("po_number")
@click.option("--tenant", help="Tenant slug (needed only if several have this order number).")
@click.option(
    "--at",
    "at_text",
    help="When it arrived, ISO 8601; without an offset, tenant-local time (default: now).",
)
@click.pass_context
def receive(ctx: click.Context, po_number: str, tenant: str | None, at_text: str | None) -> None:
    """Record that purchase order PO_NUMBER was received, and resolve its delivery alerts."""
    engine = _engine(ctx)
    try:
        slug = _tenant_of(engine, po_number, tenant)
        at = _instant(at_text, get_tenant(engine, slug).timezone)
        receipt = receive_delivery(engine, slug, po_number, at)
    finally:
        engine.dispose()
    resolved = ", ".join(receipt.resolved) or "none"
    click.echo(
        f"{slug}: {po_number} received at {receipt.received_at.isoformat()}; "
        f"alerts resolved: {resolved}"
    )


@deliveries.command("list")
@click.option("--tenant", help="Only this tenant's orders.")
@click.option("--open", "only_open", is_flag=True, help="Only orders not yet received.")
@click.pass_context
def list_command(ctx: click.Context, tenant: str | None, only_open: bool) -> None:
    """Purchase orders by tenant and expected delivery date, with their open delivery alerts."""
    engine = _engine(ctx)
    try:
        tenant_id = get_tenant(engine, tenant).id if tenant else None
        with engine.connect() as conn:
            rows = store.list_orders(conn, tenant_id, only_open)
    finally:
        engine.dispose()
    if not rows:
        click.echo("no purchase orders")
    for row in rows:
        received = row.received_at.isoformat(timespec="minutes") if row.received_at else "-"
        click.echo(
            f"{row.tenant:<20} {row.po_number:<18} {row.supplier_id:<16} "
            f"{row.expected_delivery_date or '-'!s:<10} {row.status:<9} {received:<25} "
            f"{','.join(row.open_alerts) or '-'}"
        )
