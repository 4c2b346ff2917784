"""The replay's bakery: one tenant in a fresh orchestration database and Dagster instance, with
the file's products, neutral planning master data and the sales history up to the day before
the first morning's sales, set up the way ``bakery-orch demo`` sets up its generated bakeries.

Neutral defaults, because a sales file says nothing else: every product sells at 1.00 and costs
0.30 (the demo catalogue's typical cost share), bakes in batches of one, keeps one day and
salvages nothing; every unit takes 0.1 kg of one generic ingredient from one wholesaler that
delivers any day after one day, with three days of stock on hand; no oven limit; no closed
weekdays (a day the file shows nothing sold lands as an empty file).
"""

from datetime import date, timedelta

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from bakery_orchestration.demo.planning_data import SUPPLIER_COLUMNS
from bakery_orchestration.instance import register_tenant_partitions
from bakery_orchestration.planning import master_data
from bakery_orchestration.replay.inputs import history_before
from bakery_orchestration.sales.history import store_sales_history
from bakery_orchestration.tenants import registry

UNIT_PRICE = 1.0
UNIT_COST = 0.3
INGREDIENT = "ingredients"
KG_PER_UNIT = 0.1
STOCK_DAYS = 3.0


def neutral_products(products: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product_id": products,
            "name": products,
            "unit_price": UNIT_PRICE,
            "unit_cost": UNIT_COST,
            "salvage_value": 0.0,
            "shelf_life_days": 1,
            "batch_size": 1,
            "oven_minutes_per_batch": 0.0,
        }
    )


def neutral_planning_data(products: list[str], units_per_day: float) -> dict[str, pd.DataFrame]:
    """Each planning master-data kind as ``bakery-orch planning load`` would read it."""
    usage = round(units_per_day * KG_PER_UNIT, 2)
    return {
        "ingredients": pd.DataFrame(
            [(INGREDIENT, "Generic ingredients", "kg", None, usage)],
            columns=["ingredient_id", "name", "unit", "shelf_life_days", "safety_stock"],
        ).astype({"shelf_life_days": "object"}),
        "recipes": pd.DataFrame(
            {"product_id": products, "ingredient_id": INGREDIENT, "quantity_per_unit": KG_PER_UNIT}
        ),
        "suppliers": pd.DataFrame(
            [
                (
                    "wholesaler",
                    "Wholesaler",
                    INGREDIENT,
                    1,
                    0.0,
                    1.0,
                    "mon,tue,wed,thu,fri,sat,sun",
                    1.0,
                )
            ],
            columns=list(SUPPLIER_COLUMNS),
        ),
        "stock": pd.DataFrame(
            [(INGREDIENT, round(usage * STOCK_DAYS, 2), None)],
            columns=["ingredient_id", "quantity", "expiry_date"],
        ),
    }


def _units_per_day(history: pd.DataFrame, days: int = 28) -> float:
    """Mean units sold per day over the last ``days`` days of the history."""
    if history.empty:
        return 0.0
    last = history["date"].max()
    recent = history[history["date"] > last - timedelta(days=days)]
    return float(recent["quantity"].sum()) / days


def create_tenant(
    engine: sa.Engine,
    instance: dg.DagsterInstance,
    slug: str,
    country: str | None,
    sales: pd.DataFrame,
    start: date,
) -> registry.Tenant:
    """Register the tenant and its products; import the sales dated before ``start`` - 1 (the
    first morning loads the sales of ``start`` - 1 from their landing file)."""
    tenant = registry.add_tenant(engine, slug, f"Replay of {slug}", country=country)
    products = sorted(sales["product"].unique())
    registry.upsert_products(engine, slug, neutral_products(products))
    history = history_before(sales, start - timedelta(days=1))
    planning = neutral_planning_data(products, _units_per_day(history))
    for kind, frame in planning.items():
        master_data.replace(engine, slug, kind, frame, source=f"replay neutral {kind}")
    store_sales_history(engine, tenant.id, history)
    register_tenant_partitions(instance, [tenant])
    return tenant
