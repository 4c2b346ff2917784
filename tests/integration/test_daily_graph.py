"""The whole daily graph for 2 demo tenants x 2 days on SQLite and PostgreSQL: forecasts for
every tenant x 7 days x product, a validation per tenant whose figures match the stored
per-product rows, idempotent re-runs, and no leakage of sales on or after the partition date."""

from datetime import timedelta

import dagster as dg
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bakery_orchestration.db import schema
from bakery_orchestration.sales.history import store_sales_history
from tests.conftest import DIALECTS
from tests.integration.audit_world import DAY, prepared_world

PARTITION_TABLES = [
    schema.daily_sales,
    schema.demand_forecasts,
    schema.validation_runs,
    schema.validation_product_metrics,
    schema.production_plans,
    schema.inventory_projections,
    schema.procurement_proposals,
    schema.insights,
]


@pytest.fixture(scope="module", params=DIALECTS)
def graph(request, tmp_path_factory, postgres_server):
    home = tmp_path_factory.mktemp("graph_home")
    with prepared_world(request.param, home, postgres_server, tenants=2) as world:
        for day in (DAY - timedelta(days=1), DAY):
            for tenant in world.tenants:
                assert world.run(tenant.slug, day).success
        yield world


def _partition(world, table: sa.Table, tenant_id, day) -> pd.DataFrame:
    query = sa.select(table).where(table.c.tenant_id == tenant_id, table.c.partition_date == day)
    with world.engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all())
    keys = [c.name for c in table.primary_key.columns]
    return frame.sort_values(keys, ignore_index=True) if len(frame) else frame


def test_forecasts_for_every_tenant_day_and_product(graph):
    for tenant in graph.tenants:
        rows = _partition(graph, schema.demand_forecasts, tenant.id, DAY)
        assert len(rows) == 12 * 7
        assert rows.groupby("product_id")["horizon"].apply(sorted).map(tuple).unique().tolist() == [
            tuple(range(1, 8))
        ]
        assert set(pd.to_datetime(rows["target_date"]).dt.date) == {
            DAY + timedelta(days=h) for h in range(7)
        }
        assert (rows["p10"] <= rows["p50"]).all() and (rows["p50"] <= rows["p90"]).all()
        assert (rows["p10"] >= 0).all()


def test_validation_matches_its_per_product_rows(graph):
    for tenant in graph.tenants:
        summary = _partition(graph, schema.validation_runs, tenant.id, DAY)
        products = _partition(graph, schema.validation_product_metrics, tenant.id, DAY)
        assert len(summary) == 1
        row = summary.iloc[0]
        assert row["validated_date"] == DAY - timedelta(days=1)
        scored = products.dropna(subset=["actual"])
        error = scored["actual"] - scored["forecast"]
        assert row["scored_lines"] == len(scored) > 0
        assert row["mae"] == pytest.approx(error.abs().mean())
        assert row["rmse"] == pytest.approx(np.sqrt((error**2).mean()))
        wape = 100 * error.abs().sum() / scored["actual"].sum()
        assert row["wape"] == pytest.approx(wape)
        assert row["accuracy"] == pytest.approx(max(0.0, 100 - wape))
        assert row["bias"] == pytest.approx(-100 * error.sum() / scored["actual"].sum())
        assert row["coverage"] == pytest.approx(100 * len(scored) / len(products))


def test_rerunning_a_partition_leaves_exactly_the_same_rows(graph):
    tenant = graph.tenants[0]
    before = {t.name: _partition(graph, t, tenant.id, DAY) for t in PARTITION_TABLES}
    assert graph.run(tenant.slug, DAY).success
    after = {t.name: _partition(graph, t, tenant.id, DAY) for t in PARTITION_TABLES}
    for name, frame in before.items():
        assert len(frame) > 0 or name in {"procurement_proposals", "insights"}, name
        stamps = [c for c in ("created_at",) if c in frame.columns]  # when, not what
        pd.testing.assert_frame_equal(
            frame.drop(columns=stamps), after[name].drop(columns=stamps), obj=name
        )


def test_sales_on_or_after_the_date_do_not_change_the_forecast(graph):
    tenant = graph.tenants[1]
    before = _partition(graph, schema.demand_forecasts, tenant.id, DAY)
    future = pd.DataFrame(
        {
            "date": pd.to_datetime([DAY, DAY + timedelta(days=1)]).repeat(2),
            "product": ["baguette", "croissant"] * 2,
            "quantity": [9999.0, 8888.0, 7777.0, 6666.0],
        }
    )
    store_sales_history(graph.engine, tenant.id, future)
    result = graph.job.execute_in_process(
        partition_key=dg.MultiPartitionKey({"tenant": tenant.slug, "date": DAY.isoformat()}),
        instance=graph.instance,
        asset_selection=[dg.AssetKey("demand_forecast")],
    )
    assert result.success
    after = _partition(graph, schema.demand_forecasts, tenant.id, DAY)
    pd.testing.assert_frame_equal(before, after)
