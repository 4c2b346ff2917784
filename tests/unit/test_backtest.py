"""The backtest protocol: scored points, closed days, baselines against the README's figures."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bakery_orchestration.forecasting.backtest import render_backtest, run_backtest
from bakery_orchestration.forecasting.baselines import seasonal_naive, weekday_mean
from bakery_orchestration.forecasting.model import ModelConfig
from bakery_orchestration.forecasting.synthetic import synthetic_sales

BASELINES = ("seasonal_naive", "weekday_mean_4w")


def _week_matrix() -> np.ndarray:
    """Four weeks of one product: day i sold i units, day 14 closed (NaN)."""
    values = np.arange(28, dtype=float)[:, None]
    values[14] = np.nan
    return values


@pytest.mark.parametrize(
    ("origin", "target", "naive", "mean"),
    [
        (21, 21, 7.0, (7 + 0) / 2),  # day 14 closed: skip back to day 7
        (21, 27, 20.0, (20 + 13 + 6) / 3),
        (22, 22, 15.0, (15 + 8 + 1) / 3),
    ],
)  # fmt: skip
def test_baselines_skip_closed_days(origin, target, naive, mean):
    values = _week_matrix()
    assert seasonal_naive(values, origin, target)[0] == pytest.approx(naive)
    assert weekday_mean(values, origin, target)[0] == pytest.approx(mean)


def _closed_on_some_days() -> pd.DataFrame:
    sales = synthetic_sales(products=4, days=120, seed=3)
    closed = [pd.Timestamp("2022-04-20"), pd.Timestamp("2022-04-27")]
    return sales[~sales["date"].isin(closed)]


def test_closed_days_and_days_past_the_data_are_not_scored():
    sales = _closed_on_some_days()
    result = run_backtest(sales, holdout_days=14, methods=BASELINES, min_share=0.5)
    points = result.points
    assert not points["date"].isin([pd.Timestamp("2022-04-20"), pd.Timestamp("2022-04-27")]).any()
    assert points["date"].max() == sales["date"].max()
    assert (points["date"] >= points["origin"]).all()
    # 14 origins, the last six see fewer than 7 days of data; the closed 04-20 is a target of
    # the first 2 origins, the closed 04-27 of origins 3..9
    per_product = sum(min(7, 14 - k) for k in range(14)) - 2 - 7
    assert len(points) == 4 * per_product


def test_model_backtest_reports_every_method():
    sales = synthetic_sales(products=5, days=150, seed=4)
    config = ModelConfig(seeds=(0,), max_iter=40, learning_rate=0.1, max_rows=10_000)
    calls = []
    result = run_backtest(
        sales, holdout_days=7, refit_every=7, config=config, progress=lambda d, t: calls.append(d)
    )
    summary = result.to_dict()
    assert set(summary["methods"]) == {"model", *BASELINES}
    assert 0 <= summary["methods"]["model"]["coverage_p10_p90"] <= 100
    assert summary["methods"]["model"]["wape"] < summary["methods"]["seasonal_naive"]["wape"]
    assert calls == list(range(1, 8))
    assert "seasonal_naive" in render_backtest(result)


def test_tenants_are_backtested_separately():
    a = synthetic_sales(products=3, days=90, seed=5).assign(tenant="a")
    b = synthetic_sales(products=2, days=90, seed=6).assign(tenant="b")
    result = run_backtest(pd.concat([a, b]), holdout_days=7, methods=BASELINES)
    assert set(result.to_dict()["per_tenant"]) == {"a", "b"}
    assert result.points.groupby("tenant")["product"].nunique().to_dict() == {"a": 3, "b": 2}


def test_reference_baselines_on_french_bakery(shared_data):
    sales = pd.read_csv(shared_data / "french_bakery" / "daily_units.csv", parse_dates=["date"])
    result = run_backtest(sales, methods=BASELINES)
    assert result.points["origin"].min() == pd.Timestamp(date(2022, 8, 6))
    assert result.points["product"].nunique() == 32
    methods = result.to_dict()["methods"]
    naive, mean = methods["seasonal_naive"], methods["weekday_mean_4w"]
    assert naive["points"] == 11_424
    expected_naive = {"wape": 33.0, "mape": 65.3, "rmse": 19.18, "mae": 6.87, "bias": 12.8}
    for name, value in expected_naive.items():
        assert naive[name] == pytest.approx(value, abs=0.5), name
    expected_mean = {"wape": 47.5, "mape": 76.4, "rmse": 30.05, "mae": 9.89, "bias": 28.5}
    for name, value in expected_mean.items():
        assert mean[name] == pytest.approx(value, abs=0.5), name
    by_horizon = [result.to_dict()["per_horizon"][h]["seasonal_naive"]["wape"] for h in range(1, 8)]
    assert by_horizon == pytest.approx([31.8, 32.2, 32.9, 33.2, 33.5, 33.9, 34.2], abs=0.5)
