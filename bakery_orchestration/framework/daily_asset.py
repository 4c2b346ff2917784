"""``daily_asset``: the decorator every per-(tenant, day) asset of the daily graph uses, so each
one is partitioned the same way, persisted by the orchestration IO manager and audited when its
step fails.

It also runs the asset over a tenant batch (a partition range, see ``core/batches.py``). The asset
is written for one tenant-day: ``context.partition_key`` is that tenant-day and each
``pd.DataFrame`` input is that tenant-day's rows. In a batch run the decorator calls it once per
tenant-day with a context whose ``partition_key`` is that tenant-day, then hands the IO manager a
``{partition key: PartitionTables}`` mapping. In a batch:

- the step's metadata holds the number of tenant-days, the sum of each integer figure, and every
  tenant-day's own figures under ``per_tenant_day`` (the audit table keeps them per tenant too);
- each asset check is judged per tenant-day: every tenant-day's verdict is recorded on its own
  partition (a partitioned ``AssetCheckEvaluation`` logged by the step, which the UI shows per
  partition), so a healthy tenant never shows a failed check because another tenant
  of its batch failed; the step also yields one result over the batch (Dagster allows one per
  check per step; it has no partition, so the UI does not put it on any tenant-day), failed if
  any tenant-day failed, with every tenant-day's verdict as structured metadata
  (``tenant_day_verdicts``) that ``alert_sensor`` reads;
- the first tenant-day that raises fails the step with a :class:`TenantDayFailure` naming it
  (the batch is then re-run one tenant per run by ``batch_split_sensor``).
"""

import functools
import inspect
from collections.abc import Iterator
from typing import Any

import dagster as dg
import pandas as pd

from bakery_orchestration.audit.recorder import audit_failure_hook
from bakery_orchestration.core.batches import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    TenantDayFailure,
    backfill_partitions_per_run,
)
from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.core.names import IO_MANAGER_KEY
from bakery_orchestration.core.partitions import split_key, tenant_day_partitions
from bakery_orchestration.core.versions import logic_version

DEFAULT_KINDS = frozenset({"python", "sql"})


def daily_asset(*, group_name: str, kinds: set[str] | frozenset[str] = DEFAULT_KINDS, **kwargs):
    """``@dg.asset`` for the daily graph; extra keyword arguments pass through.

    Every daily asset gets: the tenant x day partitions, the orchestration IO manager, the audit
    failure hook, a ``code_version`` hashed from its own logic (``core/versions.py``) and a
    ``BackfillPolicy.multi_run`` so UI and sensor backfills run tenant batches like the schedule
    (``BAKERY_BACKFILL_PARTITIONS_PER_RUN`` tenant-days per run, docs/SCALING.md).
    """

    def decorate(fn):
        asset = dg.asset(
            partitions_def=tenant_day_partitions,
            group_name=group_name,
            io_manager_key=IO_MANAGER_KEY,
            kinds=set(kinds),
            code_version=kwargs.pop("code_version", None) or logic_version(fn.__module__),
            backfill_policy=dg.BackfillPolicy.multi_run(backfill_partitions_per_run()),
            hooks={audit_failure_hook},
            **kwargs,
        )
        return asset(per_tenant_day(fn))

    return decorate


def per_tenant_day(fn):
    """Wrap a one-tenant-day asset function so it also runs over a partition range."""
    signature = inspect.signature(fn)
    if next(iter(signature.parameters), None) != "context":
        raise TypeError(f"daily asset {fn.__name__} must take `context` as its first argument")
    frames = {n for n, p in signature.parameters.items() if p.annotation is pd.DataFrame}

    @functools.wraps(fn)
    def asset_fn(context: dg.AssetExecutionContext, **kwargs) -> Iterator[Any]:
        _refuse_a_truncated_range(context)
        if not context.has_partition_key_range:
            yield from _events(fn(context, **kwargs))
            return
        yield from _run_batch(fn, context, kwargs, frames)

    # Dagster reads inputs and resources from the signature. In a batch the inputs and the
    # output are mappings of tenant-day to rows, so their one-tenant-day annotations must not
    # become Dagster type checks.
    parameters = [
        p.replace(annotation=inspect.Parameter.empty) if p.name in frames else p
        for p in signature.parameters.values()
    ]
    asset_fn.__signature__ = signature.replace(
        parameters=parameters, return_annotation=inspect.Signature.empty
    )
    return asset_fn


def _refuse_a_truncated_range(context: dg.AssetExecutionContext) -> None:
    """Fail a run whose tags cover a range of tenant-days when Dagster hands the step only one.

    A backfill launched from a *job's* partitions page over tenant x day partitions, with the
    assets' ``BackfillPolicy``, gets range tags but its steps see only the range's first key
    (dagster-io/dagster#28861). Left alone, the run would succeed having done one tenant-day and
    the backfill would call the others done. Asset backfills (the asset graph, the asset's
    partitions page, ``bakery-orch backfill``, the late-sales sensor) are not affected.
    """
    start, end = context.run.tags.get(RANGE_START_TAG), context.run.tags.get(RANGE_END_TAG)
    if start and end and start != end and not context.has_partition_key_range:
        raise BakeryError(
            f"this run covers tenant-days {start} .. {end} but Dagster gave the step only "
            f"{context.partition_key} (a job backfill of tenant x day partitions runs only the "
            "first key, dagster-io/dagster#28861): nothing was written; launch the backfill "
            "from the asset graph or with `bakery-orch backfill` (docs/OPERATIONS.md)"
        )


def _events(result) -> list:
    if inspect.isgenerator(result):
        return list(result)
    return [result]


class TenantDayContext:
    """The step's context seen from one tenant-day of a batch."""

    def __init__(self, context: dg.AssetExecutionContext, key: str):
        self._context = context
        self._key = key

    @property
    def partition_key(self) -> str:
        return self._key

    @property
    def has_partition_key(self) -> bool:
        return True

    @property
    def has_partition_key_range(self) -> bool:
        return False

    def __getattr__(self, name: str):
        return getattr(self._context, name)


def _run_batch(fn, context: dg.AssetExecutionContext, kwargs: dict, frames: set[str]):
    values: dict[str, Any] = {}
    metadata: dict[str, dict] = {}
    checks: dict[str, list[tuple[str, dg.AssetCheckResult]]] = {}
    for key in (str(k) for k in context.partition_keys):
        tenant, day = split_key(key)
        args = {n: (v[key] if n in frames else v) for n, v in kwargs.items()}
        try:
            events = _events(fn(TenantDayContext(context, key), **args))
        except Exception as exc:
            raise TenantDayFailure(f"tenant {tenant} {day}: {type(exc).__name__}: {exc}") from exc
        for event in events:
            if isinstance(event, dg.Output):
                values[key] = event.value
                metadata[key] = {k: _plain(v) for k, v in (event.metadata or {}).items()}
            elif isinstance(event, dg.AssetCheckResult):
                checks.setdefault(event.check_name, []).append((key, event))
            else:
                values[key] = event
    yield dg.Output(values, metadata=batch_metadata(metadata))
    specs = {spec.name: spec for spec in context.assets_def.check_specs}
    for name, results in checks.items():
        spec = specs[name]
        yield batch_check_result(context.log_event, spec.key, spec.blocking, results)


def _plain(value):
    return value.value if isinstance(value, dg.MetadataValue) else value


def batch_metadata(per_key: dict[str, dict]) -> dict:
    """Tenant-day count, sums of integer figures, and each tenant-day's figures."""
    totals: dict[str, int] = {}
    for figures in per_key.values():
        for name, value in figures.items():
            if isinstance(value, int) and not isinstance(value, bool):
                totals[name] = totals.get(name, 0) + value
    plain = {
        key: {k: v for k, v in figures.items() if isinstance(v, (int, float, str, bool))}
        for key, figures in per_key.items()
    }
    return {
        "tenant_days": len(per_key),
        **{f"total_{name}": value for name, value in totals.items()},
        "per_tenant_day": dg.MetadataValue.json(plain),
    }


def batch_check_result(
    log_event,
    check: dg.AssetCheckKey,
    blocking: bool,
    results: list[tuple[str, dg.AssetCheckResult]],
) -> dg.AssetCheckResult:
    """Record each tenant-day's verdict on its partition; return the one result over the batch
    (failed if any tenant-day failed, every verdict in ``tenant_day_verdicts``)."""
    for key, result in results:
        log_event(
            dg.AssetCheckEvaluation(
                asset_key=check.asset_key,
                check_name=check.name,
                passed=result.passed,
                metadata=result.metadata,
                severity=result.severity,
                description=result.description,
                blocking=blocking,
                partition=key,
            )
        )
    failed = [(key, r) for key, r in results if not r.passed]
    error = any(r.severity == dg.AssetCheckSeverity.ERROR for _, r in failed)
    verdicts = [
        {
            "partition": key,
            "passed": r.passed,
            "severity": r.severity.value,
            "description": r.description,
        }
        for key, r in results
    ]
    description = "; ".join(f"{key}: {r.description or 'failed'}" for key, r in failed)
    return dg.AssetCheckResult(
        check_name=check.name,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if error else dg.AssetCheckSeverity.WARN,
        metadata={
            "tenant_days_checked": len(results),
            "tenant_days_failed": len(failed),
            "tenant_day_verdicts": dg.MetadataValue.json(verdicts),
        },
        description=(
            f"{len(failed)} of {len(results)} tenant-days failed (each tenant-day's verdict is "
            f"on its partition): {description}"[:2000]
            if failed
            else None
        ),
    )
