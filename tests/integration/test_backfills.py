"""``automation.backfills``: our wrapper of Dagster's private backfill-from-a-sensor API, pinned
by submitting the request the way the sensor daemon does and reading the stored backfill."""

import dagster as dg
import pytest
from dagster._core.execution.backfill import PartitionBackfill

from bakery_orchestration.automation.backfills import asset_backfill_request, requested_partitions
from bakery_orchestration.definitions import build_definitions
from bakery_orchestration.resources import local_resources

KEYS = [dg.AssetKey("daily_sales"), dg.AssetKey("forecast_validation")]
PARTITIONS = ["2026-01-11|bakery-a", "2026-01-12|bakery-b"]


@pytest.fixture
def asset_graph(tmp_path):
    defs = build_definitions(resources=local_resources(f"sqlite:///{tmp_path / 'o.db'}"))
    return defs.get_repository_def().asset_graph


def test_request_covers_every_asset_for_every_partition(asset_graph):
    request = asset_backfill_request(asset_graph, KEYS, PARTITIONS, tags={"a": "b"})
    assert requested_partitions(request) == {key: set(PARTITIONS) for key in KEYS}
    assert request.tags == {"a": "b"}
    assert request.requires_backfill_daemon()


def test_daemon_style_submission_stores_one_asset_backfill(asset_graph):
    request = asset_backfill_request(asset_graph, KEYS, PARTITIONS, tags={"a": "b"})
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tenant", ["bakery-a", "bakery-b"])
        instance.add_backfill(
            PartitionBackfill.from_asset_graph_subset(
                backfill_id="late1",
                dynamic_partitions_store=instance,
                backfill_timestamp=0.0,
                asset_graph_subset=request.asset_graph_subset,
                tags=request.tags,
                title=None,
                description=None,
                run_config=None,
            )
        )
        (backfill,) = instance.get_backfills()
    assert backfill.is_asset_backfill
    assert set(backfill.asset_selection) == set(KEYS)
    assert backfill.tags == {"a": "b"}


def test_an_empty_backfill_is_refused(asset_graph):
    with pytest.raises(ValueError, match="at least one"):
        asset_backfill_request(asset_graph, KEYS, [], tags={})
