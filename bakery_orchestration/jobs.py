"""Jobs: the daily cycle per (tenant, day) and the weekly model retraining per tenant."""

import dagster as dg

from bakery_orchestration.partitions import tenant_day_partitions, tenant_partitions

DAILY_GROUPS = ("sales", "forecasting", "validation", "planning", "reporting")

daily_cycle_job = dg.define_asset_job(
    "daily_cycle_job",
    selection=dg.AssetSelection.groups(*DAILY_GROUPS) - dg.AssetSelection.assets("forecast_model"),
    partitions_def=tenant_day_partitions,
    description="Everything a bakery needs on the morning of a day: sales, forecast, validation, "
    "plans, orders and the owner's summary.",
)

retrain_model_job = dg.define_asset_job(
    "retrain_model_job",
    selection=dg.AssetSelection.assets("forecast_model"),
    partitions_def=tenant_partitions,
    description="Retrain one tenant's demand model.",
)
