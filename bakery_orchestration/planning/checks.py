"""Blocking checks of the planning outputs: what must never leave the bakery's systems.

Each helper returns the list of problems (empty when the check passes), one readable line each;
the assets turn them into ERROR-severity ``AssetCheckResult``s.
"""

import dagster as dg
import pandas as pd

PLAN_CHECK = "plan_feasible"
CLOSED_CHECK = "no_plan_when_closed"
ORDER_CHECK = "orders_respect_supplier_terms"
_TOLERANCE = 1e-6


def plan_problems(plan_rows: pd.DataFrame, capacity_minutes: float | None) -> list[str]:
    """Quantities are non-negative whole batches and the plan fits the oven capacity."""
    problems = []
    for row in plan_rows.itertuples(index=False):
        quantity = float(row.quantity)
        if quantity < 0 or quantity != int(quantity):
            problems.append(f"{row.product_id}: quantity {quantity:g} is not a whole number >= 0")
        elif int(quantity) % int(row.batch_size):
            problems.append(
                f"{row.product_id}: {int(quantity)} is not a multiple of batch {row.batch_size}"
            )
    used = float(plan_rows["oven_minutes"].sum()) if len(plan_rows) else 0.0
    if capacity_minutes is not None and used > capacity_minutes + _TOLERANCE:
        problems.append(f"oven minutes {used:g} exceed the capacity of {capacity_minutes:g}")
    return problems


def closed_day_problems(plan_rows: pd.DataFrame, closed: bool) -> list[str]:
    """A closed day has no plan lines."""
    if closed and len(plan_rows):
        return [f"closed day with {len(plan_rows)} plan lines"]
    return []


def order_problems(lines: pd.DataFrame, suppliers: pd.DataFrame, orders: pd.DataFrame) -> list:
    """Every purchase-order line is at least the supplier's MOQ and a whole number of packs."""
    if lines.empty:
        return []
    terms = suppliers.set_index(["supplier", "ingredient"])
    supplier_of = dict(zip(orders["id"], orders["supplier_id"], strict=True))
    problems = []
    for line in lines.itertuples(index=False):
        supplier = supplier_of[line.purchase_order_id]
        term = terms.loc[(supplier, line.ingredient_id)]
        packs = line.quantity / float(term["pack_size"])
        where = f"{supplier}/{line.ingredient_id}: {line.quantity:g}"
        if line.quantity < float(term["min_order_qty"]) - _TOLERANCE:
            problems.append(f"{where} is below the MOQ {term['min_order_qty']:g}")
        if abs(packs - round(packs)) > _TOLERANCE or round(packs) != line.packs:
            problems.append(f"{where} is not {line.packs} packs of {term['pack_size']:g}")
    return problems


def check_result(name: str, problems: list[str], **metadata) -> dg.AssetCheckResult:
    """A blocking ERROR result: passed when there are no problems, else the first few."""
    return dg.AssetCheckResult(
        check_name=name,
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"problems": len(problems), **metadata},
        description="; ".join(problems[:5]) if problems else None,
    )


def spec(name: str, asset: str, description: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name, asset=asset, blocking=True, description=description)
