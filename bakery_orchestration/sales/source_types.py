"""What a sales source returns, whichever implementation (HTTP or landing files) produced it."""

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

RAW_SALES_COLUMNS = ("date", "product", "quantity", "line")


class SalesSourceError(Exception):
    """The sales source could not deliver a usable answer; the message is one line for operators."""


class SalesSourceUnavailable(SalesSourceError):
    """The source did not answer (network, timeouts, 5xx after every retry): worth retrying the
    step later, unlike an answer that was unreadable."""


@dataclass(frozen=True)
class RawSales:
    """One tenant's sales for one day exactly as received; validation happens downstream.

    `rows` has the string columns date, product and quantity as the source wrote them and the
    integer column `line`: the 1-based line in the CSV file (the header is line 1) or the 1-based
    position in the HTTP response's items. `found` is False when the source has no data for the
    day yet; `rows` is then empty. A found day with no rows is a day with no sales.
    """

    tenant: str
    day: date
    rows: pd.DataFrame
    source: str
    found: bool


@dataclass(frozen=True)
class SalesChange:
    """The sales of `tenant` on `day` were created or changed at `changed_at` (UTC)."""

    tenant: str
    day: date
    changed_at: datetime


@dataclass(frozen=True)
class ChangesPage:
    """Changes after a cursor, oldest first; pass `next_cursor` back to continue after them."""

    items: list[SalesChange]
    next_cursor: str | None
    has_more: bool


def rows_frame(records: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """`RawSales.rows` from (date, product, quantity, line) tuples, typed even when empty."""
    columns = list(zip(*records, strict=True)) if records else [(), (), (), ()]
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype="int64" if name == "line" else object)
            for name, values in zip(RAW_SALES_COLUMNS, columns, strict=True)
        }
    )
