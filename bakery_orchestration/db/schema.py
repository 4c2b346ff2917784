"""Every table of the orchestration database, registered on one ``metadata``.

Import tables from here; Alembic's environment and the schema tests use ``metadata``.
"""

from bakery_orchestration.db.daily import (
    daily_sales,
    demand_forecasts,
    forecast_models,
    sales_quarantine,
    validation_product_metrics,
    validation_runs,
)
from bakery_orchestration.db.metadata import metadata
from bakery_orchestration.db.runs import OrchestrationStatus, orchestration_runs
from bakery_orchestration.db.tenants import products, tenants

__all__ = [
    "OrchestrationStatus",
    "daily_sales",
    "demand_forecasts",
    "forecast_models",
    "metadata",
    "orchestration_runs",
    "products",
    "sales_quarantine",
    "tenants",
    "validation_product_metrics",
    "validation_runs",
]
