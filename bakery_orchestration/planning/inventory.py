"""Inventory projection: ingredient stock day by day over the planning horizon.

Stock is held as lots with a last usable day. Each day, lots past that day are written off,
deliveries arrive as new lots, and the day's recipe requirements are consumed earliest expiry
first. Requirements that stock cannot cover are carried as a negative balance, so the projection
shows how much is missing as well as when. Rules and formulas: docs/PLANNING.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

PROJECTION_COLUMNS = (
    "date",
    "ingredient",
    "opening",
    "receipts",
    "consumption",
    "expired",
    "closing",
    "below_safety",
    "safety_stock",
    "shelf_life_days",
    "shortage",
)
DEFAULT_HORIZON_DAYS = 14
_DECIMALS = 6


def as_date(value) -> date:
    """A `datetime.date` from a date, datetime, Timestamp or ISO string."""
    if isinstance(value, date) and not isinstance(value, pd.Timestamp):
        return value if type(value) is date else value.date()
    return pd.Timestamp(value).date()


@dataclass
class Lot:
    """A quantity of one ingredient usable up to and including `last_usable` (None: forever)."""

    quantity: float
    last_usable: date | None


@dataclass
class LotBook:
    """The lots of one ingredient plus requirements not yet covered (`backlog`)."""

    lots: list[Lot] = field(default_factory=list)
    backlog: float = 0.0

    @property
    def net(self) -> float:
        """Stock on hand minus uncovered requirements."""
        return sum(lot.quantity for lot in self.lots) - self.backlog

    def expire(self, day: date) -> float:
        """Write off lots whose last usable day is before `day`; return the quantity."""
        kept = [lot for lot in self.lots if lot.last_usable is None or lot.last_usable >= day]
        expired = sum(lot.quantity for lot in self.lots) - sum(lot.quantity for lot in kept)
        self.lots = kept
        return expired

    def receive(self, quantity: float, last_usable: date | None) -> None:
        """Add a lot, first settling any uncovered requirement from it."""
        settled = min(quantity, self.backlog)
        self.backlog -= settled
        if quantity > settled:
            self.lots.append(Lot(quantity - settled, last_usable))
            self.lots.sort(key=_expiry_order)

    def consume(self, quantity: float) -> None:
        """Take `quantity` from the earliest-expiring lots; carry what is missing as backlog."""
        remaining = quantity
        while remaining > 0 and self.lots:
            lot = self.lots[0]
            taken = min(lot.quantity, remaining)
            lot.quantity -= taken
            remaining -= taken
            if lot.quantity <= 0:
                self.lots.pop(0)
        self.backlog += remaining


def _expiry_order(lot: Lot) -> tuple[bool, date]:
    """Sort key: earliest last usable day first, non-perishable lots last."""
    return (lot.last_usable is None, lot.last_usable or date.max)


def last_usable_day(received: date, shelf_life_days: float | None) -> date | None:
    """Last day a lot received on `received` can be used: received + shelf_life_days - 1."""
    if shelf_life_days is None or not math.isfinite(shelf_life_days):
        return None
    if shelf_life_days < 1:
        raise ValueError(f"shelf_life_days must be >= 1, got {shelf_life_days}")
    return received + timedelta(days=int(shelf_life_days) - 1)


def ingredient_requirements(
    planned_production: pd.DataFrame, recipes: pd.DataFrame
) -> pd.DataFrame:
    """Ingredient needed per day: sum of planned quantity x quantity_per_unit.

    `planned_production` has date, product, quantity; `recipes` has product, ingredient,
    quantity_per_unit. Products without a recipe consume no ingredients. Returns date,
    ingredient, quantity.
    """
    merged = planned_production.merge(recipes, on="product", how="inner")
    merged = merged.assign(
        date=merged["date"].map(as_date),
        quantity=merged["quantity"] * merged["quantity_per_unit"],
    )
    return merged.groupby(["date", "ingredient"], as_index=False)["quantity"].sum()


def planned_production_horizon(
    today_plan: pd.DataFrame, today, forecast: pd.DataFrame
) -> pd.DataFrame:
    """Production per day: today's plan, then the P50 forecast for every later day.

    `today_plan` has product, quantity; `forecast` has date, product, p50 (rows on or before
    `today` are ignored). Returns date, product, quantity.
    """
    today = as_date(today)
    current = today_plan[["product", "quantity"]].assign(date=today)
    later = forecast.assign(date=forecast["date"].map(as_date))
    later = later[later["date"] > today].rename(columns={"p50": "quantity"})
    frames = [frame for frame in (current, later[["date", "product", "quantity"]]) if len(frame)]
    if not frames:
        return pd.DataFrame({"date": [], "product": [], "quantity": []})
    combined = pd.concat(frames, ignore_index=True)
    return combined[["date", "product", "quantity"]].sort_values(["date", "product"])


def project_inventory(
    start_date,
    *,
    stock: pd.DataFrame,
    recipes: pd.DataFrame,
    planned_production: pd.DataFrame,
    open_orders: pd.DataFrame,
    ingredients: pd.DataFrame,
    days: int = DEFAULT_HORIZON_DAYS,
) -> pd.DataFrame:
    """Project every ingredient's stock for `days` days from `start_date` (PROJECTION_COLUMNS).

    `stock`: ingredient, quantity and optionally expiry_date (last usable day); one row per lot.
    `recipes`: product, ingredient, quantity_per_unit. `planned_production`: date, product,
    quantity. `open_orders`: ingredient, quantity, delivery_date. `ingredients`: ingredient,
    shelf_life_days (NaN: does not expire), safety_stock, and optionally unit.
    """
    start = as_date(start_date)
    master = _validated_ingredients(ingredients)
    requirements = ingredient_requirements(planned_production, recipes)
    _refuse_unknown(master, stock, requirements, open_orders)
    receipts = _receipts_by_day(open_orders, start)
    need = requirements.set_index(["date", "ingredient"])["quantity"].to_dict()
    rows = []
    for ingredient, spec in master.iterrows():
        book = _opening_book(stock[stock["ingredient"] == ingredient], start, spec)
        for offset in range(days):
            day = start + timedelta(days=offset)
            rows.append(_project_day(book, day, ingredient, spec, receipts, need))
    if not rows:
        return pd.DataFrame({column: [] for column in PROJECTION_COLUMNS})
    return pd.DataFrame(rows, columns=list(PROJECTION_COLUMNS))


def _project_day(
    book: LotBook, day: date, ingredient: str, spec: pd.Series, receipts: dict, need: dict
) -> dict:
    """Advance one ingredient's lots through one day and describe the day."""
    opening = book.net
    expired = book.expire(day)
    received = receipts.get((day, ingredient), 0.0)
    book.receive(received, last_usable_day(day, _shelf_life(spec)))
    consumption = need.get((day, ingredient), 0.0)
    book.consume(consumption)
    closing = book.net
    return {
        "date": day,
        "ingredient": ingredient,
        "opening": round(opening, _DECIMALS),
        "receipts": round(received, _DECIMALS),
        "consumption": round(consumption, _DECIMALS),
        "expired": round(expired, _DECIMALS),
        "closing": round(closing, _DECIMALS),
        "below_safety": bool(round(closing, _DECIMALS) < spec["safety_stock"]),
        "safety_stock": float(spec["safety_stock"]),
        "shelf_life_days": _shelf_life(spec),
        "shortage": round(book.backlog, _DECIMALS),
    }


def _opening_book(lots: pd.DataFrame, start: date, spec: pd.Series) -> LotBook:
    """Current stock as lots; a lot without expiry_date is treated as received on `start`."""
    book = LotBook()
    default_expiry = last_usable_day(start, _shelf_life(spec))
    for lot in lots.to_dict("records"):
        expiry = lot.get("expiry_date")
        last_usable = default_expiry if _missing(expiry) else as_date(expiry)
        book.receive(float(lot["quantity"]), last_usable)
    return book


def _receipts_by_day(open_orders: pd.DataFrame, start: date) -> dict:
    """Open-order quantity by (day, ingredient); overdue orders are expected on `start`."""
    receipts: dict = {}
    for order in open_orders.to_dict("records"):
        day = max(as_date(order["delivery_date"]), start)
        key = (day, order["ingredient"])
        receipts[key] = receipts.get(key, 0.0) + float(order["quantity"])
    return receipts


def _validated_ingredients(ingredients: pd.DataFrame) -> pd.DataFrame:
    """Ingredient master indexed by ingredient, refusing duplicates and negative values."""
    for column in ("ingredient", "shelf_life_days", "safety_stock"):
        if column not in ingredients.columns:
            raise ValueError(f"ingredients is missing column {column!r}")
    if ingredients["ingredient"].duplicated().any():
        raise ValueError("ingredients has more than one row for an ingredient")
    if (ingredients["safety_stock"] < 0).any():
        raise ValueError("safety_stock must be >= 0")
    return ingredients.set_index("ingredient").sort_index()


def _refuse_unknown(master: pd.DataFrame, *frames: pd.DataFrame) -> None:
    """Every ingredient referenced must have master data (shelf life, safety stock)."""
    referenced = set().union(*(set(frame["ingredient"]) for frame in frames))
    unknown = sorted(referenced - set(master.index))
    if unknown:
        raise ValueError(f"ingredients missing from the ingredient table: {unknown}")


def _shelf_life(spec: pd.Series) -> float | None:
    """Shelf life in days, or None when the ingredient does not expire."""
    value = spec["shelf_life_days"]
    return None if _missing(value) else float(value)


def _missing(value) -> bool:
    """True for None, NaN and NaT."""
    return value is None or bool(pd.isna(value))
