"""The ``daily_sales`` asset: yesterday's sales per product, validated, with bad rows set aside."""

from datetime import timedelta

import dagster as dg
import pandas as pd

from bakery_orchestration.automation.policies import SERVICE_RETRY_POLICY
from bakery_orchestration.daily_asset import daily_asset
from bakery_orchestration.names import SALES_GROUP
from bakery_orchestration.partitions import split_key
from bakery_orchestration.sales.history import best_days
from bakery_orchestration.sales.resources import (
    SalesSource,
    SalesSourceError,
    SalesSourceUnavailable,
)
from bakery_orchestration.sales.validation import SalesLimits, ValidatedSales, validate_sales_rows
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.storage.io_manager import PartitionTables
from bakery_orchestration.tenants.registry import load_products

INPUT_CHECK = "sales_input_quality"


class DailySalesConfig(dg.Config):
    max_bad_share: float = 0.2
    """Share of quarantined rows above which the partition fails its blocking check."""


@daily_asset(
    group_name=SALES_GROUP,
    check_specs=[dg.AssetCheckSpec(INPUT_CHECK, asset="daily_sales", blocking=True)],
    retry_policy=SERVICE_RETRY_POLICY,
)
def daily_sales(
    context: dg.AssetExecutionContext,
    config: DailySalesConfig,
    sales_source: SalesSource,
    database: OrchestrationDatabase,
):
    """Yesterday's validated sales per product, loaded on the morning of the partition date."""
    tenant, day = split_key(context.partition_key)
    sales_date = day - timedelta(days=1)
    tenant_id = database.tenant_id(tenant)
    known = set(load_products(database.engine, tenant_id)["product_id"]) or None
    try:
        raw = sales_source.fetch_daily_sales(tenant, sales_date)
    except SalesSourceUnavailable:
        raise  # the step's retry policy tries again; the audit records the failure
    except SalesSourceError as exc:
        context.log.error(str(exc))
        yield from _unreadable(str(exc))
        return
    limits = SalesLimits.configured()
    ceilings = limits.ceilings(best_days(database.engine, tenant_id, limits, before=sales_date))
    result = validate_sales_rows(
        raw.rows, tenant=tenant, day=sales_date, known_products=known, ceilings=ceilings
    )
    sales = result.sales.rename(columns={"product": "product_id"}).assign(sales_date=sales_date)
    quarantine = result.quarantine.assign(source=raw.source, dagster_run_id=context.run.run_id)
    yield dg.Output(
        PartitionTables(sales, {"quarantine": quarantine}),
        metadata=_metadata(result, raw.found, raw.source),
    )
    passed = result.bad_share <= config.max_bad_share
    yield dg.AssetCheckResult(
        check_name=INPUT_CHECK,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"bad_share": result.bad_share, "max_bad_share": config.max_bad_share},
        description=None
        if passed
        else f"{tenant} {sales_date}: {len(result.quarantine)} of {result.total_rows} rows "
        f"quarantined ({result.bad_share:.0%} > {config.max_bad_share:.0%})",
    )


def _metadata(result: ValidatedSales, found: bool, source: str) -> dict:
    return {
        "sales_date": result.day.isoformat(),
        "source": source,
        "source_found": found,
        "products": len(result.sales),
        "units_sold": float(result.sales["quantity"].sum()),
        "rows_received": result.total_rows,
        "rows_quarantined": len(result.quarantine),
        "bad_share": float(result.bad_share),
        **{f"quarantined_{reason}": count for reason, count in result.counts.items()},
    }


def _unreadable(problem: str):
    empty = pd.DataFrame(columns=["product_id", "quantity", "sales_date"])
    yield dg.Output(PartitionTables(empty), metadata={"unreadable": True, "error": problem})
    yield dg.AssetCheckResult(
        check_name=INPUT_CHECK,
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description=problem,
    )
