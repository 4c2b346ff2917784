"""Prediction intervals from out-of-sample residuals (split-conformal, relative to the forecast).

Held-out actuals are divided by the model's forecast and the ratios grouped by the size of the
forecast, because small forecasts are relatively noisier than large ones. A new forecast's
P10/P90 are the forecast times its group's 10 % / 90 % ratio quantiles (plain split-conformal);
the P50 is the model's forecast itself.

The quantiles are not re-centred on the group's median ratio: the model forecasts a mean, and
for skewed counts the median of actual / mean is below 1 even for an unbiased forecast, so
dividing by it widened every band (P10-P90 covered 84-86 % instead of 80 % in the backtests).
"""

from dataclasses import dataclass

import numpy as np

EDGES = np.array([1.0, 3.0, 10.0, 30.0, 100.0])  # forecast sizes (units) that bound the groups
MIN_GROUP = 30


@dataclass(frozen=True)
class IntervalCalibration:
    """Ratio quantiles per forecast-size group; ``edges`` are the inner group boundaries."""

    edges: np.ndarray
    lower: np.ndarray
    middle: np.ndarray
    upper: np.ndarray

    def quantiles(self, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """P10, P50 and P90 for the model's mean forecast (P10 <= P50 <= P90)."""
        group = np.searchsorted(self.edges, mean, side="right")
        return mean * self.lower[group], mean * self.middle[group], mean * self.upper[group]


FIXED_BAND = IntervalCalibration(np.array([]), np.array([0.5]), np.array([1.0]), np.array([1.6]))


def calibrate(
    actual: np.ndarray, forecast: np.ndarray, *, low: float = 0.1, high: float = 0.9
) -> IntervalCalibration:
    """Fit the ratio quantiles on held-out pairs; a fixed band when there are too few."""
    ok = forecast > 0
    actual, forecast = actual[ok], forecast[ok]
    if actual.size < MIN_GROUP:
        return FIXED_BAND
    group = np.searchsorted(EDGES, forecast, side="right")
    ratio = actual / forecast
    n_groups = len(EDGES) + 1
    pooled = np.quantile(ratio, [low, 0.5, high])
    q = np.array(
        [
            np.quantile(ratio[group == g], [low, 0.5, high])
            if (group == g).sum() >= MIN_GROUP
            else pooled
            for g in range(n_groups)
        ]
    )
    # No division by the median ratio (see the module docstring); P10 <= P50 <= P90 is kept.
    lower = np.minimum(q[:, 0], 1.0)
    upper = np.maximum(q[:, 2], 1.0)
    return IntervalCalibration(EDGES.copy(), lower, np.ones(n_groups), upper)
