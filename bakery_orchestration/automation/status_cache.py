"""``partition_status_sensor``: rebuild Dagster's partition status cache before an operator asks.

An asset's partitions page reads a status cache that Dagster keys by the partitions definition.
The tenant x day definition changes when the rolling window's start moves (each load of the
definitions on a new day: the daily code-location reload) and when a tenant partition is added
or deleted. The first request after such a change rebuilds the cache from every materialized
partition: about 7 s per asset at 1,000 tenants x 365 days on top of the 3 s every partitions
page costs (docs/SCALING.md). This sensor pays that rebuild in the code server instead, through
the public ``DagsterInstance.get_status_by_partition``, so the page an operator opens finds the
cache current.

The cursor holds the window's identity (the first date partition and a digest of the tenant
partition keys) and the assets already rebuilt for it. A tick with an unchanged identity and
nothing left costs one read of the tenant keys. A changed identity starts over; the assets are
rebuilt in order until ``TICK_BUDGET_S`` has passed, the rest on the next ticks, so one tick
never holds the sensor daemon for long. The sensor requests no runs.
"""

import hashlib
import json
import time

import dagster as dg

from bakery_orchestration.core.partitions import (
    date_partitions,
    tenant_day_partitions,
    tenant_partitions,
)

TICK_BUDGET_S = 20.0


def window_identity(tenant_keys: list[str]) -> str:
    """What Dagster's status cache depends on for the tenant x day assets: the first date
    partition and the set of tenant partitions."""
    tenants = hashlib.sha256("\n".join(sorted(tenant_keys)).encode()).hexdigest()[:16]
    start = date_partitions.start.date().isoformat()
    return f"{start}/{len(tenant_keys)}:{tenants}"


def tenant_day_asset_keys(repository_def: dg.RepositoryDefinition) -> list[dg.AssetKey]:
    return sorted(
        key
        for key, assets_def in repository_def.assets_defs_by_key.items()
        if assets_def.partitions_def == tenant_day_partitions
    )


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Rebuilds the partition status of the tenant x day assets after the window moves "
    "or a tenant is added, so their partitions pages open fast. Requests no runs.",
)
def partition_status_sensor(context: dg.SensorEvaluationContext):
    identity = window_identity(context.instance.get_dynamic_partitions(tenant_partitions.name))
    state = json.loads(context.cursor) if context.cursor else {}
    done = state.get("done", []) if state.get("window") == identity else []
    keys = tenant_day_asset_keys(context.repository_def)
    todo = [key for key in keys if key.to_user_string() not in done]
    if not todo:
        return dg.SkipReason(f"partition status current for window {identity}")
    started = time.monotonic()
    rebuilt = 0
    for key in todo:
        context.instance.get_status_by_partition(key, [], tenant_day_partitions)
        done.append(key.to_user_string())
        rebuilt += 1
        if time.monotonic() - started > TICK_BUDGET_S:
            break
    return dg.SensorResult(
        skip_reason=f"rebuilt the partition status of {rebuilt} assets for window {identity} in "
        f"{time.monotonic() - started:.1f} s; {len(todo) - rebuilt} left for the next tick",
        cursor=json.dumps({"window": identity, "done": done}),
    )
