"""Which tables each persisted asset writes: the single place that maps assets to storage."""

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from bakery_orchestration.db import schema


@dataclass(frozen=True)
class Settled:
    """Rows a re-run of the partition must leave as they are: the ``key`` values of ``table``'s
    rows matching ``where`` (purchase orders already received or cancelled), and in every table
    of the asset the rows whose ``columns[table name]`` holds one of those values."""

    table: sa.Table
    where: Callable[[sa.Table], sa.ColumnElement[bool]]
    key: str
    columns: dict[str, str]


@dataclass(frozen=True)
class AssetStorage:
    """An asset's main table (read back as its input downstream) and its companion tables."""

    main: sa.Table
    companions: dict[str, sa.Table] = field(default_factory=dict)
    settled: Settled | None = None


ASSET_STORAGE = {
    "daily_sales": AssetStorage(
        schema.daily_sales,
        {"quarantine": schema.sales_quarantine, "receipt": schema.sales_receipts},
    ),
    "demand_forecast": AssetStorage(schema.demand_forecasts),
    "forecast_validation": AssetStorage(
        schema.validation_product_metrics, {"summary": schema.validation_runs}
    ),
    "production_plan": AssetStorage(schema.production_plans),
    "inventory_projection": AssetStorage(schema.inventory_projections),
    # Orders before their lines: replacing the orders cascades to the lines they replace.
    "procurement_needs": AssetStorage(
        schema.procurement_proposals,
        {
            "purchase_orders": schema.purchase_orders,
            "purchase_order_lines": schema.purchase_order_lines,
        },
        # A re-run re-plans the open orders; received or cancelled ones are history.
        settled=Settled(
            schema.purchase_orders,
            lambda orders: orders.c.status != "open",
            key="id",
            columns={"purchase_orders": "id", "purchase_order_lines": "purchase_order_id"},
        ),
    ),
    "daily_summary": AssetStorage(schema.daily_summaries),
    "insights": AssetStorage(schema.insights),
}
