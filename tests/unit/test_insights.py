"""Insight rules on small hand-made validation and plan frames."""

import pandas as pd

from bakery_orchestration.insights.rules import derive_insights

VALIDATION = pd.DataFrame(
    {
        "product_id": ["baguette", "croissant", "eclair", "cookie"],
        "actual": [100.0, 40.0, 10.0, None],
        "forecast": [60.0, 38.0, 9.0, 5.0],
        "p10": [50.0, 30.0, 6.0, 2.0],
        "p90": [70.0, 46.0, 12.0, 8.0],
        "abs_error": [40.0, 2.0, 1.0, None],
    }
)
PLAN = pd.DataFrame(
    {
        "product_id": ["baguette", "brioche"],
        "quantity": [100, 12],
        "expected_sales": [80.0, 6.0],
        "expected_stockout_units": [20.0, 0.0],
        "expected_waste": [2.0, 6.0],
    }
)


def test_each_rule_fires_on_its_case_and_only_there():
    rows = derive_insights(VALIDATION, PLAN)
    kinds = list(zip(rows["kind"], rows["product_id"], strict=True))
    assert kinds == [
        ("forecast_miss", "baguette"),
        ("demand_anomaly", "baguette"),
        ("stockout_risk", "baguette"),
        ("waste_risk", "brioche"),
    ]
    assert list(rows["rank"]) == [1, 2, 3, 4]
    miss = rows.iloc[0]
    assert miss["value"] == 40.0
    assert "sold 100, forecast 60" in miss["message"]
    assert rows.iloc[2]["message"].endswith("(20% of demand)")


def test_no_data_gives_no_insights():
    empty_validation = VALIDATION.iloc[0:0]
    rows = derive_insights(empty_validation, PLAN.iloc[0:0])
    assert len(rows) == 0
    assert list(rows.columns[:5]) == ["kind", "severity", "product_id", "value", "message"]
