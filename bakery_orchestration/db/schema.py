"""Every table of the orchestration database, registered on one ``metadata``.

Import tables from here; Alembic's environment and the schema tests use ``metadata``.
"""

from bakery_orchestration.db.alerts import alerts
from bakery_orchestration.db.audit import orchestration_step_logs
from bakery_orchestration.db.daily import (
    daily_sales,
    demand_forecasts,
    forecast_models,
    sales_quarantine,
    sales_receipts,
    validation_product_metrics,
    validation_runs,
)
from bakery_orchestration.db.insights import insights
from bakery_orchestration.db.metadata import metadata
from bakery_orchestration.db.planning import (
    daily_summaries,
    ingredient_stock,
    ingredients,
    inventory_projections,
    procurement_proposals,
    production_capacity,
    production_plans,
    purchase_order_lines,
    purchase_orders,
    recipes,
    suppliers,
)
from bakery_orchestration.db.runs import OrchestrationStatus, orchestration_runs
from bakery_orchestration.db.tenants import products, tenants

__all__ = [
    "alerts",
    "OrchestrationStatus",
    "daily_sales",
    "daily_summaries",
    "demand_forecasts",
    "forecast_models",
    "ingredient_stock",
    "ingredients",
    "inventory_projections",
    "insights",
    "metadata",
    "orchestration_runs",
    "orchestration_step_logs",
    "procurement_proposals",
    "production_capacity",
    "production_plans",
    "products",
    "purchase_order_lines",
    "purchase_orders",
    "recipes",
    "sales_quarantine",
    "sales_receipts",
    "suppliers",
    "tenants",
    "validation_product_metrics",
    "validation_runs",
]
