"""Plain-language insights for the owner, derived from the day's validation and plan.

Rules (each yields at most a few lines, most important first):
- ``forecast_miss``: the products with the largest absolute error yesterday (error >= 5 units
  and >= 30 % of the actual), with the error in units and percent.
- ``demand_anomaly``: yesterday's sales outside the forecast's P10-P90 band by more than half the
  band's width: an unusual day worth a look (an event, a stock-out, a data problem).
- ``stockout_risk``: today's plan leaves >= 10 % of expected demand unserved for a product.
- ``waste_risk``: today's plan expects >= 25 % of a product's bake to be left over.
"""

from dataclasses import asdict, dataclass

import pandas as pd

TOP = 3


@dataclass(frozen=True)
class Insight:
    kind: str
    severity: str  # info | warning
    product_id: str
    value: float
    message: str


def forecast_misses(validation: pd.DataFrame) -> list[Insight]:
    scored = validation.dropna(subset=["actual"])
    misses = scored[(scored["abs_error"] >= 5) & (scored["abs_error"] >= 0.3 * scored["actual"])]
    return [
        Insight(
            "forecast_miss",
            "warning",
            row.product_id,
            float(row.abs_error),
            f"{row.product_id}: sold {row.actual:.0f}, forecast {row.forecast:.0f} "
            f"(off by {row.abs_error:.0f} units)",
        )
        for row in misses.nlargest(TOP, "abs_error").itertuples()
    ]


def demand_anomalies(validation: pd.DataFrame) -> list[Insight]:
    scored = validation.dropna(subset=["actual"])
    width = (scored["p90"] - scored["p10"]).clip(lower=1.0)
    excess = (scored["actual"] - scored["p90"]).clip(lower=0) + (
        scored["p10"] - scored["actual"]
    ).clip(lower=0)
    unusual = scored.assign(excess=excess / width)[excess / width > 0.5]
    return [
        Insight(
            "demand_anomaly",
            "info",
            row.product_id,
            float(row.actual),
            f"{row.product_id}: unusual day, sold {row.actual:.0f} against an expected "
            f"{row.p10:.0f}-{row.p90:.0f}",
        )
        for row in unusual.nlargest(TOP, "excess").itertuples()
    ]


def plan_risks(plan: pd.DataFrame) -> list[Insight]:
    if plan.empty:
        return []
    demand = plan["expected_sales"] + plan["expected_stockout_units"]
    short = plan.assign(share=plan["expected_stockout_units"] / demand.where(demand > 0))
    leftover = plan.assign(
        share=plan["expected_waste"] / plan["quantity"].where(plan["quantity"] > 0)
    )
    risks = [
        Insight(
            "stockout_risk",
            "warning",
            row.product_id,
            float(row.expected_stockout_units),
            f"{row.product_id}: may sell out, about {row.expected_stockout_units:.0f} customers "
            f"unserved ({row.share:.0%} of demand)",
        )
        for row in short[short["share"] >= 0.10].nlargest(TOP, "share").itertuples()
    ]
    risks += [
        Insight(
            "waste_risk",
            "info",
            row.product_id,
            float(row.expected_waste),
            f"{row.product_id}: about {row.expected_waste:.0f} of {row.quantity} likely left over",
        )
        for row in leftover[leftover["share"] >= 0.25].nlargest(TOP, "share").itertuples()
    ]
    return risks


def derive_insights(validation: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """All insights as rows (rank, kind, severity, product_id, value, message)."""
    found = forecast_misses(validation) + demand_anomalies(validation) + plan_risks(plan)
    frame = pd.DataFrame([asdict(i) for i in found], columns=list(Insight.__dataclass_fields__))
    return frame.assign(rank=range(1, len(frame) + 1))
