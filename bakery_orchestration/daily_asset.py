"""``daily_asset``: the decorator every per-(tenant, day) asset of the daily graph uses, so each
one is partitioned the same way, persisted by the orchestration IO manager and audited when its
step fails."""

import dagster as dg

from bakery_orchestration.audit.recorder import audit_failure_hook
from bakery_orchestration.names import IO_MANAGER_KEY
from bakery_orchestration.partitions import tenant_day_partitions

DEFAULT_KINDS = frozenset({"python", "sql"})


def daily_asset(*, group_name: str, kinds: set[str] | frozenset[str] = DEFAULT_KINDS, **kwargs):
    """``@dg.asset`` for the daily graph; extra keyword arguments pass through."""
    return dg.asset(
        partitions_def=tenant_day_partitions,
        group_name=group_name,
        io_manager_key=IO_MANAGER_KEY,
        kinds=set(kinds),
        code_version=kwargs.pop("code_version", "1"),
        hooks={audit_failure_hook},
        **kwargs,
    )
