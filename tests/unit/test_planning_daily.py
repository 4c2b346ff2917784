"""The per-partition planning glue (planning/daily.py) and the blocking check rules
(planning/checks.py), without Dagster or a database."""

from datetime import date, timedelta

import pandas as pd
import pytest

from bakery_orchestration.planning import checks, daily

MONDAY = date(2026, 3, 2)
PRODUCTS = pd.DataFrame(
    {
        "product": ["bread", "cake"],
        "unit_price": [2.0, 10.0],
        "unit_cost": [0.5, 3.0],
        "salvage_value": [0.0, 0.0],
        "batch_size": [10, 2],
        "oven_minutes_per_batch": [30.0, 40.0],
    }
)


def _forecast(day: date, method: str = "model", p50: float = 40.0) -> pd.DataFrame:
    rows = []
    for h in range(7):
        for product in ("bread", "cake", "mystery"):
            target = day + timedelta(days=h)
            rows.append((product, target, h + 1, p50 * 0.8, p50 + h, p50 * 1.2, method))
    return pd.DataFrame(
        rows, columns=["product_id", "target_date", "horizon", "p10", "p50", "p90", "method"]
    )


def test_plan_day_plans_known_products_in_whole_batches_and_traces_the_forecast():
    plan = daily.plan_day(_forecast(MONDAY), PRODUCTS, MONDAY, capacity_minutes=None)
    rows = plan.rows.set_index("product_id")
    assert plan.unplanned_products == ["mystery"] and not plan.closed
    assert list(rows.index) == ["bread", "cake"]
    assert (rows["quantity"] % rows["batch_size"] == 0).all()
    assert rows.loc["bread", "p50"] == 40.0 and rows.loc["bread", "forecast_method"] == "model"
    assert checks.plan_problems(plan.rows, None) == []


@pytest.mark.parametrize(
    ("closed_weekdays", "method", "closed"),
    [((0,), "model", True), ((), "closed", True), ((6,), "model", False)],
)
def test_closed_day_plans_nothing(closed_weekdays, method, closed):
    plan = daily.plan_day(_forecast(MONDAY, method), PRODUCTS, MONDAY, 600.0, closed_weekdays)
    assert plan.closed is closed
    assert plan.rows.empty is closed
    assert checks.closed_day_problems(plan.rows, plan.closed) == []


def test_capacity_cut_keeps_the_plan_within_the_oven():
    plan = daily.plan_day(_forecast(MONDAY, p50=200.0), PRODUCTS, MONDAY, capacity_minutes=300.0)
    assert plan.rows["oven_minutes"].sum() <= 300.0
    assert plan.rows["cut_units"].sum() > 0
    assert checks.plan_problems(plan.rows, 300.0) == []


def test_plan_problems_name_fractional_quantities_and_overbooked_ovens():
    rows = pd.DataFrame(
        {"product_id": ["a", "b"], "quantity": [7, 2.5], "batch_size": [5, 1]}
    ).assign(oven_minutes=[100.0, 50.0])
    problems = checks.plan_problems(rows, 120.0)
    assert problems == [
        "a: 7 is not a multiple of batch 5",
        "b: quantity 2.5 is not a whole number >= 0",
        "oven minutes 150 exceed the capacity of 120",
    ]


def test_production_horizon_repeats_the_forecast_week_for_the_second_week():
    plan = daily.plan_day(_forecast(MONDAY), PRODUCTS, MONDAY, capacity_minutes=None)
    horizon = daily.production_horizon(plan.rows, _forecast(MONDAY), MONDAY)
    bread = horizon[horizon["product"] == "bread"].set_index("date")["quantity"]
    assert len(bread) == 14
    assert bread[MONDAY] == plan.rows.set_index("product_id").loc["bread", "quantity"]
    assert bread[MONDAY + timedelta(days=1)] == 41.0
    assert bread[MONDAY + timedelta(days=8)] == 41.0  # same weekday, one week earlier
    assert bread[MONDAY + timedelta(days=13)] == 46.0


def test_order_problems_catch_moq_and_pack_violations():
    suppliers = pd.DataFrame(
        {
            "supplier": ["mill"],
            "ingredient": ["flour"],
            "min_order_qty": [100.0],
            "pack_size": [25.0],
        }
    )
    orders = pd.DataFrame({"id": [1, 2], "supplier_id": ["mill", "mill"]})
    lines = pd.DataFrame(
        {
            "purchase_order_id": [1, 2],
            "ingredient_id": ["flour", "flour"],
            "quantity": [125.0, 60.0],
            "packs": [5, 2],
        }
    )
    problems = checks.order_problems(lines, suppliers, orders)
    assert problems == [
        "mill/flour: 60 is below the MOQ 100",
        "mill/flour: 60 is not 2 packs of 25",
    ]
