"""Operator alerts raised by the automation (failed checks, failed runs, missing sales).

One open row per (tenant, alert type, dedup key): a repeat bumps ``last_seen`` and
``occurrences``; ``resolved_at`` is set when the condition clears, and the next failure opens a
new row. ``tenant_id`` is empty for alerts that concern no single tenant.
"""

import sqlalchemy as sa

from bakery_orchestration.db.metadata import metadata
from bakery_orchestration.db.types import UUID, Timestamp, gen_uuid, utcnow

ALERT_SEVERITIES = ("WARN", "ERROR")

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", UUID, primary_key=True, server_default=gen_uuid()),
    sa.Column("tenant_id", UUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=True),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("alert_type", sa.String(60), nullable=False),
    sa.Column("dedup_key", sa.String(300), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("first_seen", Timestamp, nullable=False, server_default=utcnow()),
    sa.Column("last_seen", Timestamp, nullable=False, server_default=utcnow()),
    sa.Column("resolved_at", Timestamp, nullable=True),
    sa.Column("occurrences", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.CheckConstraint(f"severity IN {ALERT_SEVERITIES}", name="ck_alerts_severity"),
)
sa.Index(
    "ix_alerts_open",
    alerts.c.tenant_id,
    alerts.c.alert_type,
    alerts.c.dedup_key,
    alerts.c.resolved_at,
)
