"""What the sales source answered for a tenant-day (``sales_receipts``), and what it means for the
day's plans: a trading day whose sales had not arrived at cycle time is planned *degraded*."""

import uuid
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa

from bakery_orchestration.db.schema import sales_receipts

RECEIVED, MISSING, CLOSED, UNREADABLE = "received", "missing", "closed", "unreadable"


def receipt_state(found: bool, sales_date: date, closed_weekdays) -> str:
    """received; closed when nothing came for a day the tenant's calendar closes; else missing."""
    if found:
        return RECEIVED
    return CLOSED if sales_date.weekday() in set(closed_weekdays) else MISSING


def receipt_frame(sales_date: date, state: str, source: str | None, received, quarantined):
    """The one ``sales_receipts`` row ``daily_sales`` writes beside the day's sales."""
    return pd.DataFrame(
        [
            {
                "sales_date": sales_date,
                "state": state,
                "source": source,
                "rows_received": received,
                "rows_quarantined": quarantined,
            }
        ]
    )


def degraded_note(state: str | None, partition_day: date) -> str | None:
    """``degraded: sales of D-1 missing`` for a day planned without its sales, else None."""
    if state != MISSING:
        return None
    return f"degraded: sales of {(partition_day - timedelta(days=1)).isoformat()} missing"


def read_state(conn: sa.Connection, tenant_id: uuid.UUID, partition_day: date) -> str | None:
    """The receipt state of a tenant-day, None when ``daily_sales`` has not run for it."""
    return conn.execute(
        sa.select(sales_receipts.c.state).where(
            sales_receipts.c.tenant_id == tenant_id,
            sales_receipts.c.partition_date == partition_day,
        )
    ).scalar()
