"""The planning and reporting assets in the whole daily graph, on SQLite and PostgreSQL.

Two demo bakeries run the daily cycle for a Sunday and the Monday after (the second bakery is
closed on Mondays); one module-scoped database per dialect is shared by the tests. Three weeks
of history put the forecast on its seasonal-naive cold-start path, so no demand model is fitted
here (the model has its own tests) and the whole graph runs in seconds. The owner's summary is
posted to a real HTTP server on 127.0.0.1; the delivery tests re-run only ``daily_summary``
against scripted replies.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from bakery_orchestration.core.partitions import partition_key
from bakery_orchestration.db import schema
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.migrate import ensure_schema
from bakery_orchestration.definitions import build_definitions
from bakery_orchestration.demo.run import prepare_tenants
from bakery_orchestration.instance import register_tenant_partitions
from bakery_orchestration.notifications.resources import WebhookNotifier
from bakery_orchestration.resources import local_resources
from bakery_orchestration.tenants.registry import get_tenant
from tests.conftest import DIALECTS
from tests.helpers.http_server import Reply, ScriptedServer
from tests.postgres import require_postgres

SUNDAY, MONDAY = date(2026, 3, 1), date(2026, 3, 2)
OPEN_TENANT, MONDAY_CLOSED_TENANT = "demo-bakery-1", "demo-bakery-2"
HISTORY_DAYS = 21
# One worker runs the whole module, so the module-scoped graph is built once per dialect.
pytestmark = pytest.mark.xdist_group("planning_assets")
PLANNING_ASSETS = ["production_plan", "inventory_projection", "procurement_needs", "daily_summary"]
# The steps these tests depend on; other assets of the job (insights...) have their own tests.
DAILY_GRAPH = ["daily_sales", "demand_forecast", "forecast_validation", *PLANNING_ASSETS]


@dataclass
class Graph:
    url: str
    engine: sa.Engine
    job: dg.JobDefinition
    instance: dg.DagsterInstance
    server: ScriptedServer
    tenant_ids: dict[str, object]

    def run(self, tenant: str, day: date, assets: list[str] | None = None):
        selection = [dg.AssetKey(a) for a in assets] if assets else None
        return self.job.execute_in_process(
            partition_key=partition_key(tenant, day),
            instance=self.instance,
            asset_selection=selection,
            raise_on_error=False,
        )

    def rows(self, table: sa.Table, tenant: str, day: date) -> pd.DataFrame:
        query = sa.select(table).where(
            table.c.tenant_id == self.tenant_ids[tenant], table.c.partition_date == day
        )
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all())


@pytest.fixture(scope="module", params=DIALECTS)
def graph(request, tmp_path_factory, postgres_server) -> Iterator[Graph]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('planning') / 'orchestration.db'}"
    else:
        require_postgres(postgres_server)
        url = postgres_server.create_database()
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        dg.instance_for_test() as instance,
        ScriptedServer() as server,
    ):
        monkeypatch.setenv("BAKERY_HOME", str(tmp_path_factory.mktemp("bakery_home")))
        monkeypatch.setenv("BAKERY_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32")  # test receiver
        ensure_schema(url)
        engine = create_db_engine(url)
        tenants = prepare_tenants(engine, 2, MONDAY, history_days=HISTORY_DAYS)
        with engine.begin() as conn:
            conn.execute(
                sa.update(schema.tenants)
                .where(schema.tenants.c.slug == OPEN_TENANT)
                .values(webhook_url=f"{server.url}/hooks/summary")
            )
        register_tenant_partitions(instance, tenants)
        resources = local_resources(url)
        resources["notifier"] = WebhookNotifier(
            timeout_seconds=0.5, max_attempts=2, backoff_base_seconds=0, backoff_max_seconds=0
        )
        job = build_definitions(resources).resolve_job_def("daily_cycle_job")
        built = Graph(url, engine, job, instance, server, {t.slug: t.id for t in tenants})
        server.reply(Reply(200, {"ok": True}), Reply(200, {"ok": True}))
        for day in (SUNDAY, MONDAY):
            for tenant in tenants:
                result = built.run(tenant.slug, day)
                succeeded = {event.step_key for event in result.get_step_success_events()}
                missing = sorted(set(DAILY_GRAPH) - succeeded)
                assert not missing, f"{tenant.slug} {day}: {missing} did not succeed"
        yield built
        engine.dispose()


def _open_days():
    return [(OPEN_TENANT, SUNDAY), (OPEN_TENANT, MONDAY), (MONDAY_CLOSED_TENANT, SUNDAY)]


def test_plan_has_whole_batches_for_every_forecast_product_within_capacity(graph):
    for tenant, day in _open_days():
        plan = graph.rows(schema.production_plans, tenant, day)
        forecast = graph.rows(schema.demand_forecasts, tenant, day)
        today = forecast[forecast["target_date"] == day].set_index("product_id")
        assert set(plan["product_id"]) == set(today.index), (tenant, day)
        assert (plan["quantity"] >= 0).all()
        assert (plan["quantity"] % plan["batch_size"] == 0).all()
        assert (plan["quantity"] == plan["batches"] * plan["batch_size"]).all()
        assert plan["quantity"].sum() > 0
        capacity = plan["capacity_minutes"].iloc[0]
        assert capacity > 0 and plan["oven_minutes"].sum() <= capacity
        traced = plan.set_index("product_id")
        assert (traced["p50"] == today.loc[traced.index, "p50"]).all()
        assert ((traced["quantile_used"] > 0) & (traced["quantile_used"] < 1)).all()


def test_closed_day_has_no_plan_but_the_summary_says_closed(graph):
    assert graph.rows(schema.production_plans, MONDAY_CLOSED_TENANT, MONDAY).empty
    summary = graph.rows(schema.daily_summaries, MONDAY_CLOSED_TENANT, MONDAY)
    assert summary["payload"].iloc[0]["closed"] is True
    assert summary["payload"].iloc[0]["bake"] == []


def test_inventory_projection_covers_every_ingredient_for_fourteen_days(graph):
    projection = graph.rows(schema.inventory_projections, OPEN_TENANT, MONDAY)
    with graph.engine.connect() as conn:
        ingredients = conn.execute(
            sa.select(sa.func.count()).where(
                schema.ingredients.c.tenant_id == graph.tenant_ids[OPEN_TENANT]
            )
        ).scalar_one()
    assert len(projection) == ingredients * 14
    first = projection[projection["projection_date"] == MONDAY]
    flour = first.set_index("ingredient_id").loc["flour"]
    assert flour["consumption"] > 0
    balance = (
        projection["opening"]
        + projection["receipts"]
        - projection["consumption"]
        - projection["expired"]
    )
    assert (balance - projection["closing"]).abs().max() < 1e-6


def test_purchase_orders_respect_moq_and_pack_size(graph):
    lines = []
    for tenant, day in [(t, d) for t in graph.tenant_ids for d in (SUNDAY, MONDAY)]:
        orders = graph.rows(schema.purchase_orders, tenant, day)
        order_lines = graph.rows(schema.purchase_order_lines, tenant, day)
        if orders.empty:
            continue
        assert set(orders["status"]) == {"open"} and set(orders["source"]) == {"procurement"}
        lines.append(
            order_lines.merge(
                orders[["id", "supplier_id"]], left_on="purchase_order_id", right_on="id"
            )
        )
    assert lines, "the demo stock is meant to run short: some orders must be proposed"
    lines = pd.concat(lines, ignore_index=True)
    with graph.engine.connect() as conn:
        suppliers = pd.DataFrame(conn.execute(sa.select(schema.suppliers)).mappings().all())
    terms = lines.merge(suppliers, on=["tenant_id", "supplier_id", "ingredient_id"])
    assert len(terms) == len(lines)
    assert (terms["quantity"] >= terms["min_order_qty"] - 1e-9).all()
    packs = terms["quantity"] / terms["pack_size"]
    assert ((packs - packs.round()).abs() < 1e-9).all()
    assert (packs.round() == terms["packs"]).all()


def test_proposals_reference_their_purchase_orders(graph):
    proposals = graph.rows(schema.procurement_proposals, OPEN_TENANT, MONDAY)
    orders = graph.rows(schema.purchase_orders, OPEN_TENANT, MONDAY)
    ordered = proposals[proposals["reason"] != "no_supplier"]
    assert set(ordered["po_number"]) == set(orders["po_number"])


def _snapshot(graph: Graph, tenant: str, day: date) -> dict:
    tables = [
        schema.production_plans,
        schema.inventory_projections,
        schema.procurement_proposals,
        schema.purchase_orders,
        schema.purchase_order_lines,
        schema.daily_summaries,
    ]
    volatile = {"created_at", "delivered_at"}
    snapshot = {}
    for table in tables:
        frame = graph.rows(table, tenant, day)
        frame = frame.drop(columns=[c for c in frame.columns if c in volatile])
        snapshot[table.name] = frame.sort_values(list(frame.columns[:4])).reset_index(drop=True)
    return snapshot


def test_rerunning_a_partition_leaves_identical_rows(graph):
    before = _snapshot(graph, OPEN_TENANT, MONDAY)
    graph.server.reply(Reply(200))
    assert graph.run(OPEN_TENANT, MONDAY, PLANNING_ASSETS).success
    after = _snapshot(graph, OPEN_TENANT, MONDAY)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(frame, after[name], obj=name)
    assert len(before["production_plans"]) > 0


def test_rerun_keeps_received_orders_and_replans_the_open_ones(graph):
    orders = graph.rows(schema.purchase_orders, OPEN_TENANT, MONDAY)
    assert len(orders) >= 2
    received = orders.sort_values("po_number").iloc[0]
    lines = graph.rows(schema.purchase_order_lines, OPEN_TENANT, MONDAY)
    received_lines = lines[lines["purchase_order_id"] == received["id"]]
    at = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
    with graph.engine.begin() as conn:
        conn.execute(
            sa.update(schema.purchase_orders)
            .where(schema.purchase_orders.c.id == received["id"])
            .values(status="received", received_at=at)
        )
    graph.server.reply(Reply(200))
    result = graph.run(OPEN_TENANT, MONDAY, PLANNING_ASSETS)
    assert result.success
    after = graph.rows(schema.purchase_orders, OPEN_TENANT, MONDAY).set_index("po_number")
    assert set(after.index) == set(orders["po_number"])
    assert after.loc[received["po_number"], "status"] == "received"
    stamp = pd.Timestamp(after.loc[received["po_number"], "received_at"])
    assert (stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")) == at
    assert (after.drop(index=received["po_number"])["status"] == "open").all()
    kept_lines = graph.rows(schema.purchase_order_lines, OPEN_TENANT, MONDAY)
    kept_lines = kept_lines[kept_lines["purchase_order_id"] == received["id"]]
    assert sorted(kept_lines["ingredient_id"]) == sorted(received_lines["ingredient_id"])
    stored = [
        e.step_materialization_data.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("procurement_needs")
    ]
    assert stored[0]["rows_kept_settled"].value == 1


def _summary(graph: Graph, tenant: str = OPEN_TENANT) -> pd.Series:
    return graph.rows(schema.daily_summaries, tenant, MONDAY).iloc[0]


def test_summary_is_posted_and_recorded_as_sent(graph):
    graph.server.reply(Reply(200, {"ok": True}))
    seen = len(graph.server.requests)
    assert graph.run(OPEN_TENANT, MONDAY, ["daily_summary"]).success
    request = graph.server.requests[seen]
    assert request.method == "POST" and request.route == "/hooks/summary"
    body = request.json()
    assert body["tenant"] == OPEN_TENANT and body["date"] == MONDAY.isoformat()
    plan = graph.rows(schema.production_plans, OPEN_TENANT, MONDAY)
    assert body["bake_totals"]["units"] == plan["quantity"].sum()
    row = _summary(graph)
    assert row["delivery_status"] == "sent" and row["http_status"] == 200
    assert row["delivered_at"] is not None and row["payload"] == body
    secret = get_tenant(graph.engine, OPEN_TENANT).webhook_secret
    assert Webhook(secret).verify(request.body, request.headers) == body  # signed, per tenant


def test_summary_failed_on_server_error_keeps_the_plans(graph):
    graph.server.reply(Reply(500, "boom"), Reply(500, "boom"))
    result = graph.run(OPEN_TENANT, MONDAY, ["daily_summary"])
    assert result.success
    row = _summary(graph)
    assert row["delivery_status"] == "failed" and row["http_status"] == 500
    assert "500" in row["delivery_error"] and row["delivered_at"] is None
    assert not graph.rows(schema.production_plans, OPEN_TENANT, MONDAY).empty
    materialization = result.asset_materializations_for_node("daily_summary")[0]
    assert materialization.metadata["delivery_status"].value == "failed"


def test_summary_failed_on_timeout(graph):
    graph.server.reply(Reply(200, delay_seconds=3), Reply(200, delay_seconds=3))
    assert graph.run(OPEN_TENANT, MONDAY, ["daily_summary"]).success
    row = _summary(graph)
    assert row["delivery_status"] == "failed" and row["http_status"] is None
    assert "tim" in row["delivery_error"].lower()
    assert not graph.rows(schema.procurement_proposals, OPEN_TENANT, MONDAY).empty


def test_summary_skipped_without_webhook(graph):
    for day in (SUNDAY, MONDAY):
        row = graph.rows(schema.daily_summaries, MONDAY_CLOSED_TENANT, day).iloc[0]
        assert row["delivery_status"] == "skipped" and row["attempts"] == 0
    assert not graph.rows(schema.production_plans, MONDAY_CLOSED_TENANT, SUNDAY).empty


def _metadata(graph: Graph, asset: str, tenant: str, day: date) -> dict:
    """The metadata of the fixture's materialization (the first; some tests re-run days)."""
    records = graph.instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=dg.AssetKey(asset), asset_partitions=[str(partition_key(tenant, day))]
        ),
        limit=1,
        ascending=True,
    ).records
    return {k: v.value for k, v in records[0].asset_materialization.metadata.items()}


def test_plan_orders_and_summary_read_as_tables_with_rounded_figures(graph):
    plan = graph.rows(schema.production_plans, OPEN_TENANT, MONDAY)
    metadata = _metadata(graph, "production_plan", OPEN_TENANT, MONDAY)
    table = metadata["plan"].splitlines()
    assert table[0] == (
        "| product | P50 demand (units) | to bake (units) | batches | expected waste (units) "
        "| cut for oven capacity |"
    )
    assert len(table) == 2 + int((plan["quantity"] > 0).sum())
    top = plan.sort_values(["quantity", "product_id"], ascending=[False, True]).iloc[0]
    assert table[2].startswith(f"| {top['product_id']} | ")
    assert f"| {int(top['quantity'])} | {int(top['batches'])} |" in table[2]
    assert metadata["units"] == plan["quantity"].sum()
    assert metadata[f"units to bake [{OPEN_TENANT}]"] == metadata["units"]
    assert metadata["expected_waste_units"] == round(metadata["expected_waste_units"], 1)

    orders = _metadata(graph, "procurement_needs", OPEN_TENANT, MONDAY)
    placed = graph.rows(schema.purchase_orders, OPEN_TENANT, MONDAY)
    assert orders["orders"].splitlines()[0].startswith("| supplier | order date | lines |")
    assert len(orders["orders"].splitlines()) == 2 + len(placed)

    summary = _metadata(graph, "daily_summary", OPEN_TENANT, MONDAY)["summary"]
    assert summary.splitlines()[:2] == [
        f"### Morning summary of {OPEN_TENANT}, {MONDAY}",
        "_posted to the bakery's webhook_",
    ]
    closed = _metadata(graph, "daily_summary", MONDAY_CLOSED_TENANT, MONDAY)["summary"]
    assert "**Closed today**: nothing to bake." in closed.splitlines()
    closed_plan = _metadata(graph, "production_plan", MONDAY_CLOSED_TENANT, MONDAY)
    assert closed_plan["plan"] == "_Closed today: nothing to bake._"
