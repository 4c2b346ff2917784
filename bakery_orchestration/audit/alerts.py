"""Raising, deduplicating and resolving operator alerts in the ``alerts`` table, and posting
new and resolved alerts to the operators' webhook (``BAKERY_ALERT_WEBHOOK_URL``, optional).

A signal is either a failure (``raise_alert``) or a pass (``resolve_alerts``) of one condition,
identified by (tenant, alert type, dedup key). Only a change of state posts to the webhook: a new
alert and a resolution; a repeat while open only bumps ``last_seen`` and ``occurrences``.
"""

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa

from bakery_orchestration.db.schema import alerts
from bakery_orchestration.notifications.webhook import DeliveryResult, post_json

WEBHOOK_ENV = "BAKERY_ALERT_WEBHOOK_URL"


@dataclass(frozen=True)
class Alert:
    tenant_id: uuid.UUID | None
    tenant: str | None
    alert_type: str
    dedup_key: str
    severity: Literal["WARN", "ERROR"]
    message: str


@dataclass(frozen=True)
class Outcome:
    state: Literal["raised", "repeated", "resolved"]
    alert_id: uuid.UUID
    delivery: DeliveryResult | None = None


def _same(alert_type: str, dedup_key: str, tenant_id: uuid.UUID | None):
    tenant = alerts.c.tenant_id.is_(None) if tenant_id is None else alerts.c.tenant_id == tenant_id
    return sa.and_(
        tenant,
        alerts.c.alert_type == alert_type,
        alerts.c.dedup_key == dedup_key,
        alerts.c.resolved_at.is_(None),
    )


def raise_alert(engine: sa.Engine, alert: Alert, now: datetime | None = None) -> Outcome:
    """Open the alert, or bump the open one (taking the newer severity and message)."""
    now = now or datetime.now(UTC)
    with engine.begin() as conn:
        open_id = conn.execute(
            sa.select(alerts.c.id).where(_same(alert.alert_type, alert.dedup_key, alert.tenant_id))
        ).scalar()
        if open_id is not None:
            conn.execute(
                sa.update(alerts)
                .where(alerts.c.id == open_id)
                .values(
                    last_seen=now,
                    occurrences=alerts.c.occurrences + 1,
                    severity=alert.severity,
                    message=alert.message,
                )
            )
            return Outcome("repeated", open_id)
        new_id = uuid.uuid4()
        conn.execute(
            sa.insert(alerts).values(
                id=new_id,
                tenant_id=alert.tenant_id,
                severity=alert.severity,
                alert_type=alert.alert_type,
                dedup_key=alert.dedup_key,
                message=alert.message,
                first_seen=now,
                last_seen=now,
            )
        )
    return Outcome("raised", new_id, _post(alert, "raised", new_id, now))


def resolve_alerts(engine: sa.Engine, alert: Alert, now: datetime | None = None) -> list[Outcome]:
    """Close the open alert for the same condition, if any (``severity``/``message`` unused)."""
    now = now or datetime.now(UTC)
    with engine.begin() as conn:
        same = _same(alert.alert_type, alert.dedup_key, alert.tenant_id)
        ids = list(conn.execute(sa.select(alerts.c.id).where(same)).scalars())
        if ids:
            conn.execute(sa.update(alerts).where(alerts.c.id.in_(ids)).values(resolved_at=now))
    return [Outcome("resolved", i, _post(alert, "resolved", i, now)) for i in ids]


def _post(alert: Alert, state: str, alert_id: uuid.UUID, now: datetime) -> DeliveryResult | None:
    url = os.environ.get(WEBHOOK_ENV)
    if not url:
        return None
    return post_json(
        url,
        {
            "event_type": f"orchestrator_alert_{state}",
            "alert_id": str(alert_id),
            "tenant": alert.tenant,
            "alert_type": alert.alert_type,
            "dedup_key": alert.dedup_key,
            "severity": alert.severity,
            "message": alert.message,
            "timestamp": now,
        },
    )
