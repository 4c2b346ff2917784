"""Checks on ``forecast_validation``, per (tenant, day), non-blocking: a bad forecast is worth an
alert (``alert_sensor``) but must not stop the day's plans.

- forecast accuracy: the rules of ``validation/rules.py`` — the forecast's pooled WAPE against
  the seasonal naive's on the same lines, and the day's WAPE against the tenant's own level;
- validation coverage: fewer than 80 % of the forecast lines scored (sales missing or
  quarantined) warns.
A day with nothing to score (no forecast yet, closed day) passes with a note.
"""

from datetime import timedelta

import dagster as dg
import sqlalchemy as sa

from bakery_orchestration.core.partitions import split_key, tenant_day_partitions
from bakery_orchestration.db.schema import validation_runs
from bakery_orchestration.framework.daily_asset import batch_check_result
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.validation.history import scored_days, tenant_rules
from bakery_orchestration.validation.rules import AccuracyRules, ScoredDay, accuracy_verdict

COVERAGE_WARN = 80.0


def accuracy_result(
    summary: dict | None, history: list[ScoredDay], rules: AccuracyRules
) -> dg.AssetCheckResult:
    """The verdict for the day whose ``validation_runs`` row is ``summary``; ``history`` is the
    tenant's scored days up to and including it."""
    if summary is None or summary.get("actual_units") is None:
        note = (summary or {}).get("note") or "nothing scored"
        return dg.AssetCheckResult(passed=True, metadata={"note": note})
    verdict = accuracy_verdict(history, rules)
    figures = {k: round(v, 2) if isinstance(v, float) else v for k, v in verdict.figures.items()}
    reported = {k: round(summary[k], 2) for k in ("mape", "rmse") if summary.get(k) is not None}
    return dg.AssetCheckResult(
        passed=verdict.passed,
        severity=dg.AssetCheckSeverity(verdict.severity),
        metadata={k: v for k, v in {**figures, **reported}.items() if v is not None},
        description=verdict.description,
    )


def coverage_result(
    forecast_lines: int, coverage: float | None, note: str | None = None
) -> dg.AssetCheckResult:
    """No sales at all for the day (closed, or missing: the ``sales_missing`` alert says so)
    passes with a note: the coverage check is about lines lost to quarantine or gaps."""
    if not forecast_lines or coverage is None or note == "no sales received":
        return dg.AssetCheckResult(
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"note": note or "no forecast lines"},
        )
    passed = coverage >= COVERAGE_WARN
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"coverage": coverage, "warn_below": COVERAGE_WARN},
        description=None
        if passed
        else f"only {coverage:.0f}% of forecast lines scored (< {COVERAGE_WARN:.0f}%)",
    )


def _accuracy(key: str, database: OrchestrationDatabase) -> dg.AssetCheckResult:
    tenant, day = split_key(key)
    tenant_id = database.tenant_id(tenant)
    summary = _summary(key, database)
    with database.engine.connect() as conn:
        rules = tenant_rules(conn, tenant_id)
        span = timedelta(days=rules.level_days + rules.level_consecutive + rules.window_days)
        history = scored_days(conn, tenant_id, day - span, day)
    return accuracy_result(dict(summary) if summary else None, history, rules)


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
    (spec,) = context.check_specs
    return batch_check_result(
        context.op_execution_context.log_event,
        spec.key,
        spec.blocking,
        [(key, evaluate(key)) for key in keys],
    )


@dg.asset_check(
    asset="forecast_validation",
    partitions_def=tenant_day_partitions,
    blocking=False,
    description="Is the forecast as good as this tenant's forecasts can be? Fails when, over 14 "
    "days, it is no better than copying last week (seasonal naive), or when the day's WAPE is "
    "far above the tenant's own usual level two scored days running (validation/rules.py).",
)
def forecast_accuracy(
    context: dg.AssetCheckExecutionContext, database: OrchestrationDatabase
) -> dg.AssetCheckResult:
    return _per_tenant_day(context, lambda key: _accuracy(key, database))


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
        if row is None:
            return coverage_result(0, None)
        return coverage_result(row["forecast_lines"], row["coverage"], row["note"])

    return _per_tenant_day(context, evaluate)
