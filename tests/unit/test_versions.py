"""Code versions that move with the logic: each daily asset's code_version is a hash of its own
module and the modules of its feature package it imports; the audit's is version + commit."""

import sys
import types

import dagster as dg
import pytest

from bakery_orchestration.core import versions
from bakery_orchestration.definitions import build_definitions


def _fake_feature(tmp_path, monkeypatch, logic: str) -> str:
    """bakery_orchestration.fakefeature.assets importing its sibling ``logic`` (on disk)."""
    package = tmp_path / "bakery_orchestration" / "fakefeature"
    package.mkdir(parents=True)
    (package / "logic.py").write_text(logic)
    (package / "other.py").write_text("UNRELATED = 1\n")
    assets = package / "assets.py"
    assets.write_text("from bakery_orchestration.fakefeature import logic\nimport json\n")
    module = types.ModuleType("bakery_orchestration.fakefeature.assets")
    module.__file__ = str(assets)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    versions.logic_version.cache_clear()
    return module.__name__


def test_logic_version_moves_with_the_logic_it_imports_only(tmp_path, monkeypatch):
    name = _fake_feature(tmp_path, monkeypatch, "RATE = 1\n")
    first = versions.logic_version(name)
    assert len(first) == 12 and int(first, 16) >= 0
    (tmp_path / "bakery_orchestration" / "fakefeature" / "other.py").write_text("UNRELATED = 2\n")
    versions.logic_version.cache_clear()
    assert versions.logic_version(name) == first  # a module it does not import
    (tmp_path / "bakery_orchestration" / "fakefeature" / "logic.py").write_text("RATE = 2\n")
    versions.logic_version.cache_clear()
    assert versions.logic_version(name) != first  # its own logic changed


def test_daily_assets_have_logic_versions_and_a_backfill_policy():
    graph = build_definitions().resolve_asset_graph()
    daily = [
        "daily_sales",
        "demand_forecast",
        "forecast_validation",
        "production_plan",
        "inventory_projection",
        "procurement_needs",
        "insights",
        "daily_summary",
    ]
    nodes = {name: graph.get(dg.AssetKey(name)) for name in daily}
    for name, node in nodes.items():
        assert node.code_version is not None and len(node.code_version) == 12, name
        assert node.backfill_policy == dg.BackfillPolicy.multi_run(20), name
    # Assets of one feature package share their logic's version; other packages differ.
    assert nodes["production_plan"].code_version == nodes["procurement_needs"].code_version
    assert nodes["production_plan"].code_version != nodes["demand_forecast"].code_version
    assert nodes["daily_sales"].pools == {"sales_service"}


def test_demand_forecast_lineage_is_what_it_reads():
    graph = build_definitions().resolve_asset_graph()
    forecast = graph.get(dg.AssetKey("demand_forecast"))
    assert forecast.parent_keys == {
        dg.AssetKey("daily_sales"),
        dg.AssetKey("forecast_model"),
        dg.AssetKey("sales_history"),
    }
    history = graph.get(dg.AssetKey("sales_history"))
    assert history.parent_keys == {dg.AssetKey("daily_sales")}
    assert not history.is_executable  # the table, written by daily_sales and by imports
    job = build_definitions().resolve_job_def("daily_cycle_job")
    step = next(node for node in job.nodes if node.name == "demand_forecast")
    inputs = step.definition.input_defs
    assert sorted(i.name for i in inputs) == ["daily_sales", "forecast_model", "sales_history"]
    assert all(i.dagster_type.is_nothing for i in inputs)  # ordering only: no rows loaded


def test_release_is_the_version_plus_the_commit(monkeypatch):
    monkeypatch.setenv(versions.GIT_COMMIT_ENV, "0123456789abcdef")
    versions.git_commit.cache_clear()
    versions.release.cache_clear()
    try:
        assert versions.release().endswith("+g0123456789ab")
        assert versions.release().split("+")[0] not in ("", "unknown")
    finally:
        versions.git_commit.cache_clear()
        versions.release.cache_clear()


@pytest.mark.parametrize("value", ["0", "201", "many"])
def test_backfill_partitions_per_run_is_checked(value):
    from bakery_orchestration.core.batches import backfill_partitions_per_run
    from bakery_orchestration.core.errors import BakeryError

    with pytest.raises(BakeryError, match="BAKERY_BACKFILL_PARTITIONS_PER_RUN"):
        backfill_partitions_per_run({"BAKERY_BACKFILL_PARTITIONS_PER_RUN": value})
