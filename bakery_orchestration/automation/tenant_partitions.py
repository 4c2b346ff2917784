"""``tenant_partitions_sensor``: the dynamic ``tenant`` partitions follow the tenant registry.

Active and suspended tenants have a partition (a suspended bakery keeps its history); cancelled
ones lose it. Every added or deleted partition invalidates Dagster's partition status cache of all
tenant-partitioned assets, so changes go in at most one add and one delete request per tick, each
capped at ``BATCH_SIZE`` tenants; the rest follow on the next ticks.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import dagster as dg

from bakery_orchestration.core.partitions import tenant_partitions
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.tenants.registry import Tenant, list_tenants

BATCH_SIZE = 200
PARTITIONED_STATUSES = ("active", "suspended")


@dataclass(frozen=True)
class PartitionChanges:
    add: list[str]
    delete: list[str]


def partition_changes(
    tenants: Iterable[Tenant], known: Iterable[str], batch_size: int = BATCH_SIZE
) -> PartitionChanges:
    """Which tenant partitions to add and delete so the instance matches the registry."""
    known = set(known)
    wanted = {t.slug for t in tenants if t.status in PARTITIONED_STATUSES}
    cancelled = {t.slug for t in tenants if t.status == "cancelled"}
    return PartitionChanges(
        add=sorted(wanted - known)[:batch_size],
        delete=sorted(cancelled & known)[:batch_size],
    )


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds the registry's active and suspended tenants to the tenant partitions and "
    "removes cancelled ones, in batches.",
)
def tenant_partitions_sensor(context: dg.SensorEvaluationContext, database: OrchestrationDatabase):
    changes = partition_changes(
        list_tenants(database.engine), context.instance.get_dynamic_partitions("tenant")
    )
    requests = []
    if changes.add:
        requests.append(tenant_partitions.build_add_request(changes.add))
    if changes.delete:
        requests.append(tenant_partitions.build_delete_request(changes.delete))
    if not requests:
        return dg.SkipReason("tenant partitions match the registry")
    context.log.info(f"adding {changes.add}, deleting {changes.delete}")
    return dg.SensorResult(dynamic_partitions_requests=requests)
