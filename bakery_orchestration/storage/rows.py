"""Set-based reads and writes of one (tenant, partition date) slice of a table.

A write replaces the slice: one DELETE and one multi-row INSERT per table, inside the caller's
transaction, so a re-run never duplicates and a failure leaves the previous rows in place. Two
runs of the same tenant-day at once take turns (``lock_partitions``): without it, on PostgreSQL
both DELETEs see no rows and the second INSERT fails on the primary key.
"""

import hashlib
import math
import uuid
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa


def _plain(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    return value


def lock_partitions(conn: sa.Connection, keys: list[tuple[uuid.UUID, date]]) -> None:
    """Hold the write lock of each (tenant, date) until the caller's transaction ends.

    PostgreSQL: a transaction-level advisory lock per tenant-day, taken in sorted order so two
    batches never wait on each other in a cycle. SQLite has one writer at a time: BEGIN
    IMMEDIATE takes the write lock before the first read, so what is read is what is replaced.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    for tenant_id, partition_date in sorted(set(keys)):
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"),
            {"key": _lock_key(tenant_id, partition_date)},
        )


def _lock_key(tenant_id: uuid.UUID, partition_date: date) -> int:
    """A stable signed 64-bit key for the tenant-day (the advisory lock's key space)."""
    digest = hashlib.blake2b(f"{tenant_id}|{partition_date}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def frame_records(frame: pd.DataFrame, table: sa.Table) -> list[dict[str, Any]]:
    """Rows of ``frame`` as plain Python dicts, keeping only the table's columns.

    Column by column rather than value by value (a forecast of 150 products is 1,050 rows of a
    dozen columns, written every morning): numbers become Python numbers with NaN as None,
    datetimes become dates for a ``Date`` column, anything else goes through ``_plain``."""
    columns = [c for c in frame.columns if c in table.c]
    if frame.empty:
        return []
    values = [_column_values(frame[c], isinstance(table.c[c].type, sa.Date)) for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _column_values(series: pd.Series, is_date: bool) -> list:
    kind = series.dtype.kind
    if kind in "iub":
        return series.tolist()
    if kind == "f":
        return [None if v != v else v for v in series.tolist()]  # NaN != NaN
    if kind == "M" and is_date:
        return [None if v is pd.NaT else v for v in series.dt.date.tolist()]
    plain = [_plain(v) for v in series.tolist()] if kind != "M" else [_plain(v) for v in series]
    if is_date:
        return [v.date() if isinstance(v, datetime) else v for v in plain]
    return plain


def replace_partition(
    conn: sa.Connection,
    table: sa.Table,
    tenant_id: uuid.UUID,
    partition_date: date,
    frame: pd.DataFrame,
    keep: tuple[str, set] | None = None,
) -> int:
    """Replace the rows of (tenant, partition date) with ``frame``; returns rows written.

    ``keep = (column, values)``: rows whose ``column`` is in ``values`` stay as they are, and
    rows of ``frame`` for those values are not written (see ``tables.Settled``).
    """
    where = [table.c.tenant_id == tenant_id, table.c.partition_date == partition_date]
    if keep and keep[1]:
        where.append(table.c[keep[0]].not_in(keep[1]))
    conn.execute(sa.delete(table).where(*where))
    records = frame_records(frame, table)
    if keep and keep[1]:
        records = [r for r in records if r.get(keep[0]) not in keep[1]]
    if records:
        stamp = {"tenant_id": tenant_id, "partition_date": partition_date}
        conn.execute(sa.insert(table), [{**r, **stamp} for r in records])
    return len(records)


def settled_keys(
    conn: sa.Connection, table: sa.Table, where, key: str, tenant_id, partition_date
) -> set:
    """``key`` values of the partition's rows of ``table`` that match ``where``."""
    query = sa.select(table.c[key]).where(
        table.c.tenant_id == tenant_id, table.c.partition_date == partition_date, where(table)
    )
    return set(conn.execute(query).scalars())


def read_partition(
    conn: sa.Connection, table: sa.Table, tenant_id: uuid.UUID, partition_date: date
) -> pd.DataFrame:
    """The table's rows for (tenant, partition date), without the key columns."""
    columns = [c for c in table.columns if c.name not in ("tenant_id", "partition_date")]
    query = sa.select(*columns).where(
        table.c.tenant_id == tenant_id, table.c.partition_date == partition_date
    )
    rows = conn.execute(query).all()
    names = [c.name for c in columns]
    data = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    frame = pd.DataFrame(
        {name: list(values) for name, values in zip(names, data, strict=True)}, columns=names
    )
    for column in columns:  # NULLs would otherwise leave numeric columns as object dtype
        if isinstance(column.type, sa.Float | sa.Integer) and not isinstance(
            column.type, sa.Boolean
        ):
            frame[column.name] = pd.to_numeric(frame[column.name])
    return frame
