"""When an open purchase order deserves an alert: the pure rules, without a database.

A purchase order only has an expected delivery *date*; the time of day comes from the delivery
window, the same for every supplier of a tenant: ``07:00-09:00`` in the tenant's own time zone
unless ``BAKERY_DELIVERY_WINDOW`` (``HH:MM-HH:MM``, read when the tracking runs) says otherwise.
With ``start`` and ``end`` the window on the expected date:

- ``DELIVERY_ARRIVING_SOON`` (priority 70) from ``start - 2 h`` until the order turns overdue;
- ``DELIVERY_OVERDUE`` (priority 95) from ``end + 30 min`` on;
- ``STOCK_RECEIPT_INCOMPLETE`` (priority 80) from ``end + 2 h`` on.

Each bound is inclusive: at exactly ``start - 2 h`` the order is arriving soon. The alerts table
has no priority column, so a priority of 90 or more is stored as severity ERROR, lower as WARN,
and the message states the priority.
"""

import os
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

WINDOW_ENV = "BAKERY_DELIVERY_WINDOW"

ARRIVING_SOON = "DELIVERY_ARRIVING_SOON"
OVERDUE = "DELIVERY_OVERDUE"
RECEIPT_INCOMPLETE = "STOCK_RECEIPT_INCOMPLETE"
ALERT_TYPES = (ARRIVING_SOON, OVERDUE, RECEIPT_INCOMPLETE)
PRIORITIES = {ARRIVING_SOON: 70, OVERDUE: 95, RECEIPT_INCOMPLETE: 80}
ERROR_PRIORITY = 90

ARRIVING_SOON_LEAD = timedelta(hours=2)
OVERDUE_GRACE = timedelta(minutes=30)
INCOMPLETE_AFTER = timedelta(hours=2)


@dataclass(frozen=True)
class DeliveryWindow:
    """The local hours a tenant's deliveries arrive in, on the expected delivery date."""

    start: time = time(7, 0)
    end: time = time(9, 0)
    timezone: str = "Europe/Madrid"

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise ValueError(f"delivery window {self.label}: the start must precede the end")

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def in_timezone(self, timezone: str) -> "DeliveryWindow":
        return replace(self, timezone=timezone)

    def bounds(self, day: date) -> tuple[datetime, datetime]:
        zone = ZoneInfo(self.timezone)
        return datetime.combine(day, self.start, zone), datetime.combine(day, self.end, zone)


def parse_window(text: str) -> DeliveryWindow:
    """``"07:00-09:00"`` as a window (time zone set per tenant with ``in_timezone``)."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError as exc:
        raise ValueError(f"{WINDOW_ENV}={text!r}: use HH:MM-HH:MM, e.g. 07:00-09:00") from exc
    return DeliveryWindow(start, end)


def window_from_environment() -> DeliveryWindow:
    raw = os.environ.get(WINDOW_ENV)
    return parse_window(raw) if raw else DeliveryWindow()


@dataclass(frozen=True)
class TrackedOrder:
    """An open purchase order as the tracking sees it."""

    tenant_id: uuid.UUID
    tenant: str
    po_number: str
    supplier_id: str
    expected_delivery_date: date | None


class DeliveryAlert(NamedTuple):
    alert_type: str
    priority: int
    dedup_key: str
    message: str

    @property
    def severity(self) -> str:
        return "ERROR" if self.priority >= ERROR_PRIORITY else "WARN"


def delivery_alerts(po: TrackedOrder, now: datetime, window: DeliveryWindow) -> list[DeliveryAlert]:
    """The alerts an open order calls for at ``now`` (timezone-aware), in lifecycle order."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if po.expected_delivery_date is None:
        return []
    start, end = window.bounds(po.expected_delivery_date)
    due = []
    if start - ARRIVING_SOON_LEAD <= now < end + OVERDUE_GRACE:
        due.append((ARRIVING_SOON, _arrival(now, start, end)))
    if now >= end + OVERDUE_GRACE:
        due.append((OVERDUE, f"{_minutes(now - end)} late: contact the supplier"))
    if now >= end + INCOMPLETE_AFTER:
        due.append((RECEIPT_INCOMPLETE, "no stock receipt recorded yet"))
    where = (
        f"{po.po_number} from {po.supplier_id}, expected {po.expected_delivery_date} "
        f"{window.label} {window.timezone}"
    )
    return [
        DeliveryAlert(
            kind, PRIORITIES[kind], po.po_number, f"{where}: {detail} (priority {PRIORITIES[kind]})"
        )
        for kind, detail in due
    ]


def _arrival(now: datetime, start: datetime, end: datetime) -> str:
    if now < start:
        return f"arriving in {_minutes(start - now)}"
    return "delivery window open" if now < end else "delivery window over, not received yet"


def _minutes(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"
