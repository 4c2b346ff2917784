"""One tracking tick over every open purchase order, and the recording of a receipt.

Alerts are raised and resolved through ``audit.alerts``: a tick repeated within the same
state only bumps ``last_seen`` and ``occurrences``, and only new and resolved alerts reach the
operators' webhook. An order's delivery alerts stay open until it is received (resolved by
``receive_delivery``, or by the next tick if the order was received or cancelled some other way)
or until its expected date moves far enough ahead that nothing is due any more.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from bakery_orchestration.audit.alerts import Alert, Outcome, raise_alert, resolve_alerts
from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.deliveries import store
from bakery_orchestration.deliveries.tracking import DeliveryAlert, DeliveryWindow, delivery_alerts
from bakery_orchestration.tenants.registry import get_tenant


@dataclass
class TrackingSummary:
    orders_checked: int = 0
    outcomes: Counter = field(default_factory=Counter)
    raised: list[str] = field(default_factory=list)


def track_deliveries(engine: sa.Engine, now: datetime, window: DeliveryWindow) -> TrackingSummary:
    """Raise what each open order of an active tenant calls for at ``now``; resolve the rest."""
    now = now.astimezone(UTC)  # SQLite keeps no offset: store every instant in UTC
    summary = TrackingSummary()
    with engine.connect() as conn:
        orders = store.tracked_orders(conn)
        stale = store.open_delivery_alerts(conn)
    quiet = set()
    for order, timezone in orders:
        summary.orders_checked += 1
        due = delivery_alerts(order, now, window.in_timezone(timezone))
        if not due:
            quiet.add((order.tenant_id, order.po_number))
        for found in due:
            outcome = raise_alert(engine, _alert(order.tenant_id, order.tenant, found), now)
            summary.outcomes[outcome.state] += 1
            if outcome.state == "raised":
                summary.raised.append(f"{found.alert_type} {order.tenant}/{order.po_number}")
    for alert in stale:
        if alert.po_status != "open" or (alert.tenant_id, alert.po_number) in quiet:
            summary.outcomes["resolved"] += len(_resolve(engine, alert, now))
    return summary


@dataclass(frozen=True)
class Receipt:
    tenant: str
    po_number: str
    received_at: datetime
    resolved: list[str]


def receive_delivery(engine: sa.Engine, slug: str, po_number: str, at: datetime) -> Receipt:
    """Mark the open order received at ``at`` (timezone-aware) and resolve its delivery alerts."""
    at = at.astimezone(UTC)
    tenant = get_tenant(engine, slug)
    with engine.begin() as conn:
        order = store.find_order(conn, tenant.id, po_number)
        if order is None:
            raise BakeryError(f"{slug} has no purchase order {po_number}")
        if not store.mark_received(conn, order["id"], at):
            raise BakeryError(f"{slug} {po_number} is {order['status']}, not open")
    with engine.connect() as conn:
        open_alerts = store.open_delivery_alerts(conn, tenant.id, po_number)
    now = datetime.now(UTC)
    resolved = [a.alert_type for a in open_alerts if _resolve(engine, a, now)]
    return Receipt(slug, po_number, at, resolved)


def _alert(tenant_id, tenant: str, found: DeliveryAlert) -> Alert:
    return Alert(
        tenant_id=tenant_id,
        tenant=tenant,
        alert_type=found.alert_type,
        dedup_key=found.dedup_key,
        severity=found.severity,
        message=found.message,
    )


def _resolve(engine: sa.Engine, alert: store.OpenDeliveryAlert, now: datetime) -> list[Outcome]:
    signal = DeliveryAlert(alert.alert_type, 0, alert.po_number, "")
    return resolve_alerts(engine, _alert(alert.tenant_id, alert.tenant, signal), now)
