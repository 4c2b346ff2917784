"""The ``daily_sales`` asset: yesterday's sales per product, validated, with bad rows set aside.

What the source answered is kept beside the sales (``sales_receipts``): received, closed (nothing
came for a day the tenant's calendar closes) or missing. Missing sales are an event, not a zero:
the ``sales_received`` check (non-blocking, WARN) fails so an alert opens, the day's forecast and
plans are made from the data there is and flagged ``degraded``, and when the sales arrive the
late-sales sensor re-runs the day, the check passes and the alert resolves.
"""

from datetime import timedelta

import dagster as dg

from bakery_orchestration.core.names import SALES_GROUP
from bakery_orchestration.core.partitions import split_key
from bakery_orchestration.db.schema import daily_sales as daily_sales_table
from bakery_orchestration.db.schema import sales_quarantine
from bakery_orchestration.framework.daily_asset import daily_asset
from bakery_orchestration.framework.io_manager import PartitionTables
from bakery_orchestration.framework.policies import after_outage
from bakery_orchestration.sales.history import best_days
from bakery_orchestration.sales.resources import (
    SalesSource,
    SalesSourceError,
    SalesSourceUnavailable,
)
from bakery_orchestration.sales.validation import SalesLimits, ValidatedSales, validate_sales_rows
from bakery_orchestration.storage import receipts
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.storage.rows import read_partition
from bakery_orchestration.tenants.registry import get_tenant, load_products

INPUT_CHECK = "sales_input_quality"
RECEIVED_CHECK = "sales_received"


SALES_SERVICE_POOL = "sales_service"


class DailySalesConfig(dg.Config):
    max_bad_share: float = 0.2
    """Share of quarantined rows above which the partition fails its blocking check."""


@daily_asset(
    group_name=SALES_GROUP,
    # Every call to the Sales Service holds a slot of this pool (docs/SCALING.md): however many
    # runs the queue starts, at most the pool's limit of them fetch sales at once.
    pool=SALES_SERVICE_POOL,
    check_specs=[
        dg.AssetCheckSpec(INPUT_CHECK, asset="daily_sales", blocking=True),
        dg.AssetCheckSpec(
            RECEIVED_CHECK,
            asset="daily_sales",
            blocking=False,
            description="The day's sales had arrived at cycle time (a closed day expects none); "
            "if not, the day is planned degraded until the late sales re-run it.",
        ),
    ],
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
    except SalesSourceUnavailable as exc:
        context.log.error(str(exc))
        raise after_outage(context, sales_source, exc) from exc  # the one retry above the client
    except SalesSourceError as exc:
        # Fail without writing: the day's stored sales (from an earlier good answer) stay.
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    if not raw.found:
        stored = _stored_sales(database, tenant_id, day)
        if stored is not None:  # imported before (e.g. `import-sales`): keep it, never erase
            yield from stored
            return
    limits = SalesLimits.configured()
    ceilings = limits.ceilings(best_days(database.engine, tenant_id, limits, before=sales_date))
    result = validate_sales_rows(
        raw.rows, tenant=tenant, day=sales_date, known_products=known, ceilings=ceilings
    )
    sales = result.sales.rename(columns={"product": "product_id"}).assign(sales_date=sales_date)
    quarantine = result.quarantine.assign(source=raw.source, dagster_run_id=context.run.run_id)
    closed = get_tenant(database.engine, tenant).closed_weekdays
    state = receipts.receipt_state(raw.found, sales_date, closed)
    receipt = receipts.receipt_frame(
        sales_date, state, raw.source, result.total_rows, len(result.quarantine)
    )
    degraded = receipts.degraded_note(state, day)
    yield dg.Output(
        PartitionTables(
            sales,
            {"quarantine": quarantine, "receipt": receipt},
            audit={"details": {"sales_receipt": state}},
        ),
        metadata={
            **_metadata(result, raw.found, raw.source),
            "sales_receipt": state,
            **({"degraded": degraded} if degraded else {}),
        },
    )
    yield _received_result(state, tenant, sales_date)
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


def _stored_sales(database: OrchestrationDatabase, tenant_id, day):
    """The partition's sales already stored (imported history) when the source has none."""
    with database.engine.connect() as conn:
        sales = read_partition(conn, daily_sales_table, tenant_id, day)
        quarantine = read_partition(conn, sales_quarantine, tenant_id, day)
    if sales.empty:
        return None
    sales_date = day - timedelta(days=1)
    receipt = receipts.receipt_frame(
        sales_date, receipts.RECEIVED, "stored history", None, len(quarantine)
    )
    metadata = {
        "sales_date": sales_date.isoformat(),
        "source": "stored history (the source had no file)",
        "products": len(sales),
        "units_sold": float(sales["quantity"].sum()),
        "sales_receipt": receipts.RECEIVED,
    }
    tables = {"quarantine": quarantine, "receipt": receipt}
    return [
        dg.Output(PartitionTables(sales, tables), metadata=metadata),
        _received_result(receipts.RECEIVED, "", sales_date),
        dg.AssetCheckResult(check_name=INPUT_CHECK, passed=True, metadata={"note": "stored"}),
    ]


def _received_result(state: str, tenant: str, sales_date) -> dg.AssetCheckResult:
    passed = state != receipts.MISSING
    return dg.AssetCheckResult(
        check_name=RECEIVED_CHECK,
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"sales_date": sales_date.isoformat(), "state": state},
        description=None
        if passed
        else f"{tenant} {sales_date}: sales missing at cycle time; forecast and plans made "
        "without them (degraded) until they arrive",
    )


SALES_HISTORY = dg.AssetSpec(
    "sales_history",
    deps=["daily_sales"],
    group_name=SALES_GROUP,
    kinds={"sql"},
    description="Every tenant's daily sales per product in the orchestration database (table "
    "`daily_sales`): appended one day at a time by the `daily_sales` partitions and in bulk by "
    "`bakery-orch import-sales`. The forecast and the model read the history from here, not "
    "from one partition's rows.",
)
