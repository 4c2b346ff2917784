"""DemandModel on small synthetic sales: output shape, no leakage, closed days, serialization."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from bakery_orchestration.forecasting import features
from bakery_orchestration.forecasting.calibration import FIXED_BAND
from bakery_orchestration.forecasting.model import (
    DemandModel,
    ModelConfig,
    TenantCalendar,
    _blend_weight,
)
from bakery_orchestration.forecasting.serialization import ModelFormatError
from bakery_orchestration.forecasting.synthetic import synthetic_sales

AS_OF = date(2022, 8, 1)
ORIGIN = date(2022, 8, 8)
FAST = ModelConfig(seeds=(0,), max_iter=20, max_rows=20_000)
CALENDAR = TenantCalendar(country="FR", closed_weekdays=(6,))


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    return synthetic_sales(products=8, days=260, closed_weekdays=(6,), seed=1)


@pytest.fixture(scope="module")
def model(sales) -> DemandModel:
    return DemandModel.fit(sales, as_of=AS_OF, calendar=CALENDAR, config=FAST)


def _perturb_from(sales: pd.DataFrame, day: date) -> pd.DataFrame:
    """Sales with every quantity on or after ``day`` changed, plus a new product there."""
    out = sales.copy()
    later = out["date"] >= pd.Timestamp(day)
    out.loc[later, "quantity"] = out.loc[later, "quantity"] * 3 + 7
    extra = pd.DataFrame({"date": [pd.Timestamp(day)], "product": ["P000"], "quantity": [999.0]})
    return pd.concat([out, extra], ignore_index=True)


def test_forecast_columns_and_ordering(model, sales):
    forecast = model.predict(sales, origin=ORIGIN)
    assert list(forecast.columns) == ["product", "date", "horizon", "p10", "p50", "p90", "method"]
    assert len(forecast) == 8 * 7
    assert set(forecast["horizon"]) == set(range(1, 8))
    assert (forecast["p10"] >= 0).all()
    assert (forecast["p10"] <= forecast["p50"]).all() and (forecast["p50"] <= forecast["p90"]).all()
    open_days = forecast[forecast["method"] == "model"]
    assert len(open_days) == 8 * 6 and (open_days["p50"] > 0).all()


def test_closed_weekday_forecasts_zero(model, sales):
    forecast = model.predict(sales, origin=ORIGIN)
    sundays = forecast[forecast["date"].dt.weekday == 6]
    assert len(sundays) == 8
    assert (sundays["method"] == "closed").all()
    assert (sundays[["p10", "p50", "p90"]].to_numpy() == 0).all()


def test_predict_ignores_sales_on_and_after_origin(model, sales):
    before = model.predict(sales, origin=ORIGIN)
    after = model.predict(_perturb_from(sales, ORIGIN), origin=ORIGIN)
    pd.testing.assert_frame_equal(before, after)


def test_fit_ignores_sales_on_and_after_as_of(model, sales):
    refit = DemandModel.fit(
        _perturb_from(sales, AS_OF), as_of=AS_OF, calendar=CALENDAR, config=FAST
    )
    assert refit.to_bytes() == model.to_bytes()


def test_new_product_gets_seasonal_naive(model, sales):
    launch = pd.Timestamp(ORIGIN) - pd.Timedelta(days=10)
    new = pd.DataFrame(
        {"date": pd.date_range(launch, periods=10), "product": "NEW", "quantity": 5.0}
    )
    forecast = model.predict(pd.concat([sales, new]), origin=ORIGIN, products=["NEW", "P001"])
    methods = forecast.groupby("product")["method"].agg(set)
    assert methods["NEW"] == {"seasonal_naive", "closed"}
    assert methods["P001"] == {"model", "closed"}
    monday = forecast[(forecast["product"] == "NEW") & (forecast["date"].dt.weekday == 0)]
    assert monday["p50"].item() == 5.0


def test_round_trip_predicts_identically(model, sales):
    data = model.to_bytes()
    loaded = DemandModel.from_bytes(data, expected_sha256=model.sha256)
    pd.testing.assert_frame_equal(
        loaded.predict(sales, origin=ORIGIN), model.predict(sales, origin=ORIGIN)
    )
    assert loaded.calendar == model.calendar and loaded.config == model.config


@pytest.mark.parametrize("position", [0, 20, 45, -1])
def test_tampered_bytes_are_refused(model, position):
    data = bytearray(model.to_bytes())
    data[position] ^= 0xFF
    with pytest.raises(ModelFormatError):
        DemandModel.from_bytes(bytes(data))


def test_wrong_recorded_digest_is_refused(model):
    with pytest.raises(ModelFormatError, match="digest"):
        DemandModel.from_bytes(model.to_bytes(), expected_sha256="0" * 64)


def test_pickle_payload_is_refused():
    import pickle

    with pytest.raises(ModelFormatError):
        DemandModel.from_bytes(pickle.dumps({"a": 1}))


def test_horizon_outside_range_is_an_error(model, sales):
    with pytest.raises(ValueError, match="horizon"):
        model.predict(sales, origin=ORIGIN, horizon=8)


def test_short_horizon_and_future_origin(model, sales):
    origin = AS_OF + timedelta(days=30)
    forecast = model.predict(sales, origin=origin, horizon=3, products=["P002"])
    assert list(forecast["horizon"]) == [1, 2, 3]
    assert np.isfinite(forecast[["p10", "p50", "p90"]].to_numpy()).all()


@pytest.mark.parametrize(("trees_error", "ets_error", "weight"), [(0, 5, 1.0), (5, 0, 0.0)])
def test_blend_weight_follows_the_better_held_out_forecast(trees_error, ets_error, weight):
    rng = np.random.default_rng(0)
    actual = rng.poisson(20.0, 500).astype(float)
    scale = np.full(500, 10.0)
    noise = rng.standard_normal(500)
    trees = (actual + trees_error * noise) / scale
    ets = (actual - ets_error * noise) / scale
    assert _blend_weight(actual, trees, ets, scale) == weight
    # errors of opposite sign cancel in the middle when both are equally wrong
    assert _blend_weight(actual, (actual + noise) / scale, (actual - noise) / scale, scale) == 0.5


def test_round_trip_keeps_blend_weight_and_ets_parameters(model):
    again = DemandModel.from_bytes(model.to_bytes())
    assert again.blend_weight == model.blend_weight
    np.testing.assert_array_equal(again.ets.alpha, model.ets.alpha)
    np.testing.assert_array_equal(again.ets.gamma, model.ets.gamma)
    assert len(model.ets.alpha) == len(model.products)


def test_young_tenant_band_comes_from_its_ets_held_out_ratios():
    # 60 days of 8 products: too few early rows for a held-out fit of the trees, so the blend
    # is 0.5 and the band comes from the held-out ratios actual / ETS, not a fixed band.
    young = synthetic_sales(products=8, days=60, seed=2)
    as_of = (young["date"].max() + timedelta(days=1)).date()
    model = DemandModel.fit(young, as_of=as_of, config=FAST)
    assert model.blend_weight == 0.5
    assert model.calibration is not FIXED_BAND
    assert (model.calibration.lower < 1.0).all() and (model.calibration.upper > 1.0).all()
    # Poisson noise around 3..40 units: the 10-30 unit band is far narrower than 0.5-1.6.
    group = int(np.searchsorted(model.calibration.edges, 20.0, side="right"))
    assert model.calibration.lower[group] > 0.5
    assert model.calibration.upper[group] < 1.6


@pytest.fixture(scope="module")
def pool(sales) -> dict[str, tuple[pd.DataFrame, TenantCalendar]]:
    """A chain of two stores: ``sales`` and a smaller store with other products and calendar."""
    other = synthetic_sales(products=3, days=200, seed=9)
    other = other.assign(product="S2-" + other["product"])
    return {"store-1": (sales, CALENDAR), "store-2": (other, TenantCalendar(country="ES"))}


def test_a_pool_of_one_is_the_tenant_s_own_fit(model, sales):
    alone = DemandModel.fit_pool({"only": (sales, CALENDAR)}, as_of=AS_OF, config=FAST)
    assert alone["only"].to_bytes() == model.to_bytes()


def test_pooled_stores_share_trees_and_keep_their_own_products_and_calendar(pool, model, sales):
    models = DemandModel.fit_pool(pool, as_of=AS_OF, config=FAST)
    one, two = models["store-1"], models["store-2"]
    assert one.products == model.products and all(p.startswith("S2-") for p in two.products)
    assert one.calendar == CALENDAR and two.calendar == TenantCalendar(country="ES")
    assert one.members is two.members and one.blend_weight == two.blend_weight
    # The pooled trees learnt from the second store's rows: store 1 is forecast differently.
    pooled = one.predict(sales, origin=ORIGIN)["p50"].to_numpy()
    assert not np.allclose(pooled, model.predict(sales, origin=ORIGIN)["p50"].to_numpy())
    assert DemandModel.from_bytes(two.to_bytes()).products == two.products


def test_pooled_fit_ignores_every_store_s_sales_on_and_after_as_of(pool):
    models = DemandModel.fit_pool(pool, as_of=AS_OF, config=FAST)
    altered = {name: (_perturb_from(s, AS_OF), cal) for name, (s, cal) in pool.items()}
    again = DemandModel.fit_pool(altered, as_of=AS_OF, config=FAST)
    assert all(again[name].to_bytes() == models[name].to_bytes() for name in pool)


def test_a_member_s_copy_of_a_pooled_model_is_the_copy_fit_pool_gave_it(pool):
    models = DemandModel.fit_pool(pool, as_of=AS_OF, config=FAST)
    copy = models["store-1"].for_member(*pool["store-2"])
    assert copy.to_bytes() == models["store-2"].to_bytes()


def test_a_product_s_forecast_does_not_depend_on_the_products_asked_for(model, sales, monkeypatch):
    # The shop features read every active product: the backtest (which asks
    # for its scored products) forecasts as production (which asks for all).
    # One product not asked for sold five times as much in the last ten days: the shop's trend.
    late = (sales["product"] == "P005") & (sales["date"] >= pd.Timestamp(ORIGIN - timedelta(10)))
    sales = sales.assign(quantity=np.where(late, sales["quantity"] * 5, sales["quantity"]))
    everything = model.predict(sales, origin=ORIGIN)
    some = model.predict(sales, origin=ORIGIN, products=["P003", "P001"])
    expected = everything[everything["product"].isin({"P001", "P003"})].reset_index(drop=True)
    pd.testing.assert_frame_equal(some, expected)
    # (this small model's trees may not split on the shop features: check what they read)
    seen = []
    forecast = DemandModel._forecast
    monkeypatch.setattr(
        DemandModel,
        "_forecast",
        lambda self, m, *a: seen.append(m.products) or forecast(self, m, *a),
    )
    model.predict(sales, origin=ORIGIN, products=["P003", "P001"])
    assert seen[0][:2] == ("P003", "P001") and set(seen[0]) == set(everything["product"])


def test_fit_and_predict_read_the_shop_features_of_the_same_products(monkeypatch):
    # A product sold a year before the origin and discontinued long before it: a training row
    # of that origin and the forecast from that origin must see the same shop (the same
    # products in shop_trend7/56 and shop_yoy), or the trees learn one feature and are fed
    # another.
    sales = synthetic_sales(products=5, days=500, closed_weekdays=(6,), seed=3)
    first = sales["date"].min()
    gone = (sales["product"] == "P004") & (sales["date"] >= first + pd.Timedelta(days=300))
    sales = sales[~gone].reset_index(drop=True)
    origin = (first + pd.Timedelta(days=460)).date()
    built = []
    build_rows = features.build_rows
    monkeypatch.setattr(
        features, "build_rows", lambda *a, **k: built.append(build_rows(*a, **k)) or built[-1]
    )
    config = ModelConfig(max_iter=5, max_rows=1_000_000, blend=False)
    model = DemandModel.fit(sales, as_of=origin + timedelta(days=7), config=config)
    training = built[0]
    model.predict(sales, origin=origin)
    predicted = built[-1]
    shop = [features.FEATURE_NAMES.index(n) for n in ("shop_trend7", "shop_trend56", "shop_yoy")]

    def by_horizon(rows, at):
        """The shop features of the rows of origin ``at`` per horizon (None: no such row)."""
        mine = rows.origin == at
        out = [
            np.unique(rows.features[mine & (rows.target - at == h)][:, shop], axis=0)
            for h in range(7)
        ]
        assert all(len(f) <= 1 for f in out)  # one shop per (origin, target) whatever the product
        return [f[0] if len(f) else None for f in out]

    fitted = by_horizon(training, (pd.Timestamp(origin) - first).days)
    forecast = by_horizon(predicted, int(predicted.origin[0]))
    trained = [h for h in range(7) if fitted[h] is not None]  # a closed target day has no row
    assert len(trained) == 6 and not np.isnan([fitted[h] for h in trained]).any()
    for h in trained:
        np.testing.assert_allclose(forecast[h], fitted[h], rtol=1e-12)
