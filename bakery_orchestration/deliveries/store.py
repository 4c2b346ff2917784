"""Reads and writes of purchase orders and their delivery alerts for the tracking and the CLI."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from bakery_orchestration.db.schema import alerts, purchase_orders, tenants
from bakery_orchestration.deliveries.tracking import ALERT_TYPES, TrackedOrder


@dataclass(frozen=True)
class OrderRow:
    tenant: str
    po_number: str
    supplier_id: str
    expected_delivery_date: date | None
    status: str
    received_at: datetime | None
    open_alerts: tuple[str, ...]


@dataclass(frozen=True)
class OpenDeliveryAlert:
    tenant_id: uuid.UUID
    tenant: str
    alert_type: str
    po_number: str
    po_status: str | None


def tracked_orders(conn: sa.Connection) -> list[tuple[TrackedOrder, str]]:
    """Open orders of active tenants, each with its tenant's time zone."""
    query = (
        sa.select(purchase_orders, tenants.c.slug, tenants.c.timezone)
        .join(tenants, tenants.c.id == purchase_orders.c.tenant_id)
        .where(tenants.c.status == "active", purchase_orders.c.status == "open")
        .order_by(tenants.c.slug, purchase_orders.c.po_number)
    )
    return [
        (
            TrackedOrder(
                tenant_id=row["tenant_id"],
                tenant=row["slug"],
                po_number=row["po_number"],
                supplier_id=row["supplier_id"],
                expected_delivery_date=row["expected_delivery_date"],
            ),
            row["timezone"],
        )
        for row in conn.execute(query).mappings()
    ]


def _po_of_alert():
    return sa.and_(
        purchase_orders.c.tenant_id == alerts.c.tenant_id,
        purchase_orders.c.po_number == alerts.c.dedup_key,
    )


def open_delivery_alerts(
    conn: sa.Connection, tenant_id: uuid.UUID | None = None, po_number: str | None = None
) -> list[OpenDeliveryAlert]:
    """Unresolved delivery alerts with the status of their order (None if it is gone)."""
    query = (
        sa.select(
            alerts.c.tenant_id,
            tenants.c.slug,
            alerts.c.alert_type,
            alerts.c.dedup_key,
            purchase_orders.c.status,
        )
        .join(tenants, tenants.c.id == alerts.c.tenant_id)
        .outerjoin(purchase_orders, _po_of_alert())
        .where(alerts.c.alert_type.in_(ALERT_TYPES), alerts.c.resolved_at.is_(None))
    )
    if tenant_id is not None:
        query = query.where(alerts.c.tenant_id == tenant_id)
    if po_number is not None:
        query = query.where(alerts.c.dedup_key == po_number)
    return [OpenDeliveryAlert(*row) for row in conn.execute(query)]


def find_order(conn: sa.Connection, tenant_id: uuid.UUID, po_number: str) -> sa.RowMapping | None:
    query = sa.select(purchase_orders).where(
        purchase_orders.c.tenant_id == tenant_id, purchase_orders.c.po_number == po_number
    )
    return conn.execute(query).mappings().first()


def tenants_with_order(conn: sa.Connection, po_number: str) -> list[str]:
    query = (
        sa.select(tenants.c.slug)
        .join(purchase_orders, purchase_orders.c.tenant_id == tenants.c.id)
        .where(purchase_orders.c.po_number == po_number)
        .order_by(tenants.c.slug)
    )
    return list(conn.execute(query).scalars())


def mark_received(conn: sa.Connection, order_id: uuid.UUID, at: datetime) -> bool:
    """Set an open order received at ``at``; False if it was no longer open."""
    done = conn.execute(
        sa.update(purchase_orders)
        .where(purchase_orders.c.id == order_id, purchase_orders.c.status == "open")
        .values(status="received", received_at=at)
    )
    return done.rowcount == 1


def list_orders(
    conn: sa.Connection, tenant_id: uuid.UUID | None = None, only_open: bool = False
) -> list[OrderRow]:
    """Orders by tenant, expected date and number, with their unresolved delivery alert types."""
    query = sa.select(purchase_orders, tenants.c.slug).join(
        tenants, tenants.c.id == purchase_orders.c.tenant_id
    )
    if tenant_id is not None:
        query = query.where(purchase_orders.c.tenant_id == tenant_id)
    if only_open:
        query = query.where(purchase_orders.c.status == "open")
    query = query.order_by(
        tenants.c.slug, purchase_orders.c.expected_delivery_date, purchase_orders.c.po_number
    )
    flagged: dict[tuple, list[str]] = {}
    for alert in open_delivery_alerts(conn, tenant_id):
        flagged.setdefault((alert.tenant_id, alert.po_number), []).append(alert.alert_type)
    return [
        OrderRow(
            tenant=row["slug"],
            po_number=row["po_number"],
            supplier_id=row["supplier_id"],
            expected_delivery_date=row["expected_delivery_date"],
            status=row["status"],
            received_at=row["received_at"],
            open_alerts=tuple(
                sorted(flagged.get((row["tenant_id"], row["po_number"]), []), key=ALERT_TYPES.index)
            ),
        )
        for row in conn.execute(query).mappings()
    ]
