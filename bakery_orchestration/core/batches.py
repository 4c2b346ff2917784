"""Tenant batches: several tenants' daily cycle in one Dagster run.

Why: a run worker costs about 2-3 CPU-seconds before it does any work (process start, importing
Dagster and pandas, loading the definitions) and, on Kubernetes, a pod start. At one run per
tenant that overhead is most of a morning. ``BAKERY_TENANTS_PER_RUN`` (default 1) lets the daily
schedule put up to that many tenants of the same local day in one run, as a Dagster
partition range (``dagster/asset_partition_range_start`` / ``_end``).

How it stays honest:

- A range of a ``tenant x date`` partitioning is a rectangle over the tenants in the order they
  were added (dynamic partition order). A batch is therefore a run of tenants that are adjacent
  in that order, all due now and on the same local day; anything else starts a new batch. It
  runs at the ``dagster/priority`` of its most urgent tenant, and the queue still starts the
  most urgent batches first.
- Every daily asset loops over the batch's tenant-days (``daily_asset``). The first tenant whose
  step raises fails the step, with an error naming the tenant and date.
- A failed batch is never retried as a batch (``dagster/max_retries`` 0). ``batch_split_sensor``
  re-runs each of its tenant-days in a run of its own, so the healthy tenants complete within
  minutes and the broken one fails alone, with its own audit row and alert.
- The audit writes one ``orchestration_runs`` row per (run, tenant, date), batch or not.
"""

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import dagster as dg

from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.core.partitions import partition_key, split_key, tenant_day_partitions

TENANTS_PER_RUN_ENV = "BAKERY_TENANTS_PER_RUN"
BATCH_TAG = "bakery/batch_tenants"
"""Comma-separated slugs of the tenants a batch run covers."""
CYCLE_DATE_TAG = "bakery/cycle_date"
"""The business day a scheduled daily-cycle run (batch or not) is for."""
SPLIT_FROM_TAG = "bakery/split_from"
"""On a single-tenant run: the failed batch run it re-runs a tenant of."""
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
MAX_TENANTS_PER_RUN = 200
RETRAIN_PER_RUN_ENV = "BAKERY_RETRAIN_TENANTS_PER_RUN"
BACKFILL_PER_RUN_ENV = "BAKERY_BACKFILL_PARTITIONS_PER_RUN"
DEFAULT_BACKFILL_PER_RUN = 20


class TenantFailure(BakeryError):
    """A tenant's work inside a batch run failed; the message names the tenant."""


class TenantDayFailure(TenantFailure):
    """A tenant-day's step failed inside a batch run; the message names the tenant and date."""


def tenants_per_run(env: dict | None = None) -> int:
    """``BAKERY_TENANTS_PER_RUN`` (default 1: one run per tenant)."""
    return _run_size(TENANTS_PER_RUN_ENV, "1", env)


def retrain_tenants_per_run(env: dict | None = None) -> int:
    """``BAKERY_RETRAIN_TENANTS_PER_RUN``, else ``BAKERY_TENANTS_PER_RUN``: the tenants whose
    weekly retraining shares one run (a range of the tenant partitions)."""
    env = env if env is not None else dict(os.environ)
    if RETRAIN_PER_RUN_ENV in env:
        return _run_size(RETRAIN_PER_RUN_ENV, "1", env)
    return tenants_per_run(env)


def adjacent_groups(slugs: Iterable[str], order: Sequence[str], size: int) -> list[list[str]]:
    """``slugs`` in partition order, cut into groups of at most ``size`` tenants that are
    adjacent in ``order`` (so a tenant partition range covers exactly a group). Tenants missing
    from ``order`` are groups of their own."""
    position = {slug: i for i, slug in enumerate(order)}
    groups: list[list[str]] = []
    for slug in sorted(set(slugs), key=lambda s: (position.get(s, len(order)), s)):
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and len(groups[-1]) < size
            and last in position
            and slug in position
            and position[slug] == position[last] + 1
        ):
            groups[-1].append(slug)
        else:
            groups.append([slug])
    return groups


def backfill_partitions_per_run(env: dict | None = None) -> int:
    """``BAKERY_BACKFILL_PARTITIONS_PER_RUN`` (default 20): the daily assets' ``BackfillPolicy``,
    the most tenant-days one run of a UI or sensor backfill covers."""
    return _run_size(BACKFILL_PER_RUN_ENV, str(DEFAULT_BACKFILL_PER_RUN), env)


def _run_size(name: str, default: str, env: dict | None) -> int:
    raw = (env if env is not None else os.environ).get(name, default)
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_TENANTS_PER_RUN:
        raise BakeryError(f"{name}={raw!r}: use a whole number from 1 to {MAX_TENANTS_PER_RUN}")
    return size


@dataclass(frozen=True)
class Batch:
    """Tenants (adjacent in partition order) whose cycle for ``day`` runs together."""

    tenants: tuple[str, ...]
    day: date
    priority: int

    @property
    def run_key(self) -> str:
        if len(self.tenants) == 1:
            return f"{self.tenants[0]}:{self.day.isoformat()}"
        return f"{self.tenants[0]}..{self.tenants[-1]}:{self.day.isoformat()}"

    def tags(self) -> dict[str, str]:
        """Run tags that make the run cover the batch (none beyond the date for one tenant)."""
        tags = {CYCLE_DATE_TAG: self.day.isoformat()}
        if len(self.tenants) > 1:
            tags.update(
                {
                    RANGE_START_TAG: str(partition_key(self.tenants[0], self.day)),
                    RANGE_END_TAG: str(partition_key(self.tenants[-1], self.day)),
                    BATCH_TAG: ",".join(self.tenants),
                    "dagster/max_retries": "0",  # batch_split_sensor re-runs each tenant alone
                }
            )
        return tags

    @property
    def partition_key(self) -> dg.MultiPartitionKey | None:
        return partition_key(self.tenants[0], self.day) if len(self.tenants) == 1 else None


def plan_batches(
    due: Iterable[tuple[str, date, int]], order: Sequence[str], size: int
) -> list[Batch]:
    """Group due (tenant, day, priority) into batches of at most ``size`` tenants, most urgent
    batch first.

    ``order`` is the tenant partition order (``instance.get_dynamic_partitions("tenant")``): a
    batch only holds tenants adjacent in it, so its partition range covers exactly them. A batch
    runs at the priority of its most urgent tenant. Tenants missing from ``order`` run alone.
    """
    position = {slug: i for i, slug in enumerate(order)}
    ranked = sorted(due, key=lambda d: (d[1], position.get(d[0], len(order)), d[0]))
    groups: list[list[tuple[str, date, int]]] = []
    for item in ranked:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and len(groups[-1]) < size
            and last[1] == item[1]
            and last[0] in position
            and item[0] in position
            and position[item[0]] == position[last[0]] + 1
        ):
            groups[-1].append(item)
        else:
            groups.append([item])
    batches = [
        Batch(tuple(slug for slug, _, _ in group), group[0][1], max(p for _, _, p in group))
        for group in groups
    ]
    return sorted(batches, key=lambda b: (b.day, -b.priority))


def run_partition_keys(run: dg.DagsterRun, instance: dg.DagsterInstance) -> list[str]:
    """The tenant-day partition keys a daily-cycle run covers (one, a batch, or none)."""
    return tagged_partition_keys(run.tags, instance)


def tagged_partition_keys(run_tags: Mapping[str, str], instance: dg.DagsterInstance) -> list[str]:
    """The tenant-day partition keys that a run's (or a run request's) tags target."""
    single = run_tags.get("dagster/partition")
    if single and "|" in single:
        return [single]
    start, end = run_tags.get(RANGE_START_TAG), run_tags.get(RANGE_END_TAG)
    if not (start and end and "|" in start):
        return []
    keys = tenant_day_partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange(start, end), dynamic_partitions_store=instance
    )
    return [str(key) for key in keys]


def run_tenants(run: dg.DagsterRun) -> list[str]:
    """Slugs of the tenants a run is for, read from its tags (no instance needed)."""
    if run.tags.get(BATCH_TAG):
        return run.tags[BATCH_TAG].split(",")
    single = run.tags.get("dagster/partition")
    if single and "|" in single:
        return [split_key(single)[0]]
    tenant = run.tags.get("dagster/partition/tenant")
    return [tenant] if tenant else []
