"""Planning and reporting assets: the day's bake, the ingredient outlook, what to order, and the
owner's summary posted to the bakery's webhook. Rules: docs/PLANNING.md."""

from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from bakery_orchestration.audit.writer import output_id
from bakery_orchestration.core.names import OPERATIONS_OWNER, PLANNING_GROUP, REPORTING_GROUP
from bakery_orchestration.core.partitions import split_key
from bakery_orchestration.core.readable import markdown_table, per_tenant, rounded
from bakery_orchestration.db.schema import validation_runs
from bakery_orchestration.framework.daily_asset import daily_asset
from bakery_orchestration.framework.io_manager import PartitionTables
from bakery_orchestration.framework.policies import SERVICE_RETRY_POLICY
from bakery_orchestration.notifications.resources import WebhookNotifier
from bakery_orchestration.planning import checks, daily, store
from bakery_orchestration.planning.summary import build_daily_summary
from bakery_orchestration.planning.summary_markdown import summary_markdown
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.storage.rows import read_partition
from bakery_orchestration.tenants.registry import get_tenant
from bakery_orchestration.validation.assets import forecast_validation

ACCURACY_FIELDS = ("validated_date", "scored_lines", "accuracy", "mape", "wape", "bias", "coverage")


@daily_asset(
    group_name=PLANNING_GROUP,
    owners=[OPERATIONS_OWNER],
    tags={"audience": "baker", "domain": "planning"},
    check_specs=[
        checks.spec(checks.PLAN_CHECK, "production_plan", "Whole batches, within oven capacity."),
        checks.spec(checks.CLOSED_CHECK, "production_plan", "Nothing is baked on a closed day."),
    ],
)
def production_plan(
    context: dg.AssetExecutionContext,
    demand_forecast: pd.DataFrame,
    database: OrchestrationDatabase,
):
    """Units and batches to bake per product on the partition date, within oven capacity."""
    slug, day = split_key(context.partition_key)
    tenant = get_tenant(database.engine, slug)
    with database.engine.connect() as conn:
        products = store.plan_products(conn, tenant.id)
        capacity = store.oven_capacity(conn, tenant.id, day)
    plan = daily.plan_day(demand_forecast, products, day, capacity, tenant.closed_weekdays)
    if plan.unplanned_products:
        context.log.warning(
            f"{slug} {day}: no product master data for {', '.join(plan.unplanned_products)}; "
            "not planned (`bakery-orch tenants load-products`)"
        )
    audit = {
        "counters": {"production_batches_created": int(plan.rows["batches"].sum())},
        "run_values": {"production_schedule_id": output_id("production_plans", tenant.id, day)},
    }
    metadata = _plan_metadata(plan, slug)
    yield dg.Output(PartitionTables(plan.rows, audit=audit), metadata=metadata)
    yield checks.check_result(checks.PLAN_CHECK, checks.plan_problems(plan.rows, capacity))
    yield checks.check_result(
        checks.CLOSED_CHECK, checks.closed_day_problems(plan.rows, plan.closed)
    )


PLAN_TABLE = [
    ("product_id", "product"),
    ("p50", "P50 demand (units)"),
    ("quantity", "to bake (units)"),
    ("batches", "batches"),
    ("expected_waste", "expected waste (units)"),
    ("cut_units", "cut for oven capacity"),
]


def _plan_metadata(plan: daily.DayPlan, tenant: str) -> dict:
    rows = plan.rows
    units = int(rows["quantity"].sum())
    waste = rounded(rows["expected_waste"].sum())
    metadata = {
        "plan": _plan_table(plan),
        "closed": plan.closed,
        "products_planned": int((rows["quantity"] > 0).sum()),
        "batches": int(rows["batches"].sum()),
        "units": units,
        "oven_minutes_used": rounded(rows["oven_minutes"].sum()),
        "units_cut_for_capacity": int(rows["cut_units"].sum()),
        "expected_waste_units": waste,
        "expected_stockout_units": rounded(rows["expected_stockout_units"].sum()),
        "expected_margin": rounded(rows["margin"].sum(), 2),
        "unplanned_products": len(plan.unplanned_products),
        **per_tenant(tenant, {"units to bake": units, "expected waste units": waste}),
    }
    if plan.capacity_minutes is not None:
        metadata["oven_minutes_capacity"] = rounded(plan.capacity_minutes)
    return metadata


def _plan_table(plan: daily.DayPlan) -> dg.MetadataValue:
    if plan.closed:
        return dg.MetadataValue.md("_Closed today: nothing to bake._")
    rows = plan.rows
    baked = rows[rows["quantity"] > 0]
    table = baked.sort_values(["quantity", "product_id"], ascending=[False, True])
    return markdown_table(table.to_dict("records"), PLAN_TABLE, empty="nothing to bake")


@daily_asset(
    group_name=PLANNING_GROUP,
    owners=[OPERATIONS_OWNER],
    tags={"audience": "operator", "domain": "planning"},
)
def inventory_projection(
    context: dg.AssetExecutionContext,
    production_plan: pd.DataFrame,
    demand_forecast: pd.DataFrame,
    database: OrchestrationDatabase,
) -> dg.Output[PartitionTables]:
    """Ingredient stock day by day for 14 days: receipts, consumption, spoilage, safety stock."""
    slug, day = split_key(context.partition_key)
    tenant_id = database.tenant_id(slug)
    with database.engine.connect() as conn:
        master = {
            "stock": store.stock(conn, tenant_id),
            "recipes": store.recipes(conn, tenant_id),
            "ingredients": store.ingredients(conn, tenant_id),
        }
        orders = store.open_orders(conn, tenant_id, day)
    rows = daily.project_day(day, production_plan, demand_forecast, master, orders)
    below = rows[rows["below_safety"]]
    return dg.Output(
        PartitionTables(rows),
        metadata={
            "ingredients": int(rows["ingredient_id"].nunique()),
            "days": daily.PROJECTION_DAYS,
            "ingredients_below_safety": int(below["ingredient_id"].nunique()),
            "ingredients_short": int(rows.loc[rows["shortage"] > 0, "ingredient_id"].nunique()),
            "open_order_lines": len(orders),
            "consumption_today": float(
                rows.loc[rows["projection_date"] == day, "consumption"].sum()
            ),
        },
    )


@daily_asset(
    group_name=PLANNING_GROUP,
    owners=[OPERATIONS_OWNER],
    tags={"audience": "baker", "domain": "procurement"},
    check_specs=[
        checks.spec(
            checks.ORDER_CHECK, "procurement_needs", "Order lines meet MOQ and whole packs."
        )
    ],
)
def procurement_needs(
    context: dg.AssetExecutionContext,
    inventory_projection: pd.DataFrame,
    database: OrchestrationDatabase,
):
    """Ingredients to buy, from whom, when and how much, grouped into purchase orders."""
    slug, day = split_key(context.partition_key)
    tenant_id = database.tenant_id(slug)
    with database.engine.connect() as conn:
        suppliers = store.suppliers(conn, tenant_id)
    result = daily.procure_day(inventory_projection, suppliers, day, tenant_id)
    proposals = result.proposals
    companions = {"purchase_orders": result.orders, "purchase_order_lines": result.lines}
    audit = {
        "counters": {
            "procurement_plans_created": len(proposals),
            "purchase_orders_created": len(result.purchase_orders),
        },
        "run_values": {"procurement_plan_id": output_id("procurement_proposals", tenant_id, day)},
    }
    yield dg.Output(
        PartitionTables(proposals, companions, audit=audit),
        metadata={
            "procurement_plans": len(proposals),
            "purchase_orders": len(result.purchase_orders),
            "purchase_orders_today": sum(
                order["order_date"] <= day.isoformat() for order in result.purchase_orders
            ),
            "late_lines": int((proposals["reason"] == "late").sum()),
            "unsupplied_ingredients": int((proposals["reason"] == "no_supplier").sum()),
            "total_cost": rounded(sum(o["total_cost"] for o in result.purchase_orders), 2),
            "orders": _orders_table(result.purchase_orders),
            **per_tenant(slug, {"purchase orders": len(result.purchase_orders)}),
        },
    )
    problems = checks.order_problems(result.lines, suppliers, result.orders)
    yield checks.check_result(checks.ORDER_CHECK, problems)


ORDER_TABLE = [
    ("supplier", "supplier"),
    ("order_date", "order date"),
    ("lines", "lines"),
    ("ingredients", "ingredients"),
    ("total_cost", "total cost"),
    ("late", "late"),
]


def _orders_table(orders: list[dict]) -> dg.MetadataValue:
    rows = [
        {
            **order,
            "lines": len(order["lines"]),
            "ingredients": ", ".join(line["ingredient"] for line in order["lines"]),
        }
        for order in orders
    ]
    return markdown_table(rows, ORDER_TABLE, empty="no purchase order")


@daily_asset(
    group_name=REPORTING_GROUP,
    owners=[OPERATIONS_OWNER],
    tags={"audience": "baker", "domain": "reporting"},
    kinds={"python", "sql", "webhook"},
    deps=[forecast_validation],
    retry_policy=SERVICE_RETRY_POLICY,
)
def daily_summary(
    context: dg.AssetExecutionContext,
    production_plan: pd.DataFrame,
    procurement_needs: pd.DataFrame,
    insights: pd.DataFrame,
    database: OrchestrationDatabase,
    notifier: WebhookNotifier,
) -> dg.Output[PartitionTables]:
    """The owner's morning summary (bake, orders, yesterday's accuracy, risks), posted to the
    bakery's webhook."""
    slug, day = split_key(context.partition_key)
    tenant = get_tenant(database.engine, slug)
    with database.engine.connect() as conn:
        accuracy = _accuracy(read_partition(conn, validation_runs, tenant.id, day))
    summary = build_daily_summary(
        day, daily.plan_frame(production_plan), daily.proposals_frame(procurement_needs), accuracy
    )
    payload = {"tenant": slug, **summary, "insights": list(insights["message"])}
    delivery = _deliver(context, notifier, tenant, payload)
    row = pd.DataFrame([{"payload": payload, **delivery}])
    sent = delivery["delivery_status"] == "sent"
    metadata = {k: v for k, v in delivery.items() if v is not None and k != "delivered_at"}
    metadata.update(
        summary=dg.MetadataValue.md(summary_markdown(payload, delivery["delivery_status"])),
        units=summary["bake_totals"]["units"],
        orders_today=len(summary["orders"]["today"]),
        orders_later=len(summary["orders"]["later"]),
    )
    audit = {
        # sent -> success; failed (webhook down) -> failed; skipped (no webhook) -> skipped
        "status": {"sent": "success"}.get(delivery["delivery_status"], delivery["delivery_status"]),
        "error": delivery.get("delivery_error") if not sent else None,
        "counters": {
            "notifications_sent": int(sent),
            "ai_insights_posted": len(insights) if sent else 0,
        },
        "details": {"delivery_status": delivery["delivery_status"]},
    }
    return dg.Output(PartitionTables(row, audit=audit), metadata=metadata)


def _accuracy(runs: pd.DataFrame) -> dict | None:
    if runs.empty or not runs.iloc[0]["scored_lines"]:
        return None
    return {field: runs.iloc[0][field] for field in ACCURACY_FIELDS}


def _deliver(context, notifier: WebhookNotifier, tenant, payload: dict) -> dict:
    """Post the summary, signed with the tenant's secret; a failure is recorded, never raised."""
    if not tenant.webhook_url:
        return {"delivery_status": "skipped", "delivery_error": "no webhook_url", "attempts": 0}
    result = notifier.deliver(tenant.webhook_url, payload, secret=tenant.webhook_secret)
    if result.status == "failed":
        context.log.warning(f"daily summary not delivered: {result.error}")
    return {
        "delivery_status": result.status,
        "delivery_error": result.error,
        "http_status": result.http_status,
        "attempts": result.attempts,
        "delivered_at": datetime.now(UTC) if result.status == "sent" else None,
    }
