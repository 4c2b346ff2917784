"""The code location: every asset, check, job, schedule and sensor, with resources chosen for the
environment (see ``bakery_orchestration.resources``)."""

import dagster as dg

from bakery_orchestration.audit.sensors import audit_reconciliation_sensor, audit_run_sensors
from bakery_orchestration.automation.execution import executor_for
from bakery_orchestration.automation.jobs import daily_cycle_job, retrain_model_job
from bakery_orchestration.automation.schedules import build_schedules
from bakery_orchestration.automation.sensors import build_sensors
from bakery_orchestration.forecasting import assets as forecasting_assets
from bakery_orchestration.insights import assets as insights_assets
from bakery_orchestration.planning import assets as planning_assets
from bakery_orchestration.resources import environment, resources_for
from bakery_orchestration.sales import assets as sales_assets
from bakery_orchestration.sales.assets import SALES_HISTORY
from bakery_orchestration.validation import assets as validation_assets
from bakery_orchestration.validation import checks as validation_checks

ASSET_MODULES = [
    sales_assets,
    forecasting_assets,
    validation_assets,
    planning_assets,
    insights_assets,
]


def build_definitions(resources: dict | None = None) -> dg.Definitions:
    env = environment()
    return dg.Definitions(
        # load_assets_from_modules picks up asset definitions, not specs: the history is listed.
        assets=[*dg.load_assets_from_modules(ASSET_MODULES), SALES_HISTORY],
        asset_checks=dg.load_asset_checks_from_modules([validation_checks]),
        jobs=[daily_cycle_job, retrain_model_job],
        schedules=build_schedules(),
        sensors=[*build_sensors(), *audit_run_sensors, audit_reconciliation_sensor],
        resources=resources if resources is not None else resources_for(env),
        executor=executor_for(env),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
