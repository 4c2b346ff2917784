"""A tenant's sales history in the ``daily_sales`` table, as the forecaster reads it.

``daily_sales`` rows for partition D hold the sales dated D - 1, so a bulk import (history, a
POS export) lands exactly where the ``daily_sales`` asset would have put it.

Rows above the absolute ceiling (`SalesLimits.max_units`; infinite and NaN ones included) may
have been stored before sales were validated for plausibility: the forecaster never reads them
(they would make every later forecast absurd) and they never count as a product's best day;
`load_sales_history` reports how many it left out in ``frame.attrs["implausible_rows"]``.
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bakery_orchestration.db.schema import daily_sales
from bakery_orchestration.sales.validation import SalesLimits
from bakery_orchestration.storage.rows import frame_records

HISTORY_COLUMNS = ["date", "product", "quantity"]
DELETE_CHUNK = 500
"""(date, product) pairs per DELETE: well under SQLite's bound-parameter limit."""


def load_sales_history(
    engine: sa.Engine,
    tenant_id: uuid.UUID,
    before: date,
    days: int | None = None,
    limits: SalesLimits | None = None,
) -> pd.DataFrame:
    """Sales dated strictly before ``before`` (the last ``days`` days if given), without the
    implausible rows (counted in ``attrs["implausible_rows"]``)."""
    max_units = (limits or SalesLimits.configured()).max_units
    where = [daily_sales.c.tenant_id == tenant_id, daily_sales.c.sales_date < before]
    if days is not None:
        where.append(daily_sales.c.sales_date >= before - timedelta(days=days))
    plausible = daily_sales.c.quantity <= max_units
    day = _iso_day(daily_sales.c.sales_date, engine.dialect.name)
    query = sa.select(day, daily_sales.c.product_id, daily_sales.c.quantity)
    count = sa.select(sa.func.count()).select_from(daily_sales).where(*where, ~plausible)
    with engine.connect() as conn:
        result = conn.execute(query.where(*where, plausible))
        rows = result.cursor.fetchall()  # plain tuples: no result processing is needed
        result.close()
        implausible = conn.execute(count).scalar_one()
    # Column by column: the forecast reads ~60,000 rows for 150 products every morning, and a
    # frame built from row objects, with a date object per row, cost twice the query.
    days, products, quantities = zip(*rows, strict=True) if rows else ((), (), ())
    frame = pd.DataFrame(
        {
            "date": np.array(days, dtype="datetime64[D]").astype("datetime64[ns]"),
            "product": list(products),
            "quantity": np.asarray(quantities, dtype=float),
        },
        columns=HISTORY_COLUMNS,
    )
    frame = frame.sort_values(["date", "product"], ignore_index=True)
    frame.attrs["implausible_rows"] = int(implausible)
    return frame


def _iso_day(column: sa.ColumnElement, dialect: str) -> sa.ColumnElement:
    """The date as ``YYYY-MM-DD`` text, whatever the server's date style (SQLite stores it so)."""
    if dialect == "postgresql":
        return sa.func.to_char(column, "YYYY-MM-DD")
    return sa.type_coerce(column, sa.String)


def best_days(
    engine: sa.Engine, tenant_id: uuid.UUID, limits: SalesLimits, before: date | None = None
) -> dict[str, float]:
    """Each product's largest plausible day in the ``limits.history_days`` days before
    ``before`` (before the latest stored day when None): what its ceiling is derived from."""
    where = [daily_sales.c.tenant_id == tenant_id, daily_sales.c.quantity <= limits.max_units]
    with engine.connect() as conn:
        if before is None:
            latest = sa.select(sa.func.max(daily_sales.c.sales_date)).where(*where)
            before = conn.execute(latest).scalar()
            if before is None:
                return {}
            before += timedelta(days=1)
        query = (
            sa.select(daily_sales.c.product_id, sa.func.max(daily_sales.c.quantity))
            .where(*where, daily_sales.c.sales_date < before)
            .where(daily_sales.c.sales_date >= before - timedelta(days=limits.history_days))
            .group_by(daily_sales.c.product_id)
        )
        return {product: float(best) for product, best in conn.execute(query).all()}


@dataclass(frozen=True)
class StoredSales:
    """What a store did: product-days overwritten, product-days new, and other rows removed
    from the days it replaced whole (``replace_days`` only)."""

    replaced: int
    added: int
    removed: int = 0

    @property
    def written(self) -> int:
        return self.replaced + self.added


def store_sales_history(
    engine: sa.Engine, tenant_id: uuid.UUID, sales: pd.DataFrame, *, replace_days: bool = False
) -> StoredSales:
    """Store ``sales`` (date, product, quantity) as the tenant's history, in one transaction.

    Only the (date, product) pairs in ``sales`` are replaced: the other products of those days
    stay. With ``replace_days`` every stored row of the days in ``sales`` is removed first.
    """
    if sales.empty:
        return StoredSales(0, 0)
    frame = _history_rows(tenant_id, sales)
    incoming = set(zip(frame["sales_date"], frame["product_id"], strict=True))
    with engine.begin() as conn:
        stored = _stored_pairs(conn, tenant_id, set(frame["sales_date"]))
        overlap = incoming & stored
        doomed = stored if replace_days else overlap
        for chunk in _chunks(sorted(doomed), DELETE_CHUNK):
            pair = sa.tuple_(daily_sales.c.sales_date, daily_sales.c.product_id)
            conn.execute(
                sa.delete(daily_sales).where(daily_sales.c.tenant_id == tenant_id, pair.in_(chunk))
            )
        conn.execute(sa.insert(daily_sales), frame_records(frame, daily_sales))
    return StoredSales(len(overlap), len(incoming) - len(overlap), len(doomed) - len(overlap))


def _history_rows(tenant_id: uuid.UUID, sales: pd.DataFrame) -> pd.DataFrame:
    dates = pd.to_datetime(sales["date"]).dt.normalize()
    return pd.DataFrame(
        {
            "tenant_id": tenant_id,
            "partition_date": (dates + pd.Timedelta(days=1)).dt.date,
            "sales_date": dates.dt.date,
            "product_id": sales["product"].astype(str),
            "quantity": sales["quantity"].astype(float),
        }
    )


def _stored_pairs(conn: sa.Connection, tenant_id: uuid.UUID, days: set[date]) -> set:
    """The (date, product) pairs stored for the tenant on ``days``."""
    query = sa.select(daily_sales.c.sales_date, daily_sales.c.product_id).where(
        daily_sales.c.tenant_id == tenant_id,
        daily_sales.c.sales_date.between(min(days), max(days)),
    )
    return {
        (row.sales_date, row.product_id) for row in conn.execute(query) if row.sales_date in days
    }


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
