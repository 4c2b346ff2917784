"""The sales a replay plays back: a ``date,product,quantity[,tenant]`` file (the backtest's
format), reduced to one tenant and checked against the replay window. No Dagster, no SQL."""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from bakery_orchestration.core.errors import BakeryError

REQUIRED = ("date", "product", "quantity")


@dataclass(frozen=True)
class ReplaySales:
    """One tenant's daily sales per product (``date`` as datetime.date), and what was set aside."""

    sales: pd.DataFrame
    rows_read: int
    rows_skipped: int

    @property
    def first_day(self) -> date:
        return self.sales["date"].min()

    @property
    def last_day(self) -> date:
        return self.sales["date"].max()

    @property
    def products(self) -> list[str]:
        return sorted(self.sales["product"].unique())


def read_replay_sales(path: Path, tenant: str | None = None) -> ReplaySales:
    """The file's sales, for ``tenant`` when the file has a tenant column (then required)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise BakeryError(f"{path}: unreadable sales file: {exc}") from exc
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise BakeryError(f"{path}: missing column(s) {', '.join(missing)}")
    frame = _one_tenant(frame, path, tenant)
    return _clean(frame, path)


def _one_tenant(frame: pd.DataFrame, path: Path, tenant: str | None) -> pd.DataFrame:
    if "tenant" not in frame.columns:
        if tenant is not None:
            raise BakeryError(f"{path}: --tenant {tenant} given but the file has no tenant column")
        return frame
    known = sorted(frame["tenant"].str.strip().unique())
    if tenant is None:
        raise BakeryError(
            f"{path}: the file holds {len(known)} tenant(s); pick one with --tenant "
            f"(e.g. {', '.join(known[:3])})"
        )
    if tenant not in known:
        raise BakeryError(f"{path}: no rows for tenant {tenant!r}")
    return frame[frame["tenant"].str.strip() == tenant]


def _clean(frame: pd.DataFrame, path: Path) -> ReplaySales:
    days = pd.to_datetime(frame["date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    quantity = pd.to_numeric(frame["quantity"].str.strip(), errors="coerce")
    product = frame["product"].str.strip()
    good = days.notna() & quantity.notna() & (quantity >= 0) & (product != "")
    if not good.any():
        raise BakeryError(f"{path}: no readable date,product,quantity row")
    sales = (
        pd.DataFrame(
            {"date": days[good].dt.date, "product": product[good], "quantity": quantity[good]}
        )
        .groupby(["date", "product"], as_index=False)["quantity"]
        .sum()
    )
    return ReplaySales(sales, rows_read=len(frame), rows_skipped=int((~good).sum()))


def mornings(start: date, days: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(days)]


def check_window(sales: ReplaySales, start: date, days: int) -> None:
    """A one-line error unless there is history before ``start`` and sales to land each morning
    (the morning of D loads the sales of D - 1)."""
    if days < 1:
        raise BakeryError(f"--days {days}: replay at least one morning")
    if start <= sales.first_day:
        raise BakeryError(
            f"--start {start}: the file's sales begin on {sales.first_day}; start later so the "
            "first morning has a history to forecast from"
        )
    last_needed = start + timedelta(days=days - 2)
    if last_needed > sales.last_day:
        raise BakeryError(
            f"--start {start} --days {days} needs sales up to {last_needed}; "
            f"the file ends on {sales.last_day}"
        )


def sales_of(sales: pd.DataFrame, day: date) -> pd.DataFrame:
    """The rows dated ``day`` (a day without rows is a day nothing was sold: closed)."""
    return sales[sales["date"] == day].reset_index(drop=True)


def history_before(sales: pd.DataFrame, day: date) -> pd.DataFrame:
    return sales[sales["date"] < day].reset_index(drop=True)
