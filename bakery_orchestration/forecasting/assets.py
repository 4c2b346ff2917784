"""Forecasting assets: the tenant's demand model (retrained weekly) and the daily 7-day forecast."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg

from bakery_orchestration.audit.writer import output_id
from bakery_orchestration.core.batches import TenantFailure
from bakery_orchestration.core.names import FORECASTING_GROUP
from bakery_orchestration.core.partitions import split_key, tenant_partitions
from bakery_orchestration.core.readable import per_tenant, rounded
from bakery_orchestration.core.versions import logic_version
from bakery_orchestration.forecasting.service import forecast_for_day, forecast_summary, train_model
from bakery_orchestration.framework.daily_asset import batch_metadata, daily_asset
from bakery_orchestration.framework.io_manager import PartitionTables
from bakery_orchestration.sales.assets import SALES_HISTORY
from bakery_orchestration.storage import receipts
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.tenants.registry import get_tenant


class ForecastModelConfig(dg.Config):
    as_of: str | None = None
    """Train on sales before this ISO date (default: today in the tenant's timezone)."""
    reason: str = "manual"
    """Why this model is trained (the retraining sensor records the rule that fired)."""
    reasons: dict[str, str] = {}
    """Per tenant slug, in a batch run of several tenants: the rule that fired for it (else
    ``reason``)."""


@dg.asset(
    partitions_def=tenant_partitions,
    group_name=FORECASTING_GROUP,
    kinds={"scikitlearn", "sql"},
    code_version=logic_version(__name__),
    deps=[SALES_HISTORY],
)
def forecast_model(
    context: dg.AssetExecutionContext, config: ForecastModelConfig, database: OrchestrationDatabase
) -> dg.MaterializeResult:
    """The tenant's demand model (one global model over all its products), retrained weekly.

    A run may cover several tenants (a range of tenant partitions: the weekly schedule's
    batches, ``BAKERY_RETRAIN_TENANTS_PER_RUN``): each is trained and stored in turn; the first
    that fails fails the run with its name, and ``batch_split_sensor`` retrains each tenant of
    the batch in a run of its own."""
    trained = {}
    for slug in context.partition_keys:
        try:
            tenant = get_tenant(database.engine, slug)
            as_of = (
                date.fromisoformat(config.as_of)
                if config.as_of
                else datetime.now(ZoneInfo(tenant.timezone)).date()
            )
            model = train_model(
                database.engine, tenant, as_of, reason=config.reasons.get(slug, config.reason)
            )
        except Exception as exc:
            raise TenantFailure(
                f"tenant {slug}: retraining failed: {type(exc).__name__}: {exc}"
            ) from exc
        trained[slug] = model.metadata()
        context.log.info(f"{slug}: model {model.id} trained on {model.history_rows} rows")
    if len(trained) == 1:
        return dg.MaterializeResult(metadata=next(iter(trained.values())))
    return dg.MaterializeResult(metadata=batch_metadata(trained))


@daily_asset(
    group_name=FORECASTING_GROUP,
    kinds={"scikitlearn", "sql"},
    # What it reads: the model and the sales history up to D-1. The day's daily_sales partition
    # is a dependency for order only (it appends D-1 to the history); its rows are not an input.
    deps=[forecast_model, SALES_HISTORY, "daily_sales"],
)
def demand_forecast(
    context: dg.AssetExecutionContext, database: OrchestrationDatabase
) -> dg.Output[PartitionTables]:
    """P10/P50/P90 demand per product for the partition date and the six days after it, from
    the tenant's model and its sales history before that date."""
    tenant_slug, day = split_key(context.partition_key)
    tenant = get_tenant(database.engine, tenant_slug)
    run = forecast_for_day(database.engine, tenant, day)
    if run.trained is not None:
        # A model trained here is the tenant's forecast_model as much as the weekly one is.
        context.log_event(
            dg.AssetMaterialization(
                asset_key=forecast_model.key, partition=tenant_slug, metadata=run.trained.metadata()
            )
        )
    with database.engine.connect() as conn:
        degraded = receipts.degraded_note(receipts.read_state(conn, tenant.id, day), day)
    rows = run.forecast.rename(columns={"product": "product_id", "date": "target_date"}).assign(
        model_id=run.model_id
    )
    first_day = rows[rows["horizon"] == 1]
    audit = {
        "counters": {"forecasts_generated": len(rows)},
        "run_values": {
            "forecast_id": output_id("demand_forecasts", tenant.id, day),
            "forecast_data": forecast_summary(rows, run.model_id),
        },
    }
    return dg.Output(
        PartitionTables(rows, audit=audit),
        metadata={
            "products": int(rows["product_id"].nunique()),
            "forecast_lines": len(rows),
            "units_p50_today": rounded(first_day["p50"].sum()),
            "units_p50_week": rounded(rows["p50"].sum()),
            **per_tenant(tenant_slug, {"P50 units today": rounded(first_day["p50"].sum())}),
            "fallback_lines": int((rows["method"] == "seasonal_naive").sum()),
            "closed_lines": int((rows["method"] == "closed").sum()),
            "model_id": str(run.model_id) if run.model_id else "none (cold start)",
            "model_as_of": run.model_as_of.isoformat() if run.model_as_of else "none",
            "model_trained_in_this_run": run.trained_now,
            **({"model_trained_because": run.trained.reason} if run.trained else {}),
            **({"degraded": degraded} if degraded else {}),
        },
    )
