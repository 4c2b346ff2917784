"""Checks on ``forecast_validation``, per (tenant, day), non-blocking: a bad forecast is worth an
alert (``alert_sensor``) but must not stop the day's plans.

- forecast accuracy: MAPE above 20 % warns, above 30 % is an error;
- validation coverage: fewer than 80 % of the forecast lines scored (sales missing or
  quarantined) warns.
A day with nothing to score (no forecast yet, closed day) passes with a note.
"""

import dagster as dg
import sqlalchemy as sa

from bakery_orchestration.daily_asset import batch_check_result
from bakery_orchestration.db.schema import validation_runs
from bakery_orchestration.partitions import split_key, tenant_day_partitions
from bakery_orchestration.storage.database import OrchestrationDatabase

MAPE_WARN = 20.0
MAPE_ERROR = 30.0
COVERAGE_WARN = 80.0


def accuracy_result(mape: float | None) -> dg.AssetCheckResult:
    if mape is None:
        return dg.AssetCheckResult(passed=True, metadata={"note": "nothing scored"})
    severity = dg.AssetCheckSeverity.ERROR if mape > MAPE_ERROR else dg.AssetCheckSeverity.WARN
    passed = mape <= MAPE_WARN
    return dg.AssetCheckResult(
        passed=passed,
        severity=severity,
        metadata={"mape": mape, "warn_above": MAPE_WARN, "error_above": MAPE_ERROR},
        description=None if passed else f"MAPE {mape:.1f}% above {MAPE_WARN:.0f}%",
    )


def coverage_result(forecast_lines: int, coverage: float | None) -> dg.AssetCheckResult:
    if not forecast_lines:
        return dg.AssetCheckResult(
            passed=True, severity=dg.AssetCheckSeverity.WARN, metadata={"note": "no forecast lines"}
        )
    coverage = coverage or 0.0
    passed = coverage >= COVERAGE_WARN
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"coverage": coverage, "warn_below": COVERAGE_WARN},
        description=None
        if passed
        else f"only {coverage:.0f}% of forecast lines scored (< {COVERAGE_WARN:.0f}%)",
    )


def _summary(key: str, database: OrchestrationDatabase) -> sa.RowMapping | None:
    tenant, day = split_key(key)
    query = sa.select(validation_runs).where(
        validation_runs.c.tenant_id == database.tenant_id(tenant),
        validation_runs.c.partition_date == day,
    )
    with database.engine.connect() as conn:
        return conn.execute(query).mappings().first()


def _per_tenant_day(context: dg.AssetCheckExecutionContext, evaluate) -> dg.AssetCheckResult:
    """``evaluate(key)`` for the check's tenant-day, or over a tenant batch as one result."""
    if not context.has_partition_key_range:
        return evaluate(str(context.partition_key))
    keys = [str(key) for key in context.partition_keys]
    return batch_check_result(None, [(key, evaluate(key)) for key in keys])


@dg.asset_check(
    asset="forecast_validation",
    partitions_def=tenant_day_partitions,
    blocking=False,
    description="The forecast's MAPE for the day: WARN above 20 %, ERROR above 30 %.",
)
def forecast_accuracy(
    context: dg.AssetCheckExecutionContext, database: OrchestrationDatabase
) -> dg.AssetCheckResult:
    def evaluate(key: str) -> dg.AssetCheckResult:
        row = _summary(key, database)
        return accuracy_result(row["mape"] if row else None)

    return _per_tenant_day(context, evaluate)


@dg.asset_check(
    asset="forecast_validation",
    partitions_def=tenant_day_partitions,
    blocking=False,
    description="Share of the day's forecast lines that could be scored: WARN below 80 %.",
)
def validation_coverage(
    context: dg.AssetCheckExecutionContext, database: OrchestrationDatabase
) -> dg.AssetCheckResult:
    def evaluate(key: str) -> dg.AssetCheckResult:
        row = _summary(key, database)
        return coverage_result(
            row["forecast_lines"] if row else 0, row["coverage"] if row else None
        )

    return _per_tenant_day(context, evaluate)
