"""Pure production planning (critical ratio, fitted demand, batches, capacity) and the summary."""

import json

import numpy as np
import pandas as pd
import pytest

from bakery_orchestration.planning.procurement import PROPOSAL_COLUMNS
from bakery_orchestration.planning.production import (
    CAPACITY_CUT,
    MAX_CRITICAL_RATIO,
    MIN_CRITICAL_RATIO,
    NO_MARGIN_QUANTILE,
    PLAN_COLUMNS,
    DemandDistribution,
    critical_ratio,
    expected_margin,
    plan_production,
    quantile_level,
    round_up_to_batches,
)
from bakery_orchestration.planning.summary import build_daily_summary, to_jsonable


def forecast_frame(rows: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    """Forecast rows from {product: (p10, p50, p90)}."""
    return pd.DataFrame(
        [{"product": name, "p10": q[0], "p50": q[1], "p90": q[2]} for name, q in rows.items()]
    )


def product_frame(rows: dict[str, dict]) -> pd.DataFrame:
    """Product master from {product: overrides} on top of a 3.00/1.00/0.00, batch 1 default."""
    defaults = {
        "unit_price": 3.0,
        "unit_cost": 1.0,
        "salvage_value": 0.0,
        "batch_size": 1,
        "oven_minutes_per_batch": 10.0,
    }
    return pd.DataFrame([{"product": name, **defaults, **extra} for name, extra in rows.items()])


@pytest.mark.parametrize(
    ("price", "cost", "salvage", "expected"),
    [
        (3.0, 1.0, 0.0, 2 / 3),
        (2.0, 1.0, 0.5, 2 / 3),
        (4.0, 1.0, 0.0, 0.75),
        (1.0, 0.995, 0.0, MIN_CRITICAL_RATIO),
        (100.0, 0.1, 0.0, MAX_CRITICAL_RATIO),
        (2.0, 1.0, 1.0, MAX_CRITICAL_RATIO),
        (1.0, 1.0, 0.0, 0.0),
        (1.0, 1.5, 0.0, 0.0),
    ],
)
def test_critical_ratio(price, cost, salvage, expected):
    assert critical_ratio(price, cost, salvage) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("quantiles", "level", "expected"),
    [
        ((20, 50, 90), 0.1, 20.0),
        ((20, 50, 90), 0.5, 50.0),
        ((20, 50, 90), 0.9, 90.0),
        ((20, 50, 90), 0.3, 35.0),
        ((20, 50, 90), 0.75, 75.0),
        ((20, 50, 90), 0.95, 95.0),
        ((20, 50, 90), 0.05, 16.25),
        ((20, 50, 90), 0.0, 12.5),
        ((1, 10, 20), 0.05, 0.0),
        ((50, 20, 90), 0.5, 50.0),
        ((-5, 0, 8), 0.5, 0.0),
        ((7, 7, 7), 0.99, 7.0),
    ],
)
def test_quantile_interpolation(quantiles, level, expected):
    demand = DemandDistribution.from_quantiles(*quantiles)
    assert demand.quantile(level) == pytest.approx(expected)


@pytest.mark.parametrize("quantiles", [(20, 50, 90), (1, 10, 20), (0, 0, 5), (7, 7, 7), (3, 4, 30)])
def test_fitted_quantile_function_is_monotone_and_non_negative(quantiles):
    demand = DemandDistribution.from_quantiles(*quantiles)
    values = [demand.quantile(step / 100) for step in range(101)]
    assert min(values) >= 0
    assert values == sorted(values)


def test_non_finite_forecast_is_refused():
    with pytest.raises(ValueError, match="finite"):
        DemandDistribution.from_quantiles(1.0, float("nan"), 3.0)


@pytest.mark.parametrize("quantiles", [(20, 50, 90), (1, 10, 20), (0, 0, 5), (7, 7, 7)])
@pytest.mark.parametrize("quantity", [0, 3, 12.5, 50, 61, 200])
def test_expected_sales_plus_stockout_is_mean_demand(quantiles, quantity):
    demand = DemandDistribution.from_quantiles(*quantiles)
    sales = demand.expected_sales(quantity)
    assert sales + demand.expected_stockout(quantity) == pytest.approx(demand.mean())
    assert sales + demand.expected_waste(quantity) == pytest.approx(quantity)


def test_expectations_match_hand_integration():
    # Uniform 0..100 through P10=10, P50=50, P90=90: E[min(D, 50)] = 37.5, E[(50-D)+] = 12.5.
    demand = DemandDistribution.from_quantiles(10, 50, 90)
    assert demand.mean() == pytest.approx(50.0)
    assert demand.expected_sales(50) == pytest.approx(37.5)
    assert demand.expected_waste(50) == pytest.approx(12.5)
    assert demand.expected_stockout(50) == pytest.approx(12.5)


@pytest.mark.parametrize(
    ("quantity", "batch_size", "batches"),
    [(0, 12, 0), (1, 12, 1), (12, 12, 1), (12.0000000001, 12, 1), (12.5, 12, 2), (37, 1, 37)],
)
def test_round_up_to_batches(quantity, batch_size, batches):
    assert round_up_to_batches(quantity, batch_size) == batches


def test_batch_size_below_one_is_refused():
    with pytest.raises(ValueError, match="batch_size"):
        round_up_to_batches(10, 0)


def test_plan_reads_the_critical_ratio_quantile_and_rounds_up_to_batches():
    plan = plan_production(
        forecast_frame({"baguette": (20, 50, 90)}),
        product_frame({"baguette": {"unit_price": 4.0, "unit_cost": 1.0, "batch_size": 12}}),
    )
    line = plan.iloc[0]
    assert list(plan.columns) == list(PLAN_COLUMNS)
    assert line["critical_ratio"] == pytest.approx(0.75)
    assert line["quantile_used"] == pytest.approx(0.75)
    assert line["forecast_quantity_raw"] == pytest.approx(75.0)
    assert (line["quantity"], line["batches"]) == (84, 7)
    assert line["oven_minutes"] == pytest.approx(70.0)
    assert (line["cut_units"], line["cut_reason"]) == (0, "")


def test_no_margin_product_is_planned_at_p10():
    plan = plan_production(
        forecast_frame({"loss_leader": (20, 50, 90)}),
        product_frame({"loss_leader": {"unit_price": 1.0, "unit_cost": 1.2}}),
    )
    line = plan.iloc[0]
    assert line["critical_ratio"] == 0.0
    assert line["quantile_used"] == NO_MARGIN_QUANTILE
    assert line["quantity"] == 20


def test_expected_columns_are_consistent_with_the_final_quantity():
    plan = plan_production(
        forecast_frame({"croissant": (30, 60, 100)}),
        product_frame({"croissant": {"unit_price": 2.5, "unit_cost": 0.8, "salvage_value": 0.3}}),
    )
    line = plan.iloc[0]
    demand = DemandDistribution.from_quantiles(30, 60, 100)
    assert line["expected_sales"] + line["expected_stockout_units"] == pytest.approx(demand.mean())
    assert line["expected_sales"] + line["expected_waste"] == pytest.approx(line["quantity"])
    expected_margin = 2.5 * line["expected_sales"] + 0.3 * line["expected_waste"]
    assert line["margin"] == pytest.approx(expected_margin - 0.8 * line["quantity"])


def test_capacity_cuts_the_low_margin_product_first():
    # Certain demand of 40 each; same oven time per batch, so only the margin differs.
    plan = plan_production(
        forecast_frame({"premium": (40, 40, 40), "basic": (40, 40, 40)}),
        product_frame(
            {
                "premium": {"unit_price": 5.0, "unit_cost": 1.0, "batch_size": 10},
                "basic": {"unit_price": 1.5, "unit_cost": 1.0, "batch_size": 10},
            }
        ),
        capacity_minutes=50.0,
    ).set_index("product")
    assert plan.loc["premium", "quantity"] == 40
    assert plan.loc["premium", "cut_reason"] == ""
    assert plan.loc["basic", "quantity"] == 10
    assert (plan.loc["basic", "cut_units"], plan.loc["basic", "cut_reason"]) == (30, CAPACITY_CUT)
    assert plan["oven_minutes"].sum() <= 50.0


def test_capacity_weighs_margin_per_oven_minute():
    # "slow" earns more per unit but its batch takes four times the oven time.
    plan = plan_production(
        forecast_frame({"slow": (10, 10, 10), "fast": (10, 10, 10)}),
        product_frame(
            {
                "slow": {"unit_price": 4.0, "batch_size": 10, "oven_minutes_per_batch": 40.0},
                "fast": {"unit_price": 3.0, "batch_size": 10, "oven_minutes_per_batch": 10.0},
            }
        ),
        capacity_minutes=45.0,
    ).set_index("product")
    assert plan.loc["fast", "quantity"] == 10
    assert plan.loc["slow", "quantity"] == 0
    assert plan.loc["slow", "cut_units"] == 10


@pytest.mark.parametrize("capacity", [0.0, 25.0, 1000.0, None])
def test_capacity_never_exceeded_and_quantities_are_non_negative_integers(capacity):
    plan = plan_production(
        forecast_frame({"a": (5, 20, 45), "b": (0, 3, 9), "c": (60, 80, 130)}),
        product_frame({"a": {"batch_size": 6}, "b": {"unit_price": 0.9}, "c": {"batch_size": 4}}),
        capacity_minutes=capacity,
    )
    assert len(plan) == 3
    for column in ("quantity", "batches", "cut_units"):
        assert pd.api.types.is_integer_dtype(plan[column])
        assert (plan[column] >= 0).all()
    if capacity is not None:
        assert plan["oven_minutes"].sum() <= capacity


def test_closed_day_plans_nothing():
    plan = plan_production(
        forecast_frame({"baguette": (20, 50, 90)}), product_frame({"baguette": {}}), closed=True
    )
    assert plan.empty
    assert list(plan.columns) == list(PLAN_COLUMNS)


def test_forecast_product_without_master_data_is_refused():
    with pytest.raises(ValueError, match="missing from the product table"):
        plan_production(forecast_frame({"mystery": (1, 2, 3)}), product_frame({"baguette": {}}))


def test_daily_summary_is_json_and_ranks_risks():
    plan = plan_production(
        forecast_frame({"bread": (50, 80, 120), "cake": (2, 5, 9), "bun": (10, 30, 60)}),
        product_frame({"bread": {"batch_size": 10}, "cake": {"unit_price": 1.1}, "bun": {}}),
    )
    proposals = pd.DataFrame(
        [
            {
                "supplier": "mill",
                "ingredient": "flour",
                "quantity": 25.0,
                "packs": 1,
                "order_date": pd.Timestamp("2024-03-04").date(),
                "expected_delivery_date": pd.Timestamp("2024-03-07").date(),
                "need_date": pd.Timestamp("2024-03-08").date(),
                "shortfall": 12.0,
                "unit_price": 0.5,
                "total_cost": 12.5,
                "reason": "below_safety",
            }
        ]
    )
    summary = build_daily_summary("2024-03-04", plan, proposals, {"wape": 0.18}, top_n=2)
    assert json.loads(json.dumps(summary)) == summary
    assert [line["product"] for line in summary["bake"]] == ["bread", "bun"]
    assert summary["orders"]["today"][0]["supplier"] == "mill"
    assert summary["orders"]["later"] == []
    stockouts = plan.sort_values("expected_stockout_units", ascending=False)["product"]
    assert [risk["product"] for risk in summary["risks"]["stockouts"]] == list(stockouts[:2])
    assert summary["yesterday_accuracy"] == {"wape": 0.18}
    assert summary["closed"] is False


def test_closed_day_summary_is_empty_but_valid():
    closed = plan_production(forecast_frame({}), product_frame({}), closed=True)
    proposals = pd.DataFrame(columns=list(PROPOSAL_COLUMNS))
    summary = build_daily_summary("2024-03-10", closed, proposals)
    assert summary["closed"] is True
    assert summary["bake"] == []
    assert summary["bake_totals"]["units"] == 0
    assert json.loads(json.dumps(summary)) == summary


def test_to_jsonable_unboxes_numpy_and_dates():
    value = {"n": pd.Series([3]).iloc[0], "d": pd.Timestamp("2024-01-02"), "x": float("nan")}
    assert to_jsonable(value) == {"n": 3, "d": "2024-01-02", "x": None}


def one_batch_at_a_time(forecast: pd.DataFrame, products: pd.DataFrame, capacity: float) -> dict:
    """The documented rule, cut batch by batch: each line first to what the oven alone holds,
    then the last batch of least expected margin per oven minute (ties: product) until it fits."""
    master = products.set_index("product")
    batches, value = {}, {}
    for row in forecast.itertuples(index=False):
        item = master.loc[row.product]
        demand = DemandDistribution.from_quantiles(row.p10, row.p50, row.p90)
        level = quantile_level(critical_ratio(item.unit_price, item.unit_cost, item.salvage_value))
        holds = int(capacity // item.oven_minutes_per_batch)
        batches[row.product] = min(
            round_up_to_batches(demand.quantile(level), item.batch_size), holds
        )

        def value_of(n, demand=demand, item=item):
            margin = [
                expected_margin(
                    demand, k * item.batch_size, item.unit_price, item.unit_cost, item.salvage_value
                )
                for k in (n, n - 1)
            ]
            return (margin[0] - margin[1]) / item.oven_minutes_per_batch

        value[row.product] = value_of
    minutes = master["oven_minutes_per_batch"]
    while sum(batches[p] * minutes[p] for p in batches) > capacity + 1e-9:
        victim = min(
            (p for p in batches if batches[p] > 0), key=lambda p: (value[p](batches[p]), p)
        )
        batches[victim] -= 1
    return batches


@pytest.mark.parametrize("seed", range(6))
def test_capacity_cut_equals_cutting_one_batch_at_a_time(seed):
    rng = np.random.default_rng(seed)
    names = [f"p{i}" for i in range(6)]
    p50 = rng.uniform(0, 80, len(names))
    forecast = pd.DataFrame(
        {"product": names, "p10": p50 * 0.6, "p50": p50, "p90": p50 * rng.uniform(1.1, 2.0)}
    )
    products = pd.DataFrame(
        {
            "product": names,
            "unit_price": rng.uniform(1, 5, len(names)),
            "unit_cost": rng.uniform(0.2, 1.5, len(names)),
            "salvage_value": rng.uniform(0, 0.3, len(names)),
            "batch_size": rng.integers(1, 12, len(names)),
            "oven_minutes_per_batch": rng.choice([5.0, 10.0, 12.5, 30.0], len(names)),
        }
    )
    capacity = float(rng.uniform(20, 200))
    plan = plan_production(forecast, products, capacity_minutes=capacity).set_index("product")
    assert plan["batches"].to_dict() == one_batch_at_a_time(forecast, products, capacity)


def test_a_line_larger_than_the_oven_is_first_cut_to_what_the_oven_holds():
    # "big" alone needs 110 of 105 minutes; it keeps 10 batches (100 min) and "small" fits
    # beside it, though its batch is worth less per minute than big's 11th.
    plan = plan_production(
        forecast_frame({"big": (11, 11, 11), "small": (1, 1, 1)}),
        product_frame({"big": {"unit_price": 9.0}, "small": {"oven_minutes_per_batch": 5.0}}),
        capacity_minutes=105.0,
    ).set_index("product")
    assert plan["batches"].to_dict() == {"big": 10, "small": 1}
    assert plan.loc["big", "cut_units"] == 1


def test_huge_forecast_is_cut_to_capacity_without_counting_units():
    # Two billion units, batch of one: cutting one batch per step would take hours.
    plan = plan_production(
        forecast_frame({"cookie": (2e9, 2e9, 2e9), "bread": (30, 30, 30)}),
        product_frame({"cookie": {}, "bread": {"unit_price": 6.0}}),
        capacity_minutes=600.0,
    ).set_index("product")
    assert plan["oven_minutes"].sum() == 600.0
    assert plan.loc["bread", "batches"] == 30
    assert plan.loc["cookie", "batches"] == 30
    assert plan.loc["cookie", "cut_units"] == 2_000_000_000 - 30


def test_forecast_beyond_integer_range_is_refused():
    with pytest.raises(ValueError, match="above 2147483647 units"):
        plan_production(
            forecast_frame({"cookie": (1e306, 1e306, 1e306)}), product_frame({"cookie": {}})
        )


def test_expected_sales_at_many_quantities_match_one_at_a_time():
    demand = DemandDistribution.from_quantiles(2.0, 10.0, 30.0)
    quantities = np.array([0.0, 0.5, 2.0, 7.5, 10.0, 22.0, 30.0, 33.0, 80.0])
    expected = [demand.expected_sales(q) for q in quantities]
    assert demand.expected_sales_many(quantities) == pytest.approx(expected, rel=1e-12)
