"""Procurement: purchase-order proposals for ingredients projected to fall below safety stock.

For each ingredient the first day it is projected below safety stock is its need date. Among the
suppliers that can deliver by then, the cheapest is chosen; the order is placed as late as still
delivers in time and covers the shortfall until that supplier's next possible delivery. Rules
and formulas: docs/PLANNING.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from bakery_orchestration.planning.inventory import as_date

PROPOSAL_COLUMNS = (
    "supplier",
    "ingredient",
    "quantity",
    "packs",
    "order_date",
    "expected_delivery_date",
    "need_date",
    "shortfall",
    "unit_price",
    "total_cost",
    "reason",
)
SUPPLIER_COLUMNS = (
    "supplier",
    "ingredient",
    "lead_time_days",
    "min_order_qty",
    "pack_size",
    "delivery_weekdays",
    "unit_price",
)
REASON_BELOW_SAFETY = "below_safety"
REASON_LATE = "late"
REASON_NO_SUPPLIER = "no_supplier"
_ROUNDING_TOLERANCE = 1e-9


def parse_weekdays(value) -> frozenset[int]:
    """Delivery weekdays (Monday=0) from a tuple/list of ints or a string such as "0,2,4"."""
    items = value.split(",") if isinstance(value, str) else value
    days = frozenset(int(item) for item in items if str(item).strip() != "")
    if not days <= set(range(7)):
        raise ValueError(f"delivery weekdays must be between 0 and 6, got {sorted(days)}")
    return days


def delivery_date(order_date: date, lead_time_days: int, weekdays: Iterable[int]) -> date | None:
    """First delivery weekday on or after order_date + lead_time_days (calendar days)."""
    days = frozenset(weekdays)
    if not days:
        return None
    earliest = order_date + timedelta(days=int(lead_time_days))
    return next(
        earliest + timedelta(days=step)
        for step in range(7)
        if (earliest + timedelta(days=step)).weekday() in days
    )


def latest_order(
    need_date: date, today: date, lead_time_days: int, weekdays: Iterable[int]
) -> tuple[date, date] | None:
    """(order date, delivery date) for the latest order on/after today delivering by need_date.

    The delivery is the last delivery weekday on or before need_date, ordered exactly
    lead_time_days before it; None when even an order today arrives after need_date.
    """
    days = frozenset(weekdays)
    delivery = need_date
    while delivery - timedelta(days=int(lead_time_days)) >= today:
        if delivery.weekday() in days:
            return delivery - timedelta(days=int(lead_time_days)), delivery
        delivery -= timedelta(days=1)
    return None


def next_delivery_after(delivery: date, weekdays: Iterable[int]) -> date:
    """The supplier's next delivery weekday strictly after `delivery`."""
    return delivery_date(delivery + timedelta(days=1), 0, weekdays)


def order_quantity(shortfall: float, min_order_qty: float, pack_size: float) -> tuple[float, int]:
    """(quantity, packs): max(shortfall, MOQ) rounded up to whole packs."""
    if pack_size <= 0:
        raise ValueError(f"pack_size must be > 0, got {pack_size}")
    wanted = max(shortfall, min_order_qty, 0.0)
    packs = max(0, math.ceil(wanted / pack_size - _ROUNDING_TOLERANCE))
    return packs * pack_size, packs


@dataclass(frozen=True)
class _Need:
    """One ingredient's projected shortage: when it starts and the projection to cover."""

    ingredient: str
    need_date: date
    horizon_end: date
    shelf_life_days: float | None
    gap: pd.Series

    def shortfall_until(self, delivery: date, next_delivery: date) -> float:
        """Largest (safety stock - closing) from need_date until the lot is replaced or spoils."""
        end = min(next_delivery - timedelta(days=1), self.horizon_end)
        if self.shelf_life_days is not None:
            end = min(end, delivery + timedelta(days=int(self.shelf_life_days) - 1))
        window = self.gap[(self.gap.index >= self.need_date) & (self.gap.index <= end)]
        return max(0.0, float(window.max())) if len(window) else 0.0

    def usable_on_need_date(self, delivery: date) -> bool:
        """A lot delivered on `delivery` has not spoiled by need_date."""
        if self.shelf_life_days is None:
            return True
        return delivery + timedelta(days=int(self.shelf_life_days) - 1) >= self.need_date


def propose_orders(projection: pd.DataFrame, suppliers: pd.DataFrame, today) -> pd.DataFrame:
    """One proposal (PROPOSAL_COLUMNS) per ingredient projected below its safety stock.

    `projection` is project_inventory's output (date, ingredient, closing, below_safety,
    safety_stock, shelf_life_days); `suppliers` has the SUPPLIER_COLUMNS, one row per supplier
    and ingredient.
    """
    today = as_date(today)
    for column in SUPPLIER_COLUMNS:
        if column not in suppliers.columns:
            raise ValueError(f"suppliers is missing column {column!r}")
    offers = suppliers.assign(weekdays=suppliers["delivery_weekdays"].map(parse_weekdays))
    rows = [
        _propose(need, offers[offers["ingredient"] == need.ingredient], today)
        for need in _needs(projection)
    ]
    if not rows:
        return pd.DataFrame({column: [] for column in PROPOSAL_COLUMNS})
    return pd.DataFrame(rows, columns=list(PROPOSAL_COLUMNS))


def _needs(projection: pd.DataFrame) -> list[_Need]:
    """The ingredients that dip below safety stock, with their first such day."""
    frame = projection.assign(date=projection["date"].map(as_date))
    horizon_end = max(frame["date"]) if len(frame) else None
    needs = []
    for ingredient, days in frame.sort_values("date").groupby("ingredient", sort=True):
        below = days[days["below_safety"].astype(bool)]
        if below.empty:
            continue
        shelf_life = days["shelf_life_days"].iloc[0] if "shelf_life_days" in days else None
        gap = (days["safety_stock"] - days["closing"]).set_axis(list(days["date"]))
        needs.append(
            _Need(
                ingredient=ingredient,
                need_date=below["date"].iloc[0],
                horizon_end=horizon_end,
                shelf_life_days=None if pd.isna(shelf_life) else float(shelf_life),
                gap=gap,
            )
        )
    return needs


def _propose(need: _Need, offers: pd.DataFrame, today: date) -> dict:
    """The chosen proposal for one need: cheapest in time, else earliest, else no supplier."""
    options = _options(need, offers, today)
    in_time = [option for option in options if option["reason"] == REASON_BELOW_SAFETY]
    if in_time:
        return min(in_time, key=_cheapest_first)
    if options:
        return min(options, key=_earliest_first)
    return _no_supplier(need, today)


def _options(need: _Need, offers: pd.DataFrame, today: date) -> list[dict]:
    """A candidate proposal from every supplier that delivers at all."""
    candidates = [_option(need, offer, today) for offer in offers.to_dict("records")]
    return [candidate for candidate in candidates if candidate is not None]


def _option(need: _Need, offer: dict, today: date) -> dict | None:
    """One supplier's proposal: in time if it can make need_date, otherwise ordered today."""
    weekdays = offer["weekdays"]
    if not weekdays:
        return None
    timing = latest_order(need.need_date, today, offer["lead_time_days"], weekdays)
    reason = REASON_BELOW_SAFETY
    if timing is None or not need.usable_on_need_date(timing[1]):
        timing = (today, delivery_date(today, offer["lead_time_days"], weekdays))
        reason = REASON_LATE
    order_on, delivery = timing
    shortfall = need.shortfall_until(delivery, next_delivery_after(delivery, weekdays))
    quantity, packs = order_quantity(shortfall, offer["min_order_qty"], offer["pack_size"])
    return {
        "supplier": offer["supplier"],
        "ingredient": need.ingredient,
        "quantity": quantity,
        "packs": packs,
        "order_date": order_on,
        "expected_delivery_date": delivery,
        "need_date": need.need_date,
        "shortfall": round(shortfall, 6),
        "unit_price": float(offer["unit_price"]),
        "total_cost": round(quantity * float(offer["unit_price"]), 2),
        "reason": reason,
    }


def _cheapest_first(option: dict) -> tuple:
    """Lowest unit price, then least quantity (MOQ overbuy), earliest delivery, name."""
    return (
        option["unit_price"],
        option["quantity"],
        option["expected_delivery_date"],
        option["supplier"],
    )


def _earliest_first(option: dict) -> tuple:
    """Earliest delivery, then lowest unit price, then name."""
    return (option["expected_delivery_date"], option["unit_price"], option["supplier"])


def _no_supplier(need: _Need, today: date) -> dict:
    """A flag row: the ingredient runs short and no supplier delivers it."""
    shortfall = max(0.0, float(need.gap[need.gap.index >= need.need_date].max()))
    return {
        "supplier": "",
        "ingredient": need.ingredient,
        "quantity": shortfall,
        "packs": 0,
        "order_date": today,
        "expected_delivery_date": None,
        "need_date": need.need_date,
        "shortfall": round(shortfall, 6),
        "unit_price": math.nan,
        "total_cost": math.nan,
        "reason": REASON_NO_SUPPLIER,
    }


def group_purchase_orders(proposals: pd.DataFrame) -> list[dict]:
    """One JSON-ready purchase order per supplier and order date, lines sorted by ingredient.

    Rows with no supplier are not orders and are left out; dates are ISO strings.
    """
    orderable = proposals[proposals["reason"] != REASON_NO_SUPPLIER]
    orders = []
    for (supplier, order_on), lines in orderable.groupby(["supplier", "order_date"], sort=True):
        lines = lines.sort_values("ingredient")
        orders.append(
            {
                "supplier": supplier,
                "order_date": as_date(order_on).isoformat(),
                "late": bool((lines["reason"] == REASON_LATE).any()),
                "total_cost": round(float(lines["total_cost"].sum()), 2),
                "lines": [_po_line(line) for line in lines.to_dict("records")],
            }
        )
    return sorted(orders, key=lambda order: (order["order_date"], order["supplier"]))


def _po_line(line: dict) -> dict:
    """One purchase-order line with plain Python values."""
    return {
        "ingredient": line["ingredient"],
        "quantity": float(line["quantity"]),
        "packs": int(line["packs"]),
        "unit_price": float(line["unit_price"]),
        "total_cost": float(line["total_cost"]),
        "expected_delivery_date": as_date(line["expected_delivery_date"]).isoformat(),
        "need_date": as_date(line["need_date"]).isoformat(),
        "reason": line["reason"],
    }
