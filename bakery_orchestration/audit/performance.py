"""The four performance columns of ``orchestration_runs``, from data the project has.

Each is an integer percentage 0-100, or NULL when it cannot be known:

- ``fulfillment_rate``: expected share of demand the production plan serves,
  100 * sum(expected_sales) / (sum(expected_sales) + sum(expected_stockout_units)) over the
  partition's production plan; NULL without a plan or with zero expected demand.
- ``on_time_delivery_rate``: of the tenant's purchase orders due in the 30 days before the
  partition date, the share received on or before their expected delivery date; NULL if none
  was due.
- ``cost_accuracy``: the validated forecast's accuracy in cost terms,
  100 - 100 * sum(cost * |actual - forecast|) / sum(cost * actual), floored at 0, over the
  partition's validated products; NULL when nothing was scored.
- ``quality_score``: the partition's forecast validation accuracy (100 - WAPE); NULL when
  nothing was scored.
"""

import uuid
from datetime import date, timedelta

import sqlalchemy as sa

from bakery_orchestration.db.planning import production_plans, purchase_orders
from bakery_orchestration.db.schema import products, validation_product_metrics, validation_runs


def _percent(numerator, denominator) -> int | None:
    if numerator is None or not denominator:
        return None
    return max(0, min(100, int(round(100 * float(numerator) / float(denominator)))))


def fulfillment_rate(conn: sa.Connection, tenant_id: uuid.UUID, day: date) -> int | None:
    p = production_plans
    sales, stockouts = conn.execute(
        sa.select(sa.func.sum(p.c.expected_sales), sa.func.sum(p.c.expected_stockout_units)).where(
            p.c.tenant_id == tenant_id, p.c.partition_date == day
        )
    ).one()
    if sales is None:
        return None
    return _percent(sales, float(sales) + float(stockouts or 0))


def on_time_delivery_rate(conn: sa.Connection, tenant_id: uuid.UUID, day: date) -> int | None:
    po = purchase_orders
    due = sa.and_(
        po.c.tenant_id == tenant_id,
        po.c.status != "cancelled",
        po.c.expected_delivery_date.between(day - timedelta(days=30), day - timedelta(days=1)),
    )
    rows = conn.execute(sa.select(po.c.expected_delivery_date, po.c.received_at).where(due)).all()
    on_time = sum(
        1 for expected, received in rows if received is not None and received.date() <= expected
    )
    return _percent(on_time, len(rows))


def cost_accuracy(conn: sa.Connection, tenant_id: uuid.UUID, day: date) -> int | None:
    v, p = validation_product_metrics, products
    weighted = conn.execute(
        sa.select(
            sa.func.sum(p.c.unit_cost * v.c.abs_error), sa.func.sum(p.c.unit_cost * v.c.actual)
        )
        .select_from(
            v.join(p, sa.and_(p.c.tenant_id == v.c.tenant_id, p.c.product_id == v.c.product_id))
        )
        .where(v.c.tenant_id == tenant_id, v.c.partition_date == day, v.c.actual.is_not(None))
    ).one()
    error, total = weighted
    if error is None or not total:
        return None
    return max(0, int(round(100 - 100 * float(error) / float(total))))


def quality_score(conn: sa.Connection, tenant_id: uuid.UUID, day: date) -> int | None:
    accuracy = conn.execute(
        sa.select(validation_runs.c.accuracy).where(
            validation_runs.c.tenant_id == tenant_id, validation_runs.c.partition_date == day
        )
    ).scalar()
    return None if accuracy is None else int(round(accuracy))


def performance_metrics(conn: sa.Connection, tenant_id: uuid.UUID, day: date) -> dict:
    return {
        "fulfillment_rate": fulfillment_rate(conn, tenant_id, day),
        "on_time_delivery_rate": on_time_delivery_rate(conn, tenant_id, day),
        "cost_accuracy": cost_accuracy(conn, tenant_id, day),
        "quality_score": quality_score(conn, tenant_id, day),
    }
