"""Interval calibration: ratio quantiles per forecast-size group, P50 from the median shape."""

import numpy as np
import pytest

from bakery_orchestration.forecasting.calibration import FIXED_BAND, calibrate


def test_group_quantiles_and_median_to_mean_shape():
    # 40 held-out pairs, all forecast 5 units (group 3..10): ratios 0.5 x10, 1.0 x20, 2.0 x10,
    # all of products with a coefficient of variation of 0.6 (spread group 0.5..0.8).
    ratios = np.array([0.5] * 10 + [1.0] * 20 + [2.0] * 10)
    cal = calibrate(ratios * 5.0, np.full(40, 5.0), spread=np.full(40, 0.6))
    p10, p50, p90 = cal.quantiles(np.array([4.0, 4.0, 50.0]), np.array([0.7, 0.2, 0.7]))
    # Same size and spread: the median ratio (1.0) over the mean ratio (1.125).
    assert (p10[0], p50[0], p90[0]) == pytest.approx((2.0, 4.0 / 1.125, 8.0))
    # Same size, other spread group (no pairs): same band, the mean forecast as P50.
    assert (p10[1], p50[1], p90[1]) == pytest.approx((2.0, 4.0, 8.0))
    # Group of 50 units has no pairs: pooled band, and the mean forecast stays the P50.
    assert (p10[2], p50[2], p90[2]) == pytest.approx((25.0, 50.0, 100.0))
    # Without spreads the P50 is the mean forecast.
    assert cal.quantiles(np.array([4.0]))[1] == pytest.approx([4.0])


def test_band_widens_to_hold_the_median():
    # Every ratio above 1 (an under-forecast held-out period): P10 is capped at the forecast,
    # and a median below it lowers the P10 instead of being raised.
    ratios = np.concatenate([np.linspace(1.2, 2.0, 50), np.zeros(25), np.ones(15)])
    spread = np.concatenate([np.full(50, 0.1), np.full(40, 2.0)])
    cal = calibrate(ratios * 20.0, np.full(90, 20.0), spread=spread)
    p10, p50, p90 = cal.quantiles(np.array([20.0, 20.0]), np.array([0.1, np.nan]))
    assert p10[0] == pytest.approx(0.0)  # the group's 10 % ratio quantile is 0
    assert p50[0] == pytest.approx(20.0 * 1.6 / np.linspace(1.2, 2.0, 50).mean())
    assert p90[0] == pytest.approx(20.0 * np.quantile(ratios, 0.9))
    # Unknown spread counts as the largest group, whose median ratio is 0 (mean 0.375).
    assert p50[1] == 0.0 and p10[1] == 0.0


def test_too_few_pairs_give_the_fixed_band():
    assert calibrate(np.ones(10), np.ones(10)) is FIXED_BAND


def test_a_small_size_group_borrows_its_neighbours_not_every_pair():
    # 200 pairs of 0.5-unit forecasts, ratios 0 or 4 (a small seller: P10 ratio 0), 40 pairs of
    # 20-unit forecasts with ratios 0.8..1.2, and 5 pairs of 50-unit forecasts (too few).
    small = np.tile([0.0, 4.0], 100)
    mid = np.linspace(0.8, 1.2, 40)
    big = np.ones(5)
    ratios = np.concatenate([small, mid, big])
    forecast = np.concatenate([np.full(200, 0.5), np.full(40, 20.0), np.full(5, 50.0)])
    cal = calibrate(ratios * forecast, forecast)
    p10, _, p90 = cal.quantiles(np.array([50.0]))
    # Group 30..100 borrows groups 10..100 (45 pairs), not the pooled 245 whose P10 ratio is 0.
    near = np.concatenate([mid, big])
    assert p10[0] == pytest.approx(50.0 * np.quantile(near, 0.1))
    assert p90[0] == pytest.approx(50.0 * np.quantile(near, 0.9))
    assert p10[0] > 35.0
