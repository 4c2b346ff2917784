"""Reference forecasts of the backtest protocol: seasonal naive, the 4-week weekday mean and
an exponential-smoothing baseline (``ets.py``).

Seasonal naive and the weekday mean look at the same weekday as the target on weeks strictly
before the origin and skip days without a value (closed days, NaN in the sales matrix): that is
the convention that reproduces the reference figures of the shared data README.
"""

import numpy as np

from bakery_orchestration.forecasting.ets import ets_forecast

MAX_WEEKS_BACK = 12


def same_weekday_history(values: np.ndarray, origin: int, target: int) -> np.ndarray:
    """Values of the target's weekday before ``origin``, most recent first (weeks x products).

    Rows of closed days are NaN. Looks back at most ``MAX_WEEKS_BACK`` weeks.
    """
    first = target - 7 * max(1, -(-(target - origin + 1) // 7))
    rows = [d for d in range(first, first - 7 * MAX_WEEKS_BACK, -7) if d >= 0]
    if not rows:
        return np.full((0, values.shape[1]), np.nan)
    return values[rows]


def _first_known(history: np.ndarray, count: int) -> np.ndarray:
    """Mean of the first ``count`` non-NaN values of each column (NaN if none)."""
    known = ~np.isnan(history)
    rank = np.cumsum(known, axis=0)
    use = known & (rank <= count)
    n = use.sum(axis=0)
    total = np.where(use, history, 0.0).sum(axis=0)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def seasonal_naive(values: np.ndarray, origin: int, target: int) -> np.ndarray:
    """Most recent known value of the target's weekday before the origin, per product."""
    return _first_known(same_weekday_history(values, origin, target), 1)


def weekday_mean(values: np.ndarray, origin: int, target: int, weeks: int = 4) -> np.ndarray:
    """Mean of the last ``weeks`` known values of the target's weekday before the origin."""
    return _first_known(same_weekday_history(values, origin, target), weeks)


def _per_target(baseline):
    def forecast(values: np.ndarray, origin: int, targets: list[int]) -> np.ndarray:
        return np.array([baseline(values, origin, t) for t in targets])

    return forecast


def _ets(values: np.ndarray, origin: int, targets: list[int]) -> np.ndarray:
    return ets_forecast(values, origin, max(targets) - origin + 1)[np.asarray(targets) - origin]


# name -> forecasts(values, origin, target days) shaped (targets x products), NaN if unknown
BASELINES = {
    "seasonal_naive": _per_target(seasonal_naive),
    "weekday_mean_4w": _per_target(weekday_mean),
    "ets": _ets,
}
