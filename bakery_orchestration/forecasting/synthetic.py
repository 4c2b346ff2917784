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
