"""Interval calibration: ratio quantiles per forecast-size group, P50 from the median shape."""

import numpy as np
import pytest

from bakery_orchestration.forecasting.calibration import FIXED_BAND, calibrate


def test_group_quantiles_and_median_to_mean_shape():
    # 40 held-out pairs, all forecast 5 units (group 3..10): ratios 0.5 x10, 1.0 x20, 2.0 x10.
    ratios = np.array([0.5] * 10 + [1.0] * 20 + [2.0] * 10)
    cal = calibrate(ratios * 5.0, np.full(40, 5.0))
    p10, p50, p90 = cal.quantiles(np.array([4.0, 50.0]))
    # Group of 4 units: its own ratios. The median ratio (1.0) over the mean ratio (1.125).
    assert p10[0] == pytest.approx(2.0)
    assert p50[0] == pytest.approx(4.0 / 1.125)
    assert p90[0] == pytest.approx(8.0)
    # Group of 50 units has no pairs: pooled band, and the mean forecast stays the P50.
    assert (p10[1], p50[1], p90[1]) == pytest.approx((25.0, 50.0, 100.0))


def test_band_always_holds_the_median():
    # Every ratio above 1 (an under-forecast held-out period): P10 is capped at the forecast.
    ratios = np.linspace(1.2, 2.0, 50)
    p10, p50, p90 = calibrate(ratios * 20.0, np.full(50, 20.0)).quantiles(np.array([20.0]))
    assert p10[0] == pytest.approx(20.0)
    assert p10[0] <= p50[0] <= p90[0]
    assert p90[0] == pytest.approx(20.0 * np.quantile(ratios, 0.9))


def test_too_few_pairs_give_the_fixed_band():
    assert calibrate(np.ones(10), np.ones(10)) is FIXED_BAND
