"""The ETS(A,N,A) baseline and model feature: weekly pattern, closed days, no look-ahead."""

import numpy as np
import pandas as pd
import pytest

from bakery_orchestration.forecasting import features
from bakery_orchestration.forecasting.ets import choose_parameters, ets_forecast, ets_path

PATTERN = np.array([10.0, 12.0, 8.0, 20.0, 30.0, 40.0, 5.0])


def _weeks(n: int, level: float = 0.0) -> np.ndarray:
    return (np.tile(PATTERN, n) + level)[:, None]


def test_a_steady_weekly_pattern_is_forecast_exactly():
    values = _weeks(20)
    forecast = ets_forecast(values, origin=140, horizon=7)
    np.testing.assert_allclose(forecast[:, 0], PATTERN, atol=1e-9)


def test_closed_days_leave_the_state_unchanged():
    values = _weeks(20)
    closed = values.copy()
    closed[100:103] = np.nan
    alpha, gamma = np.array([0.3]), np.array([0.1])
    np.testing.assert_allclose(ets_path(closed, alpha, gamma), ets_path(values, alpha, gamma))


def test_level_shift_is_followed_and_only_past_days_are_read():
    values = np.vstack([_weeks(10), _weeks(10, level=20.0)])
    later = values.copy()
    later[140:] = 999.0
    forecast = ets_forecast(later, origin=140, horizon=7)
    assert forecast[:, 0] == pytest.approx(PATTERN + 20.0, abs=2.0)
    alpha, gamma = choose_parameters(values[:140])
    path = ets_path(values, alpha, gamma)
    np.testing.assert_allclose(path[:141], ets_path(later, alpha, gamma)[:141])


@pytest.mark.parametrize("how", ["mean", "std", "count"])
@pytest.mark.parametrize("window", [1, 3, 28])
def test_rolling_features_equal_pandas(how, window):
    rng = np.random.default_rng(3)
    values = rng.poisson(5.0, size=(120, 4)).astype(float)
    values[rng.random(values.shape) < 0.2] = np.nan
    values[:10, 0] = np.nan  # a product launched later
    frame = pd.DataFrame(values).rolling(window, min_periods=1)
    expected = getattr(frame, how)().shift(1).to_numpy()
    got = features._rolling(values, window, how)
    if how == "count":  # pandas counts 0 where we may say NaN only on the first row
        expected, got = np.nan_to_num(expected), np.nan_to_num(got)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_fewer_days_than_the_initial_window():
    values = _weeks(1)[:6]
    forecast = ets_forecast(values, origin=6, horizon=7)
    assert forecast.shape == (7, 1)
    # days 7..12 repeat the six weekdays seen; the unseen seventh weekday gets the level
    np.testing.assert_allclose(forecast[1:, 0], PATTERN[:6])
    assert forecast[0, 0] == pytest.approx(PATTERN[:6].mean())
