"""A tenant's sales history in the ``daily_sales`` table, as the forecaster reads it.

``daily_sales`` rows for partition D hold the sales dated D - 1, so a bulk import (history, a
POS export) lands exactly where the ``daily_sales`` asset would have put it.
"""

import uuid
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa

from bakery_orchestration.db.schema import daily_sales
from bakery_orchestration.storage.rows import frame_records

HISTORY_COLUMNS = ["date", "product", "quantity"]


def load_sales_history(
    engine: sa.Engine, tenant_id: uuid.UUID, before: date, days: int | None = None
) -> pd.DataFrame:
    """Sales dated strictly before ``before`` (the last ``days`` days if given)."""
    query = sa.select(
        daily_sales.c.sales_date, daily_sales.c.product_id, daily_sales.c.quantity
    ).where(daily_sales.c.tenant_id == tenant_id, daily_sales.c.sales_date < before)
    if days is not None:
        query = query.where(daily_sales.c.sales_date >= before - timedelta(days=days))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["quantity"] = frame["quantity"].astype(float)
    return frame.sort_values(["date", "product"], ignore_index=True)


def store_sales_history(engine: sa.Engine, tenant_id: uuid.UUID, sales: pd.DataFrame) -> int:
    """Replace the tenant's sales for every date in ``sales`` (date, product, quantity)."""
    if sales.empty:
        return 0
    dates = pd.to_datetime(sales["date"]).dt.normalize()
    frame = pd.DataFrame(
        {
            "tenant_id": tenant_id,
            "partition_date": (dates + pd.Timedelta(days=1)).dt.date,
            "sales_date": dates.dt.date,
            "product_id": sales["product"].astype(str),
            "quantity": sales["quantity"].astype(float),
        }
    )
    first, last = frame["sales_date"].min(), frame["sales_date"].max()
    records = frame_records(frame, daily_sales)
    with engine.begin() as conn:
        conn.execute(
            sa.delete(daily_sales).where(
                daily_sales.c.tenant_id == tenant_id,
                daily_sales.c.sales_date.between(first, last),
                daily_sales.c.sales_date.in_(sorted(set(frame["sales_date"]))),
            )
        )
        conn.execute(sa.insert(daily_sales), records)
    return len(records)
