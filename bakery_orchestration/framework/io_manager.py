"""The IO manager that persists every per-(tenant, day) asset in the orchestration database.

An asset returns a ``PartitionTables``: its main table's rows and, where it has them, rows of
companion tables (quarantined sales, validation summary, purchase orders...). ``handle_output``
replaces the partition's rows of all of them in one transaction; ``load_input`` reads the main
table's rows back for the upstream partition.
"""

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import dagster as dg
import pandas as pd

from bakery_orchestration.audit.recorder import record_output
from bakery_orchestration.core.partitions import split_key
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.storage.rows import (
    lock_partitions,
    read_partition,
    replace_partition,
    settled_keys,
)
from bakery_orchestration.storage.tables import ASSET_STORAGE, AssetStorage


@dataclass
class PartitionTables:
    """One partition's output: rows of the asset's main table and of its companion tables."""

    main: pd.DataFrame
    companions: dict[str, pd.DataFrame] = field(default_factory=dict)
    audit: dict = field(default_factory=dict)
    """What this step adds to the run's audit row: ``counters`` (e.g. forecasts_generated),
    ``run_values`` (e.g. forecast_data), ``status``/``error`` when the step's work partly
    failed (a webhook down), ``details`` for the step log."""


class OrchestrationIOManager(dg.ConfigurableIOManager):
    """Stores each partition's rows in the orchestration database, replacing earlier ones.

    It holds the database's URL rather than a nested ``OrchestrationDatabase`` resource: Dagster
    1.13 initialises nested resources through a deprecated context attribute, which warned on
    every step."""

    url: str
    auto_migrate: bool = False

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.database.setup_for_execution(context)

    @property
    def database(self) -> OrchestrationDatabase:
        return _database(self.url, self.auto_migrate)

    def handle_output(
        self, context: dg.OutputContext, obj: PartitionTables | Mapping[str, PartitionTables]
    ) -> None:
        """Replace the partition's rows (or, for a tenant batch, each tenant-day's rows) and
        record the step on each tenant-day's audit row, all in one transaction that holds each
        tenant-day's write lock, so two runs of one tenant-day write one after the other."""
        storage = ASSET_STORAGE[context.asset_key.path[-1]]
        outputs = obj if isinstance(obj, Mapping) else {str(context.asset_partition_key): obj}
        audited = _in_a_run(context)
        written: dict[str, int] = {}
        slices = {
            key: (self.database.tenant_id(split_key(key)[0]), split_key(key)[1]) for key in outputs
        }
        with self.database.engine.begin() as conn:
            lock_partitions(conn, list(slices.values()))
            for key, tables in outputs.items():
                tenant_id, day = slices[key]
                kept = _settled(conn, storage, tenant_id, day)
                counts = {
                    storage.main.name: replace_partition(
                        conn,
                        storage.main,
                        tenant_id,
                        day,
                        tables.main,
                        _keep(storage, kept, storage.main),
                    )
                }
                for name, table in storage.companions.items():
                    frame = tables.companions.get(name, pd.DataFrame())
                    counts[table.name] = replace_partition(
                        conn, table, tenant_id, day, frame, _keep(storage, kept, table)
                    )
                if kept:
                    counts["kept_settled"] = len(kept)
                if audited:
                    record_output(conn, context, self.database, tables.audit, key)
                for name, count in counts.items():
                    written[name] = written.get(name, 0) + count
        context.add_output_metadata({f"rows_{name}": count for name, count in written.items()})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame | dict[str, pd.DataFrame]:
        """The upstream partition's rows; for a tenant batch, ``{partition key: rows}``."""
        storage = ASSET_STORAGE[context.asset_key.path[-1]]
        keys = [str(k) for k in context.asset_partition_keys]
        frames = {}
        with self.database.engine.connect() as conn:
            for key in keys:
                tenant, day = split_key(key)
                frames[key] = read_partition(
                    conn, storage.main, self.database.tenant_id(tenant), day
                )
        if len(keys) == 1 and not _is_range(context):
            return frames[keys[0]]
        return frames


def _settled(conn, storage: AssetStorage, tenant_id, day) -> set:
    """Keys of the partition's rows a re-run must keep (received or cancelled orders)."""
    rule = storage.settled
    if rule is None:
        return set()
    return settled_keys(conn, rule.table, rule.where, rule.key, tenant_id, day)


def _keep(storage: AssetStorage, kept: set, table) -> tuple[str, set] | None:
    column = storage.settled.columns.get(table.name) if storage.settled else None
    return (column, kept) if column and kept else None


def _is_range(context: dg.InputContext) -> bool:
    """True when the step runs over a partition range (a tenant batch), even of one key."""
    try:
        return context.step_context.has_partition_key_range
    except dg.DagsterInvariantViolationError:
        return False


def _in_a_run(context: dg.OutputContext) -> bool:
    """False for contexts built by hand in unit tests, which have no run to audit."""
    try:
        return context.step_context is not None
    except dg.DagsterInvariantViolationError:
        return False


@functools.cache
def _database(url: str, auto_migrate: bool) -> OrchestrationDatabase:
    """One resource object per database (its engine and tenant ids are cached per URL already):
    a step asks for it dozens of times, and building a resource validates its config each time."""
    return OrchestrationDatabase(url=url, auto_migrate=auto_migrate)
