"""Forecast-accuracy metrics shared by the backtest and the daily forecast validation.

All percentages are in percent (33.0 means 33 %). Definitions follow the reference backtest in
the shared data README: WAPE = sum|a - f| / sum a, MAPE over points with a > 0,
bias = sum(f - a) / sum a.
"""

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class ForecastMetrics:
    """Accuracy of a set of point forecasts against actuals."""

    points: int
    mae: float | None
    mape: float | None
    rmse: float | None
    r2: float | None
    wape: float | None
    accuracy: float | None
    bias: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        """The metrics as a plain dict, e.g. for Dagster metadata or JSON."""
        return asdict(self)


def _as_pair(actual: ArrayLike, forecast: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=float).ravel()
    f = np.asarray(forecast, dtype=float).ravel()
    if a.shape != f.shape:
        raise ValueError(f"actual and forecast differ in length: {a.size} != {f.size}")
    if not (np.isfinite(a).all() and np.isfinite(f).all()):
        raise ValueError("actual and forecast must be finite numbers")
    return a, f


def _mape(a: np.ndarray, f: np.ndarray) -> float | None:
    sold = a > 0
    if not sold.any():
        return None
    return float(np.mean(np.abs(a[sold] - f[sold]) / a[sold]) * 100.0)


def _r2(a: np.ndarray, f: np.ndarray) -> float | None:
    if a.size < 2:
        return None
    total = float(np.sum((a - a.mean()) ** 2))
    if total == 0.0:
        return None
    return 1.0 - float(np.sum((a - f) ** 2)) / total


def forecast_metrics(actual: ArrayLike, forecast: ArrayLike) -> ForecastMetrics:
    """Point-forecast accuracy of ``forecast`` against ``actual`` (same length, finite)."""
    a, f = _as_pair(actual, forecast)
    if a.size == 0:
        return ForecastMetrics(0, None, None, None, None, None, None, None)
    total = float(a.sum())
    abs_err = float(np.abs(a - f).sum())
    wape = abs_err / total * 100.0 if total != 0 else None
    return ForecastMetrics(
        points=int(a.size),
        mae=abs_err / a.size,
        mape=_mape(a, f),
        rmse=float(np.sqrt(np.mean((a - f) ** 2))),
        r2=_r2(a, f),
        wape=wape,
        accuracy=max(0.0, 100.0 - wape) if wape is not None else None,
        bias=float((f - a).sum()) / total * 100.0 if total != 0 else None,
    )


def interval_coverage(actual: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Percent of actuals inside the closed interval [lower, upper]."""
    a, lo = _as_pair(actual, lower)
    _, hi = _as_pair(actual, upper)
    if a.size == 0:
        raise ValueError("interval coverage of zero points is undefined")
    return float(np.mean((a >= lo) & (a <= hi)) * 100.0)
