"""The backtest protocol: scored points, closed days, baselines against the README's figures."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bakery_orchestration.cli.backtest import file_calendar, file_pools
from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.forecasting.backtest import (
    production_refit,
    render_backtest,
    run_backtest,
)
from bakery_orchestration.forecasting.baselines import seasonal_naive, weekday_mean
from bakery_orchestration.forecasting.model import ModelConfig
from bakery_orchestration.forecasting.synthetic import synthetic_sales

BASELINES = ("seasonal_naive", "weekday_mean_4w")
ALL_BASELINES = (*BASELINES, "ets")


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
    assert set(summary["methods"]) == {"model", *ALL_BASELINES}
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


def test_pooled_tenants_share_one_fit_and_score_the_same_points():
    a = synthetic_sales(products=3, days=150, seed=5).assign(tenant="a")
    b = synthetic_sales(products=2, days=150, seed=6).assign(tenant="b")
    sales = pd.concat([a, b])
    config = ModelConfig(max_iter=20, max_rows=5_000)
    alone = run_backtest(sales, holdout_days=14, config=config).points
    pooled = run_backtest(sales, holdout_days=14, config=config, pools={"a": "c", "b": "c"})
    keys = ["tenant", "product", "origin", "date", "actual", "seasonal_naive"]
    pd.testing.assert_frame_equal(alone[keys], pooled.points[keys])
    assert not np.allclose(alone["model"], pooled.points["model"])
    # Both stores refit at the same origins (production's age rule) from one pooled fit.
    fits = pooled.points.groupby("tenant")["model_as_of"].unique()
    assert list(fits["a"]) == list(fits["b"]) and len(fits["a"]) >= 1


def test_a_multi_tenant_file_is_one_pool_by_default():
    chain = pd.DataFrame({"date": ["2022-01-01"] * 2, "product": "a", "quantity": 1.0})
    assert file_pools(chain.assign(tenant=[7, "b"])) == {"7": "file", "b": "file"}
    assert file_pools(chain) is None


def test_pooled_dev_window_never_reads_the_final_one():
    a = synthetic_sales(products=3, days=160, seed=7).assign(tenant="a")
    b = synthetic_sales(products=2, days=160, seed=8).assign(tenant="b")
    sales, last = pd.concat([a, b]), a["date"].max()
    config = ModelConfig(max_iter=20, max_rows=5_000)
    pools = {"a": "c", "b": "c"}
    dev = run_backtest(sales, holdout_days=14, window="dev", config=config, pools=pools).points
    altered = _changed_after(sales, last - pd.Timedelta(days=14))
    again = run_backtest(altered, holdout_days=14, window="dev", config=config, pools=pools)
    pd.testing.assert_frame_equal(dev, again.points)


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


def _changed_after(sales: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    out = sales.copy()
    later = out["date"] > day
    out.loc[later, "quantity"] = out.loc[later, "quantity"] * 5 + 11
    return out


def test_dev_window_ends_before_the_final_one_and_never_reads_it():
    sales = synthetic_sales(products=3, days=160, seed=7)
    last = sales["date"].max()
    config = ModelConfig(max_iter=20, max_rows=5_000)
    dev = run_backtest(sales, holdout_days=14, window="dev", config=config).points
    assert dev["origin"].min() == last - pd.Timedelta(days=27)
    assert dev["date"].max() == last - pd.Timedelta(days=14)
    altered = _changed_after(sales, last - pd.Timedelta(days=14))
    again = run_backtest(altered, holdout_days=14, window="dev", config=config).points
    pd.testing.assert_frame_equal(dev, again)


@pytest.mark.parametrize(
    ("model_as_of", "error_recent", "error_before", "expected"),
    [
        (None, 20.0, 20.0, "no_model"),
        (date(2022, 5, 20), 20.0, 20.0, None),  # 12 days old, better than copying last week
        (date(2022, 4, 20), 20.0, 20.0, "model_older_than_limit"),
        (date(2022, 5, 20), 35.0, 35.0, "wape_30d_not_better_than_seasonal_naive"),
        (date(2022, 5, 20), 27.0, 18.0, "wape_30d_rose"),
        (date(2022, 5, 20), 22.0, 18.0, None),  # +4 points: noise, not a trend
    ],
)  # fmt: skip
def test_production_retraining_rule(model_as_of, error_recent, error_before, expected):
    origin = date(2022, 6, 1)
    days = pd.date_range(end=pd.Timestamp(origin) - pd.Timedelta(days=1), periods=60)
    # actual 100 every day; the seasonal naive misses by 30, the model by its window's error
    recent = days >= pd.Timestamp(origin) - pd.Timedelta(days=30)
    error = np.where(recent, error_recent, error_before)
    day_one = pd.DataFrame(
        {"date": days, "actual": 100.0, "model": 100.0 + error, "seasonal_naive": 130.0}
    )
    assert production_refit(model_as_of, origin, day_one) == expected


def test_production_rule_refits_a_healthy_model_only_for_its_age():
    """Poisson counts (daily MAPE ~ 43 %) the model forecasts better than last week does: no
    weekly refit production would never do, only the age rule's after 30 days."""
    sales = synthetic_sales(products=3, days=200, seed=8)
    config = ModelConfig(max_iter=20, max_rows=5_000)
    points = run_backtest(sales, holdout_days=42, config=config).points
    first = points["origin"].min()
    assert sorted((points["model_as_of"].unique() - first).days) == [0, 35]


def test_tenants_in_worker_processes_give_the_same_points():
    a = synthetic_sales(products=2, days=90, seed=5).assign(tenant="a")
    b = synthetic_sales(products=2, days=90, seed=6).assign(tenant="b")
    sales = pd.concat([a, b])
    serial = run_backtest(sales, holdout_days=7, methods=ALL_BASELINES).points
    calls = []
    parallel = run_backtest(
        sales,
        holdout_days=7,
        methods=ALL_BASELINES,
        workers=2,
        progress=lambda d, t: calls.append(d),
    )
    pd.testing.assert_frame_equal(serial, parallel.points)
    assert calls[-1] == 14


def test_file_calendar_option_sidecar_and_known_files(tmp_path, shared_data):
    known = shared_data / "french_bakery" / "daily_units.csv"
    assert file_calendar(known, None) == ("FR", None)
    assert file_calendar(shared_data / "breadbasket" / "daily_item_lines.csv", None) == (
        "GB",
        "SCT",
    )
    assert file_calendar(known, "none") == (None, None)
    assert file_calendar(known, "DE") == ("DE", None)
    chain = tmp_path / "chain.csv"
    chain.write_text("date,product,quantity,tenant\n")
    assert file_calendar(chain, None) == (None, None)
    (tmp_path / "chain.csv.calendar.json").write_text('{"country": "ES", "subdivision": "MD"}')
    assert file_calendar(chain, None) == ("ES", "MD")
    (tmp_path / "chain.csv.calendar.json").write_text('{"land": "ES"}')
    with pytest.raises(BakeryError, match="chain.csv.calendar.json"):
        file_calendar(chain, None)


def test_a_tenant_too_short_to_backtest_is_skipped_and_the_others_carry_on():
    a = synthetic_sales(products=2, days=90, seed=5).assign(tenant="a")
    short = synthetic_sales(products=2, days=20, seed=6).assign(tenant="short")
    result = run_backtest(pd.concat([a, short]), holdout_days=28, methods=BASELINES)
    assert set(result.points["tenant"]) == {"a"}
    reason = "tenant short: holdout of 28 days is longer than the data (20 days from 2022-01-03)"
    assert result.skipped == {"short": reason}
    assert "skipped: tenant short" in render_backtest(result)
