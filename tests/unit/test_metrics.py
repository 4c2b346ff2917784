"""Forecast-accuracy metrics against values computed by hand."""

import math

import pytest

from bakery_orchestration.core.metrics import forecast_metrics, interval_coverage


@pytest.mark.parametrize(
    ("actual", "forecast", "expected"),
    [
        # errors 2, 0, -2 on actuals summing to 30
        (
            [10, 10, 10],
            [12, 10, 8],
            {"points": 3, "mae": 4 / 3, "mape": 40 / 3,
             "rmse": math.sqrt(8 / 3), "wape": 4 / 30 * 100, "bias": 0.0},
        ),
        # zero actual is left out of MAPE; bias = (1 + 2) / 4
        (
            [0, 4],
            [1, 6],
            {"points": 2, "mae": 1.5, "mape": 50.0, "rmse": math.sqrt(2.5),
             "wape": 75.0, "bias": 75.0, "accuracy": 25.0},
        ),
        # WAPE over 100 floors accuracy at 0
        ([1, 1], [4, 4], {"wape": 300.0, "accuracy": 0.0, "bias": 300.0, "mape": 300.0}),
    ],
)  # fmt: skip
def test_forecast_metrics_hand_computed(actual, forecast, expected):
    metrics = forecast_metrics(actual, forecast).as_dict()
    for name, value in expected.items():
        assert metrics[name] == pytest.approx(value), name


def test_r2_hand_computed():
    # actual mean 2, SS_tot = 2, SS_res = 0.5
    assert forecast_metrics([1, 2, 3], [1.5, 2, 2.5]).r2 == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("actual", "forecast", "none_fields"),
    [
        ([0, 0], [1, 2], {"mape", "wape", "accuracy", "bias", "r2"}),
        ([5], [4], {"r2"}),
        ([3, 3], [3, 2], {"r2"}),
    ],
)
def test_undefined_metrics_are_none(actual, forecast, none_fields):
    metrics = forecast_metrics(actual, forecast).as_dict()
    assert {k for k, v in metrics.items() if v is None} == none_fields


def test_empty_input_has_zero_points():
    metrics = forecast_metrics([], [])
    assert metrics.points == 0 and metrics.wape is None


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="differ in length"):
        forecast_metrics([1, 2], [1])


@pytest.mark.parametrize(
    ("actual", "lower", "upper", "expected"),
    [
        ([1, 2, 3, 4], [0, 2, 4, 0], [1, 3, 5, 3], 50.0),  # bounds are inclusive
        ([0, 0], [0, 1], [0, 2], 50.0),
    ],
)
def test_interval_coverage(actual, lower, upper, expected):
    assert interval_coverage(actual, lower, upper) == pytest.approx(expected)
