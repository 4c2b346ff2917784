"""An asset backfill requested from a sensor: the one place that touches Dagster's private API.

``RunRequest.for_asset_graph_subset`` makes the sensor daemon submit a real asset backfill (on the
UI's backfills page, one run per partition, ordered by dependencies) instead of loose runs.
Dagster keeps that constructor and ``AssetGraphSubset`` private, so a Dagster upgrade may change
them: ``tests/integration/test_backfills.py`` pins the behaviour we rely on.
"""

from collections.abc import Iterable, Mapping

import dagster as dg
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset
from dagster._core.definitions.events import AssetKeyPartitionKey


def asset_backfill_request(
    asset_graph,
    asset_keys: Iterable[dg.AssetKey],
    partition_keys: Iterable[str],
    tags: Mapping[str, str],
) -> dg.RunRequest:
    """One backfill of every asset in ``asset_keys`` for every key in ``partition_keys``."""
    keys = sorted(set(asset_keys), key=lambda k: k.to_user_string())
    partitions = sorted({str(p) for p in partition_keys})
    if not keys or not partitions:
        raise ValueError("an asset backfill needs at least one asset and one partition")
    subset = AssetGraphSubset.from_asset_partition_set(
        {AssetKeyPartitionKey(key, partition) for key in keys for partition in partitions},
        asset_graph,
    )
    return dg.RunRequest.for_asset_graph_subset(subset, tags=dict(tags))


def requested_partitions(request: dg.RunRequest) -> dict[dg.AssetKey, set[str]]:
    """What a backfill request covers, per asset (for logs and tests)."""
    subset = request.asset_graph_subset
    if subset is None:
        raise ValueError("not an asset backfill request")
    found: dict[dg.AssetKey, set[str]] = {}
    for asset_partition in subset.iterate_asset_partitions():
        found.setdefault(asset_partition.asset_key, set()).add(str(asset_partition.partition_key))
    return found
