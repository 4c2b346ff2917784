"""The ``forecast_validation`` asset: how good yesterday's forecast for yesterday was."""

import csv
from datetime import timedelta

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from bakery_orchestration.core.names import VALIDATION_GROUP
from bakery_orchestration.core.partitions import previous_day, split_key
from bakery_orchestration.core.readable import markdown_table, per_tenant, rounded
from bakery_orchestration.db.schema import demand_forecasts, sales_quarantine
from bakery_orchestration.framework.daily_asset import daily_asset
from bakery_orchestration.framework.io_manager import PartitionTables
from bakery_orchestration.sales.history import load_sales_history
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.storage.rows import read_partition
from bakery_orchestration.validation.scoring import score_day

HEADLINE = ("mape", "mae", "rmse", "r2", "wape", "naive_wape", "accuracy", "bias", "coverage")


@daily_asset(
    group_name=VALIDATION_GROUP,
    # By key: validation sits below forecasting in the package layers (docs/ARCHITECTURE.md).
    deps=[dg.AssetDep("demand_forecast", partition_mapping=previous_day), "sales_history"],
)
def forecast_validation(
    context: dg.AssetExecutionContext, daily_sales: pd.DataFrame, database: OrchestrationDatabase
) -> dg.Output[PartitionTables]:
    """Yesterday's forecast for yesterday against yesterday's sales: MAPE, MAE, RMSE, R², WAPE,
    accuracy, bias and coverage, per product and overall."""
    tenant, day = split_key(context.partition_key)
    yesterday = day - timedelta(days=1)
    tenant_id = database.tenant_id(tenant)
    with database.engine.connect() as conn:
        forecast = read_partition(conn, demand_forecasts, tenant_id, yesterday)
        quarantined = _quarantined_products(conn, tenant_id, day)
    result = score_day(
        forecast,
        daily_sales,
        validated_date=yesterday,
        quarantined_products=quarantined,
        naive=seasonal_naive(database, tenant_id, yesterday),
    )
    summary = pd.DataFrame([result.summary])
    metadata = {
        k: rounded(result.summary[k], 2) for k in HEADLINE if result.summary.get(k) is not None
    }
    if result.summary.get("wape") is not None:
        metadata.update(per_tenant(tenant, {"WAPE %": rounded(result.summary["wape"], 1)}))
    metadata["products of the day"] = _best_and_worst(result.products)
    metadata.update(
        validated_date=yesterday.isoformat(),
        forecast_lines=result.summary["forecast_lines"],
        scored_lines=result.summary["scored_lines"],
    )
    if "note" in result.summary:
        metadata["note"] = result.summary["note"]
    return dg.Output(PartitionTables(result.products, {"summary": summary}), metadata=metadata)


def _best_and_worst(products: pd.DataFrame) -> dg.MetadataValue:
    """The day's three worst and three best scored products by absolute error, in units."""
    scored = products.dropna(subset=["actual"]).sort_values("abs_error", ascending=False)
    picked = pd.concat([scored.head(3), scored.tail(3)]).drop_duplicates("product_id")
    rows = [
        {
            "product": r.product_id,
            "sold": r.actual,
            "forecast": r.forecast,
            "error": r.abs_error,
            "rank": "worst" if i < min(3, len(scored)) else "best",
        }
        for i, r in enumerate(picked.itertuples())
    ]
    columns = [
        ("rank", "of the day"),
        ("product", "product"),
        ("sold", "sold"),
        ("forecast", "P50 forecast"),
        ("error", "error (units)"),
    ]
    return markdown_table(rows, columns, empty="nothing scored")


def seasonal_naive(database: OrchestrationDatabase, tenant_id, day) -> pd.Series | None:
    """Sales per product on the same weekday a week before ``day`` (two weeks when the shop sold
    nothing that day, e.g. closed); None when neither day has sales."""
    history = load_sales_history(database.engine, tenant_id, before=day - timedelta(days=6), days=8)
    for weeks in (1, 2):
        same_day = history[history["date"] == pd.Timestamp(day - timedelta(days=7 * weeks))]
        if not same_day.empty:
            return same_day.groupby("product")["quantity"].sum()
    return None


def _quarantined_products(conn: sa.Connection, tenant_id, day) -> set[str]:
    rows = read_partition(conn, sales_quarantine, tenant_id, day)
    parsed = csv.reader(str(raw) for raw in rows["raw"])
    return {fields[1].strip() for fields in parsed if len(fields) >= 2}
