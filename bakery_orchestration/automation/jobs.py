"""Jobs: the daily cycle per (tenant, day) and the weekly model retraining per tenant.

Partitions are inferred from the selected assets. ``dagster/max_runtime`` (seconds) lets run
monitoring (dagster.yaml) fail a run that hangs, which frees the tenant's slot in the queue.
"""

import dagster as dg

DAILY_CYCLE_MAX_RUNTIME_SECONDS = 1800
RETRAIN_MAX_RUNTIME_SECONDS = 3600

DAILY_GROUPS = ("sales", "forecasting", "validation", "planning", "reporting")

daily_cycle_job = dg.define_asset_job(
    "daily_cycle_job",
    selection=dg.AssetSelection.groups(*DAILY_GROUPS) - dg.AssetSelection.assets("forecast_model"),
    tags={
        "dagster/max_runtime": str(DAILY_CYCLE_MAX_RUNTIME_SECONDS),
        # Run retries are for dead run workers only: a step failure was already retried by the
        # step (docs/RELIABILITY.md), on every instance, whatever its dagster.yaml says.
        "dagster/retry_on_asset_or_op_failure": "false",
    },
    description="Everything a bakery needs on the morning of a day: sales, forecast, validation, "
    "plans, orders and the owner's summary.",
)

retrain_model_job = dg.define_asset_job(
    "retrain_model_job",
    selection=dg.AssetSelection.assets("forecast_model"),
    tags={"dagster/max_runtime": str(RETRAIN_MAX_RUNTIME_SECONDS)},
    description="Retrain one tenant's demand model.",
)
