"""Prediction intervals from out-of-sample residuals (split-conformal, relative to the P50).

Residuals are taken as ratios actual / P50 and grouped by the size of the P50, because small
forecasts are relatively noisier than large ones. The interval of a new forecast is P50 times
the group's empirical quantiles of those ratios.
"""

from dataclasses import dataclass

import numpy as np

N_GROUPS = 4


@dataclass(frozen=True)
class IntervalCalibration:
    """Ratio quantiles per P50 group; ``edges`` are the inner group boundaries."""

    edges: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def interval(self, p50: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P10 and P90 for the given P50 (P10 <= P50 <= P90)."""
        group = np.searchsorted(self.edges, p50, side="right")
        return p50 * self.lower[group], p50 * self.upper[group]


DEFAULT_CALIBRATION = IntervalCalibration(np.array([]), np.array([0.6]), np.array([1.5]))


def calibrate(
    actual: np.ndarray, p50: np.ndarray, *, low: float = 0.1, high: float = 0.9
) -> IntervalCalibration:
    """Fit the ratio quantiles on held-out pairs; falls back to a fixed band on little data."""
    ok = p50 > 0
    actual, p50 = actual[ok], p50[ok]
    if actual.size < 50 * N_GROUPS:
        return DEFAULT_CALIBRATION
    edges = np.quantile(p50, np.linspace(0, 1, N_GROUPS + 1)[1:-1])
    group = np.searchsorted(edges, p50, side="right")
    ratio = actual / p50
    members = [ratio[group == g] if (group == g).sum() >= 20 else ratio for g in range(N_GROUPS)]
    lower = np.array([np.quantile(m, low) for m in members])
    upper = np.array([np.quantile(m, high) for m in members])
    return IntervalCalibration(edges, np.minimum(lower, 1.0), np.maximum(upper, 1.0))
