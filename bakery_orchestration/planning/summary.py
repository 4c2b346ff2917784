"""The owner's daily summary: what to bake, what to order, how yesterday went, what may go wrong.

Pure helpers that turn the production plan (production.PLAN_COLUMNS) and the purchase
proposals (procurement.PROPOSAL_COLUMNS) into one JSON-serialisable dict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from bakery_orchestration.planning.inventory import as_date
from bakery_orchestration.planning.procurement import (
    REASON_LATE,
    REASON_NO_SUPPLIER,
    group_purchase_orders,
)

DEFAULT_TOP_N = 5
_DECIMALS = 2


def bake_lines(plan: pd.DataFrame, top_n: int = DEFAULT_TOP_N) -> list[dict]:
    """The largest lines to bake, by quantity, with any capacity cut."""
    baked = plan[plan["quantity"] > 0].sort_values(["quantity", "product"], ascending=[False, True])
    columns = ["product", "quantity", "batches", "cut_units", "cut_reason"]
    return [to_jsonable(row) for row in baked[columns].head(top_n).to_dict("records")]


def bake_totals(plan: pd.DataFrame) -> dict:
    """Units, batches, oven minutes and expected margin of the whole plan."""
    return to_jsonable(
        {
            "products": int((plan["quantity"] > 0).sum()),
            "units": int(plan["quantity"].sum()),
            "batches": int(plan["batches"].sum()),
            "oven_minutes": float(plan["oven_minutes"].sum()),
            "expected_margin": float(plan["margin"].sum()),
            "units_cut_for_capacity": int(plan["cut_units"].sum()),
        }
    )


def orders_to_place(proposals: pd.DataFrame, today) -> dict:
    """Purchase orders due today or overdue, and those that can wait, grouped per supplier."""
    today = as_date(today)
    orders = group_purchase_orders(proposals)
    return {
        "today": [order for order in orders if as_date(order["order_date"]) <= today],
        "later": [order for order in orders if as_date(order["order_date"]) > today],
    }


def top_risks(plan: pd.DataFrame, proposals: pd.DataFrame, top_n: int = DEFAULT_TOP_N) -> dict:
    """Likely stock-outs and waste by product, and ingredients that will run short."""
    return {
        "stockouts": _largest(plan, "expected_stockout_units", top_n),
        "waste": _largest(plan, "expected_waste", top_n),
        "late_ingredients": _ingredients_with(proposals, REASON_LATE),
        "unsupplied_ingredients": _ingredients_with(proposals, REASON_NO_SUPPLIER),
    }


def build_daily_summary(
    summary_date,
    plan: pd.DataFrame,
    proposals: pd.DataFrame,
    accuracy: Mapping | None = None,
    top_n: int = DEFAULT_TOP_N,
) -> dict:
    """The owner's summary for `summary_date`; `accuracy` is yesterday's forecast accuracy.

    An empty plan means the bakery is closed that day.
    """
    return {
        "date": as_date(summary_date).isoformat(),
        "closed": plan.empty,
        "bake": bake_lines(plan, top_n),
        "bake_totals": bake_totals(plan),
        "orders": orders_to_place(proposals, summary_date),
        "yesterday_accuracy": to_jsonable(dict(accuracy)) if accuracy is not None else None,
        "risks": top_risks(plan, proposals, top_n),
    }


def _largest(plan: pd.DataFrame, column: str, top_n: int) -> list[dict]:
    """Products with the largest positive `column`, rounded for reading."""
    risky = plan[plan[column] > 0].sort_values([column, "product"], ascending=[False, True])
    return [
        {"product": row["product"], column: round(float(row[column]), _DECIMALS)}
        for row in risky.head(top_n).to_dict("records")
    ]


def _ingredients_with(proposals: pd.DataFrame, reason: str) -> list[dict]:
    """Ingredients whose proposal carries `reason`, with the day they run short."""
    flagged = proposals[proposals["reason"] == reason].sort_values(["need_date", "ingredient"])
    return [
        {"ingredient": row["ingredient"], "need_date": as_date(row["need_date"]).isoformat()}
        for row in flagged.to_dict("records")
    ]


def to_jsonable(value):
    """Plain-Python copy of `value`: numpy unboxed, dates ISO, NaN as None, floats rounded."""
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, date):
        return as_date(value).isoformat()
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, _DECIMALS)
    return value
