"""The short readable summary ``bakery-orch demo`` prints per tenant."""

from collections.abc import Callable
from datetime import date

import sqlalchemy as sa

from bakery_orchestration.db import schema
from bakery_orchestration.db.engine import create_db_engine


def tenant_report(conn: sa.Connection, tenant_id, day: date) -> dict:
    forecasts = schema.demand_forecasts
    validation = schema.validation_runs
    products, lines = conn.execute(
        sa.select(sa.func.count(sa.distinct(forecasts.c.product_id)), sa.func.count()).where(
            forecasts.c.tenant_id == tenant_id, forecasts.c.partition_date == day
        )
    ).one()
    accuracy = conn.execute(
        sa.select(validation.c.accuracy, validation.c.mape, validation.c.coverage).where(
            validation.c.tenant_id == tenant_id, validation.c.partition_date == day
        )
    ).first()
    return {
        "products": products,
        "lines": lines,
        "validation": accuracy,
        "planning": _planning(conn, tenant_id, day),
    }


def _planning(conn: sa.Connection, tenant_id, day: date) -> dict:
    plans, orders = schema.production_plans, schema.purchase_orders
    key = {"tenant_id": tenant_id, "partition_date": day}
    units, batches = conn.execute(
        sa.select(sa.func.sum(plans.c.quantity), sa.func.sum(plans.c.batches)).where(
            *(plans.c[k] == v for k, v in key.items())
        )
    ).one()
    due = list(
        conn.execute(
            sa.select(orders.c.order_date <= day).where(*(orders.c[k] == v for k, v in key.items()))
        ).scalars()
    )
    delivery = conn.execute(
        sa.select(schema.daily_summaries.c.delivery_status).where(
            *(schema.daily_summaries.c[k] == v for k, v in key.items())
        )
    ).scalar()
    return {
        "units": units or 0,
        "batches": batches or 0,
        "orders": len(due),
        "due": sum(bool(d) for d in due),
        "summary": delivery or "n/a",
    }


def print_report(url: str, runs, day: date, echo: Callable[[str], None]) -> None:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            tenants = conn.execute(sa.select(schema.tenants.c.id, schema.tenants.c.slug)).all()
            ids = dict((slug, tid) for tid, slug in tenants)
            echo(f"\nDaily cycle for {day.isoformat()}")
            for run in (r for r in runs if r.day == day):
                report = tenant_report(conn, ids[run.tenant], day)
                echo(_line(run, report))
    finally:
        engine.dispose()


def _line(run, report: dict) -> str:
    status = "ok" if run.success else "FAILED"
    head = f"  {run.tenant:<16} {status:<6} {report['products']:>3} products forecast"
    head += f" ({report['lines']} lines)"
    validation = report["validation"]
    if validation is None or validation.accuracy is None:
        head += ", yesterday's accuracy: n/a"
    else:
        head += (
            f", yesterday's accuracy {validation.accuracy:.1f}% "
            f"(MAPE {validation.mape:.1f}%, coverage {validation.coverage:.0f}%)"
        )
    plan = report["planning"]
    return head + (
        f"\n  {'':<23} bake {plan['units']} units in {plan['batches']} batches, "
        f"{plan['orders']} purchase orders ({plan['due']} to place today), "
        f"summary {plan['summary']}"
    )
