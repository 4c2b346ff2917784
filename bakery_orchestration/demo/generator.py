"""Generated bakeries for the demo: product master data and two years of daily sales that look
like a bakery's (weekly and yearly seasonality, public holidays, closing days, noise, slow and
fast sellers). Deterministic for a given seed; the product never needs the real data sets.
"""

import zlib
from dataclasses import dataclass
from datetime import date, timedelta

import holidays
import numpy as np
import pandas as pd

CATALOGUE = [
    # product_id, name, price, cost, base daily units, batch size, oven minutes per batch
    ("baguette", "Baguette", 1.20, 0.35, 120, 20, 25),
    ("croissant", "Croissant", 1.40, 0.45, 80, 24, 20),
    ("pain-au-chocolat", "Pain au chocolat", 1.60, 0.50, 60, 24, 20),
    ("pain-de-campagne", "Pain de campagne", 3.80, 1.10, 18, 6, 45),
    ("brioche", "Brioche", 4.50, 1.40, 10, 6, 35),
    ("tarte-pommes", "Tarte aux pommes", 14.00, 4.50, 4, 2, 40),
    ("eclair", "Eclair au cafe", 2.60, 0.80, 22, 12, 25),
    ("sandwich-jambon", "Sandwich jambon", 4.20, 1.60, 30, 10, 10),
    ("cookie", "Cookie", 1.80, 0.40, 26, 20, 15),
    ("kouign-amann", "Kouign-amann", 3.20, 0.90, 8, 8, 30),
    ("pain-complet", "Pain complet", 2.90, 0.80, 14, 8, 40),
    ("galette-rois", "Galette des rois", 18.00, 6.00, 1, 2, 45),
]
WEEKLY = np.array([0.95, 0.9, 0.95, 1.0, 1.1, 1.35, 1.25])  # Monday .. Sunday


@dataclass(frozen=True)
class DemoBakery:
    slug: str
    name: str
    country: str
    subdivision: str | None
    closed_weekdays: tuple[int, ...]
    scale: float
    tier: str


def demo_bakeries(count: int) -> list[DemoBakery]:
    """``count`` bakeries with varied size, country, tier and closing days."""
    templates = [
        ("Boulangerie du Port", "ES", "CT", (), "enterprise"),
        ("Panaderia Sol", "ES", "MD", (0,), "professional"),
        ("Fournil des Halles", "FR", None, (2,), "starter"),
    ]
    bakeries = []
    for i in range(count):
        name, country, subdivision, closed, tier = templates[i % len(templates)]
        suffix = "" if i < len(templates) else f" {i // len(templates) + 1}"
        bakeries.append(
            DemoBakery(
                slug=f"demo-bakery-{i + 1}",
                name=name + suffix,
                country=country,
                subdivision=subdivision,
                closed_weekdays=closed,
                scale=0.6 + 0.4 * ((i * 7) % 5),
                tier=tier,
            )
        )
    return bakeries


def demo_products(bakery: DemoBakery) -> pd.DataFrame:
    frame = pd.DataFrame(
        CATALOGUE,
        columns=[
            "product_id",
            "name",
            "unit_price",
            "unit_cost",
            "base_units",
            "batch_size",
            "oven_minutes_per_batch",
        ],
    )
    frame["salvage_value"] = (frame["unit_cost"] * 0.2).round(2)
    frame["shelf_life_days"] = [1, 1, 1, 3, 3, 2, 2, 1, 7, 2, 3, 2]
    return frame.drop(columns=["base_units"])


def demo_sales(bakery: DemoBakery, start: date, end: date, seed: int = 7) -> pd.DataFrame:
    """Daily units per product from ``start`` to ``end`` inclusive (``date,product,quantity``)."""
    rng = np.random.default_rng([zlib.crc32(bakery.slug.encode()), seed])
    days = pd.date_range(start, end, freq="D")
    closed = _closed_days(bakery, days)
    day_of_year = days.dayofyear.to_numpy()
    yearly = 1.0 + 0.15 * np.sin(2 * np.pi * (day_of_year - 100) / 365.25)
    weekly = WEEKLY[days.dayofweek.to_numpy()]
    trend = np.linspace(0.95, 1.05, len(days))
    frames = []
    for product_id, _name, _price, _cost, base_units, *_rest in CATALOGUE:
        mean = (
            base_units
            * bakery.scale
            * weekly
            * yearly
            * trend
            * _seasonal_product_boost(product_id, days)
        )
        shape = 8.0
        units = rng.poisson(rng.gamma(shape, mean / shape))
        units[closed] = 0
        frames.append(pd.DataFrame({"date": days, "product": product_id, "quantity": units}))
    sales = pd.concat(frames, ignore_index=True)
    sales = sales[sales["quantity"] > 0]
    sales["quantity"] = sales["quantity"].astype(float)
    return sales.sort_values(["date", "product"], ignore_index=True)


def _seasonal_product_boost(product_id: str, days: pd.DatetimeIndex) -> np.ndarray:
    if product_id == "galette-rois":  # sold almost only in January
        return np.where(days.month == 1, 12.0, 0.05)
    if product_id == "tarte-pommes":
        return np.where(days.month.isin([9, 10, 11]), 1.6, 1.0)
    return np.ones(len(days))


def _closed_days(bakery: DemoBakery, days: pd.DatetimeIndex) -> np.ndarray:
    calendar = holidays.country_holidays(
        bakery.country, subdiv=bakery.subdivision, years=sorted(set(days.year))
    )
    on_holiday = np.array([d.date() in calendar for d in days])
    weekly = np.isin(days.dayofweek.to_numpy(), bakery.closed_weekdays)
    christmas = (days.month == 12) & (days.day == 25)
    return weekly | (on_holiday & christmas) | ((days.month == 1) & (days.day == 1))


def history_window(today: date, years: int = 2) -> tuple[date, date]:
    """First and last sales day of the generated history, ending the day before ``today``."""
    return today - timedelta(days=365 * years), today - timedelta(days=1)
