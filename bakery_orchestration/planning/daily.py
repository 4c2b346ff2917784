"""One partition's planning, from stored rows to rows to store: the glue between the forecast
table, the pure planning functions and the planning tables. No Dagster, no SQL.

Stored rows name things ``product_id``/``ingredient_id``/``supplier_id``; the planning functions
use ``product``/``ingredient``/``supplier``.
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from bakery_orchestration.planning.inventory import (
    as_date,
    planned_production_horizon,
    project_inventory,
)
from bakery_orchestration.planning.procurement import (
    REASON_NO_SUPPLIER,
    group_purchase_orders,
    propose_orders,
)
from bakery_orchestration.planning.production import PLAN_COLUMNS, plan_production

PROJECTION_DAYS = 14
CLOSED_METHOD = "closed"
PO_NAMESPACE = uuid.UUID("5b0f3c1e-6a57-4b7e-9a43-0c1f6f1d2b7a")


@dataclass(frozen=True)
class DayPlan:
    rows: pd.DataFrame
    """One row per planned product, as stored in production_plans."""
    closed: bool
    capacity_minutes: float | None
    unplanned_products: list[str]
    """Forecast products without product master data (not planned)."""


def day_forecast(forecast_rows: pd.DataFrame, day: date) -> pd.DataFrame:
    """The horizon-1 lines (the partition date itself): product, p10, p50, p90, method."""
    today = forecast_rows[pd.to_datetime(forecast_rows["target_date"]).dt.date == day]
    return today.rename(columns={"product_id": "product"})[
        ["product", "p10", "p50", "p90", "method"]
    ]


def is_closed(today: pd.DataFrame, day: date, closed_weekdays) -> bool:
    """Closed when the tenant closes on this weekday or every forecast line says closed."""
    all_closed = len(today) > 0 and bool((today["method"] == CLOSED_METHOD).all())
    return day.weekday() in set(closed_weekdays) or all_closed


def plan_day(
    forecast_rows: pd.DataFrame,
    products: pd.DataFrame,
    day: date,
    capacity_minutes: float | None,
    closed_weekdays=(),
) -> DayPlan:
    """Plan the partition date at the newsvendor quantile of its forecast, within capacity."""
    today = day_forecast(forecast_rows, day)
    closed = is_closed(today, day, closed_weekdays)
    unplanned = sorted(set(today["product"]) - set(products["product"]))
    today = today[today["product"].isin(products["product"])]
    plan = plan_production(today, products, capacity_minutes=capacity_minutes, closed=closed)
    rows = plan.merge(today, on="product", how="left").merge(
        products[["product", "batch_size"]], on="product", how="left"
    )
    rows = rows.rename(columns={"product": "product_id", "method": "forecast_method"}).assign(
        capacity_minutes=capacity_minutes
    )
    for column in ("quantity", "batches", "cut_units", "batch_size"):
        rows[column] = rows[column].astype(int)
    return DayPlan(rows, closed, capacity_minutes, unplanned)


def plan_frame(plan_rows: pd.DataFrame) -> pd.DataFrame:
    """Stored plan rows back in plan_production's shape (PLAN_COLUMNS)."""
    if plan_rows.empty:
        return pd.DataFrame({column: [] for column in PLAN_COLUMNS})
    frame = plan_rows.rename(columns={"product_id": "product"})
    return frame.assign(cut_reason=frame["cut_reason"].fillna(""))


def production_horizon(
    plan_rows: pd.DataFrame, forecast_rows: pd.DataFrame, day: date, days: int = PROJECTION_DAYS
) -> pd.DataFrame:
    """date, product, quantity: the day's plan, then P50 for the forecast week, then the P50 of
    the same weekday one week earlier for the days beyond the forecast."""
    forecast = forecast_rows.rename(columns={"product_id": "product", "target_date": "date"})
    forecast = forecast.assign(date=pd.to_datetime(forecast["date"]).dt.date)
    forecast = forecast[forecast["method"] != CLOSED_METHOD][["date", "product", "p50"]]
    horizon_end = day + timedelta(days=days - 1)
    extended = [forecast]
    while (latest := max(extended[-1]["date"], default=horizon_end)) < horizon_end:
        later = extended[-1].assign(date=extended[-1]["date"] + timedelta(days=7))
        extended.append(later[later["date"] > latest])
    combined = pd.concat(extended, ignore_index=True)
    combined = combined[combined["date"] <= horizon_end]
    today_plan = plan_frame(plan_rows)[["product", "quantity"]]
    return planned_production_horizon(today_plan, day, combined)


def project_day(
    day: date,
    plan_rows: pd.DataFrame,
    forecast_rows: pd.DataFrame,
    master: dict[str, pd.DataFrame],
    open_orders: pd.DataFrame,
) -> pd.DataFrame:
    """Ingredient projection for PROJECTION_DAYS days from ``day``, as stored."""
    projection = project_inventory(
        day,
        stock=master["stock"],
        recipes=master["recipes"],
        planned_production=production_horizon(plan_rows, forecast_rows, day),
        open_orders=open_orders,
        ingredients=master["ingredients"],
        days=PROJECTION_DAYS,
    )
    units = master["ingredients"].set_index("ingredient")["unit"]
    return projection.assign(unit=projection["ingredient"].map(units)).rename(
        columns={"date": "projection_date", "ingredient": "ingredient_id"}
    )


@dataclass(frozen=True)
class Procurement:
    proposals: pd.DataFrame
    """One row per ingredient to buy (or flag), as stored in procurement_proposals."""
    orders: pd.DataFrame
    lines: pd.DataFrame
    purchase_orders: list[dict]
    """group_purchase_orders's JSON-ready orders, with their po_number."""


def procure_day(
    projection_rows: pd.DataFrame, suppliers: pd.DataFrame, day: date, tenant_id: uuid.UUID
) -> Procurement:
    """Proposals for the stored projection and the purchase orders they group into."""
    projection = projection_rows.rename(
        columns={"projection_date": "date", "ingredient_id": "ingredient"}
    )
    proposals = propose_orders(projection, suppliers, day)
    purchase_orders = group_purchase_orders(proposals)
    numbers = {}
    for n, order in enumerate(purchase_orders, start=1):
        order["po_number"] = f"PO-{day:%Y%m%d}-{n:02d}"
        numbers[(order["supplier"], order["order_date"])] = order["po_number"]
    orders, lines = _order_rows(purchase_orders, tenant_id)
    stored = proposals.rename(columns={"ingredient": "ingredient_id", "supplier": "supplier_id"})
    stored["po_number"] = [
        None
        if row.reason == REASON_NO_SUPPLIER
        else numbers[(row.supplier, as_date(row.order_date).isoformat())]
        for row in proposals.itertuples(index=False)
    ]
    return Procurement(stored, orders, lines, purchase_orders)


def _order_rows(purchase_orders: list[dict], tenant_id: uuid.UUID):
    orders, lines = [], []
    for order in purchase_orders:
        po_id = uuid.uuid5(PO_NAMESPACE, f"{tenant_id}:{order['po_number']}")
        deliveries = [line["expected_delivery_date"] for line in order["lines"]]
        orders.append(
            {
                "id": po_id,
                "po_number": order["po_number"],
                "supplier_id": order["supplier"],
                "order_date": date.fromisoformat(order["order_date"]),
                "expected_delivery_date": date.fromisoformat(min(deliveries)),
                "status": "open",
                "source": "procurement",
                "late": order["late"],
                "total_cost": order["total_cost"],
            }
        )
        for line in order["lines"]:
            lines.append(
                {
                    "purchase_order_id": po_id,
                    "ingredient_id": line["ingredient"],
                    "quantity": line["quantity"],
                    "packs": line["packs"],
                    "unit_price": line["unit_price"],
                    "total_cost": line["total_cost"],
                    "expected_delivery_date": date.fromisoformat(line["expected_delivery_date"]),
                    "need_date": date.fromisoformat(line["need_date"]),
                    "reason": line["reason"],
                }
            )
    return pd.DataFrame(orders), pd.DataFrame(lines)


def proposals_frame(proposal_rows: pd.DataFrame) -> pd.DataFrame:
    """Stored proposal rows back in propose_orders's shape."""
    return proposal_rows.rename(columns={"ingredient_id": "ingredient", "supplier_id": "supplier"})
