"""Prediction intervals from out-of-sample residuals (split-conformal, relative to the forecast).

Held-out actuals are divided by the model's forecast and the ratios grouped by the size of the
forecast, because small forecasts are relatively noisier than large ones. A new forecast's
P10/P90 are the forecast times its group's 10 % / 90 % ratio quantiles, each divided by the
group's median ratio: only the spread is kept, the P50 is the model's forecast itself.
"""

from dataclasses import dataclass

import numpy as np

N_GROUPS = 4
MIN_GROUP = 20


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


FIXED_BAND = IntervalCalibration(np.array([]), np.array([0.6]), np.array([1.0]), np.array([1.5]))


def calibrate(
    actual: np.ndarray, forecast: np.ndarray, *, low: float = 0.1, high: float = 0.9
) -> IntervalCalibration:
    """Fit the ratio quantiles on held-out pairs; a fixed band when there are too few."""
    ok = forecast > 0
    actual, forecast = actual[ok], forecast[ok]
    if actual.size < MIN_GROUP * N_GROUPS:
        return FIXED_BAND
    edges = np.quantile(forecast, np.linspace(0, 1, N_GROUPS + 1)[1:-1])
    group = np.searchsorted(edges, forecast, side="right")
    ratio = actual / forecast
    members = [ratio[group == g] if (group == g).sum() >= MIN_GROUP else ratio
               for g in range(N_GROUPS)]  # fmt: skip
    q = np.array([np.quantile(m, [low, 0.5, high]) for m in members])
    middle = q[:, 1]
    return IntervalCalibration(
        edges, np.minimum(q[:, 0], middle), middle, np.maximum(q[:, 2], middle)
    )
