"""Yesterday's forecast against yesterday's sales: pure scoring, no Dagster, no SQL.

A forecast line has an actual when the day's sales were received: a product absent from them
sold 0. Lines whose product had quarantined rows have no trustworthy actual and are not scored;
a day without any sales (closed, or not received) scores nothing. Lines forecast for a closed
weekday are never scored. Coverage = scored lines / forecast lines, in percent (None when
there was no line to score: nothing was measured).

The seasonal-naive forecast (the product's sales on the same weekday a week before, 0 for a
product that did not sell then) is scored on the same lines, so the accuracy rules
(``validation/rules.py``) can tell how much the model adds over copying last week. Unknown
(None) when the tenant has no sales a week, or two weeks, before.
"""

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from bakery_orchestration.core.metrics import forecast_metrics, interval_coverage


@dataclass(frozen=True)
class Validation:
    products: pd.DataFrame
    summary: dict


def score_day(
    forecast: pd.DataFrame,
    sales: pd.DataFrame,
    *,
    validated_date: date,
    quarantined_products: set[str] = frozenset(),
    naive: pd.Series | None = None,
) -> Validation:
    """``forecast``: product_id, target_date, p10, p50, p90, method (any horizon); ``sales``:
    product_id, quantity for ``validated_date``; ``naive``: the seasonal-naive forecast per
    product (None when unknown)."""
    lines = forecast[
        (pd.to_datetime(forecast["target_date"]).dt.date == validated_date)
        & (forecast["method"] != "closed")
    ]
    actual = sales.groupby("product_id")["quantity"].sum()
    has_sales = not sales.empty
    products = pd.DataFrame(
        {
            "product_id": lines["product_id"].to_numpy(),
            "forecast": lines["p50"].to_numpy(float),
            "p10": lines["p10"].to_numpy(float),
            "p90": lines["p90"].to_numpy(float),
        }
    )
    known = has_sales & ~products["product_id"].isin(quarantined_products)
    products["actual"] = np.where(
        known, products["product_id"].map(actual).fillna(0.0).to_numpy(float), np.nan
    )
    products["abs_error"] = (products["actual"] - products["forecast"]).abs()
    products["ape"] = np.where(
        products["actual"] > 0, 100 * products["abs_error"] / products["actual"], np.nan
    )
    inside = (products["actual"] >= products["p10"]) & (products["actual"] <= products["p90"])
    products["within_interval"] = inside.where(known, None)
    summary = _summary(products, known, validated_date)
    if summary["scored_lines"]:
        summary.update(_volume_sums(products[known], naive))
    return Validation(products, summary)


def _volume_sums(scored: pd.DataFrame, naive: pd.Series | None) -> dict:
    actual = float(scored["actual"].sum())
    sums = {"actual_units": actual, "abs_error_units": float(scored["abs_error"].sum())}
    if naive is not None:
        guess = scored["product_id"].map(naive).fillna(0.0).to_numpy(float)
        error = float(np.abs(scored["actual"].to_numpy(float) - guess).sum())
        sums["naive_abs_error_units"] = error
        sums["naive_wape"] = 100.0 * error / actual if actual > 0 else None
    return sums


def _summary(products: pd.DataFrame, known: pd.Series, day: date) -> dict:
    scored = products[known]
    summary = {
        "validated_date": day,
        "forecast_lines": len(products),
        "scored_lines": len(scored),
        "coverage": 100.0 * len(scored) / len(products) if len(products) else None,
    }
    if scored.empty:
        reason = "no forecast for this date" if products.empty else "no sales received"
        return {**summary, "note": reason}
    metrics = forecast_metrics(scored["actual"], scored["forecast"]).as_dict()
    metrics.pop("points", None)
    summary.update(metrics)
    summary["interval_coverage"] = interval_coverage(scored["actual"], scored["p10"], scored["p90"])
    return summary
