"""Synthetic bakery sales for tests and benchmarks: weekly and yearly shape, Poisson noise."""

from datetime import date

import numpy as np
import pandas as pd


def synthetic_sales(
    *,
    products: int = 20,
    days: int = 365,
    start: date = date(2022, 1, 3),
    closed_weekdays: tuple[int, ...] = (),
    seed: int = 0,
) -> pd.DataFrame:
    """Daily sales in the shared format (rows only where quantity > 0)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(pd.Timestamp(start), periods=days, freq="D")
    level = rng.lognormal(mean=2.0, sigma=1.0, size=products)
    weekly = 1.0 + 0.3 * rng.standard_normal((7, products)).clip(-2, 2)
    yearly = 1.0 + 0.3 * np.sin(2 * np.pi * dates.dayofyear.to_numpy() / 365.25)
    mean = level[None, :] * weekly[dates.weekday][:, :] * yearly[:, None]
    quantity = rng.poisson(np.maximum(mean, 0.0)).astype(float)
    quantity[dates.weekday.isin(closed_weekdays)] = 0.0
    frame = pd.DataFrame(quantity, index=dates, columns=[f"P{i:03d}" for i in range(products)])
    long = frame.rename_axis("date").reset_index().melt("date", var_name="product")
    long = long.rename(columns={"value": "quantity"})
    return long[long["quantity"] > 0].sort_values(["date", "product"]).reset_index(drop=True)


def store_chain_sales(
    *,
    tenants: int = 35,
    products: int = 3,
    days: int = 3 * 365,
    start: date = date(2021, 1, 4),
    seed: int = 0,
) -> pd.DataFrame:
    """A synthetic chain of stores in the held-aside chain's format ``date,product,quantity,
    tenant``: the same few products in every store, each store its own size.

    Shapes meant to look like real bakeries, not real data: a weekend peak, a summer or winter
    season of varying strength, a slow trend, over-dispersed (negative binomial) noise, closed
    days (Christmas, New Year, a weekly closing day in some stores, a few random closures), a
    product launched late in some stores, and occasional one-day spikes (events, orders).
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range(pd.Timestamp(start), periods=days, freq="D")
    doy = 2 * np.pi * dates.dayofyear.to_numpy() / 365.25
    names = [f"item{j}" for j in range(products)]
    frames = []
    for store in range(tenants):
        size = rng.lognormal(mean=0.0, sigma=0.5)
        weekly = np.array([0.85, 0.8, 0.85, 0.9, 1.05, 1.35, 1.2]) * rng.uniform(0.9, 1.1, 7)
        season = rng.uniform(-0.3, 0.3) * np.cos(doy - rng.uniform(-0.5, 0.5))
        trend = np.exp(rng.normal(0.0, 0.1) * np.arange(days) / 365.0)
        open_day = np.ones(days, dtype=bool)
        open_day &= ~((dates.month == 12) & (dates.day == 25)) & ~(
            (dates.month == 1) & (dates.day == 1)
        )
        if rng.random() < 0.4:
            open_day &= dates.weekday != int(rng.integers(0, 3))
        open_day[rng.choice(days, size=days // 120, replace=False)] = False
        for j, name in enumerate(names):
            level = size * (40.0, 15.0, 6.0, 3.0)[j % 4] * rng.uniform(0.7, 1.3)
            mean = level * weekly[dates.weekday] * (1.0 + season) * trend
            spikes = rng.random(days) < 0.01
            mean = np.where(spikes, mean * rng.uniform(1.5, 3.0, days), mean)
            shape = 8.0  # negative binomial: variance = mean + mean^2 / shape
            quantity = rng.poisson(rng.gamma(shape, mean / shape)).astype(float)
            quantity[~open_day] = 0.0
            if j > 0 and rng.random() < 0.15:
                quantity[: int(rng.integers(30, days // 2))] = 0.0  # launched later here
            frames.append(
                pd.DataFrame(
                    {
                        "date": dates,
                        "product": name,
                        "quantity": quantity,
                        "tenant": f"s{store:02d}",
                    }
                )
            )
    sales = pd.concat(frames, ignore_index=True)
    sales = sales[sales["quantity"] > 0]
    return sales.sort_values(["tenant", "date", "product"]).reset_index(drop=True)
