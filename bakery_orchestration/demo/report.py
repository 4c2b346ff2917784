"""The report ``bakery-orch demo`` prints: every day it ran per tenant, the last day in figures,
the checks that did not pass (with their descriptions), what the report's words mean, and the
exact commands that open the same instance in the Dagster UI."""

import shlex
from collections import Counter
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bakery_orchestration.db import schema
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.demo.run import DemoRun

MAX_CHECK_LINES = 8
DAY_MARK = {"ok": ".", "warn": "w", "failed": "F"}
LEGEND = [
    '"summary skipped": the bakery has no webhook_url, so its morning summary was stored, not '
    "posted;",
    '"0 units (closed)": the bakery is closed that day (closing weekday or holiday): nothing to '
    "bake.",
]


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
        "units": int(units or 0),
        "batches": int(batches or 0),
        "orders": len(due),
        "due": sum(bool(d) for d in due),
        "summary": delivery or "n/a",
    }


def render_report(url: str, runs: list[DemoRun], event_log: Path, hints: list[str]) -> list[str]:
    """The report's lines."""
    days = sorted({run.day for run in runs})
    verdicts = Counter(run.verdict for run in runs)
    tenants = list(dict.fromkeys(run.tenant for run in runs))
    lines = [
        f"Daily cycle of {len(tenants)} bakeries for {len(days)} days, {days[0]} .. {days[-1]}: "
        + ", ".join(f"{verdicts[v]} {v}" for v in ("ok", "warn", "failed")),
        f"Dagster's event log: {event_log}",
        "",
        "Each day, oldest first (. ok, w warn, F failed; c closed and ok):",
    ]
    for tenant in tenants:
        mine = sorted((r for r in runs if r.tenant == tenant), key=lambda r: r.day)
        marks = "".join(
            "c" if r.closed and r.verdict == "ok" else DAY_MARK[r.verdict] for r in mine
        )
        lines.append(f"  {tenant:<20} {marks}")
    lines += ["", f"The last day, {days[-1]}:", *_last_day(url, runs, days[-1])]
    lines += _check_lines(runs)
    return [*lines, "", *LEGEND, "", *hints]


def _last_day(url: str, runs: list[DemoRun], day: date) -> list[str]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            ids = dict(
                (slug, tid)
                for tid, slug in conn.execute(sa.select(schema.tenants.c.id, schema.tenants.c.slug))
            )
            return [
                _line(run, tenant_report(conn, ids[run.tenant], day))
                for run in runs
                if run.day == day
            ]
    finally:
        engine.dispose()


def _line(run: DemoRun, report: dict) -> str:
    head = f"  {run.tenant:<20} {run.verdict:<6} {report['products']:>3} products forecast"
    validation = report["validation"]
    if validation is None or validation.accuracy is None:
        head += ", yesterday's accuracy: n/a"
    else:
        head += (
            f", yesterday's accuracy {validation.accuracy:.1f}% "
            f"(MAPE {validation.mape:.1f}%, coverage {validation.coverage:.0f}%)"
        )
    plan = report["planning"]
    closed = " (closed)" if run.closed else ""
    return head + (
        f"\n  {'':<27} bake {plan['units']} units{closed} in {plan['batches']} batches, "
        f"{plan['orders']} purchase orders ({plan['due']} to place today), "
        f"summary {plan['summary']}"
    )


def _check_lines(runs: list[DemoRun]) -> list[str]:
    failures = [(run, check) for run in runs for check in run.checks_failed]
    failures += [(run, None) for run in runs if not run.success]
    if not failures:
        return ["", "Every check passed on every day."]
    lines = ["", f"Did not pass ({len(failures)}):"]
    for run, check in failures[:MAX_CHECK_LINES]:
        if check is None:
            what = f"run failed (audit: {run.audit_status or 'n/a'})"
        else:
            what = f"{check.severity} {check.name}: {' '.join(check.description.split())}"
        lines.append(f"  {run.day} {run.tenant:<16} {what}"[:150])
    if len(failures) > MAX_CHECK_LINES:
        lines.append(
            f"  ... and {len(failures) - MAX_CHECK_LINES} more: see the event log, "
            "`bakery-orch runs list` or the UI"
        )
    return lines


def ui_hints(root: Path, environment: dict[str, str]) -> list[str]:
    """Commands that open this instance in the Dagster UI, pasted as they are."""
    env = " ".join(f"{name}={shlex.quote(value)}" for name, value in environment.items())
    prefix = f"cd {shlex.quote(str(root))} && {env}"
    return [
        "See it in the Dagster UI (http://127.0.0.1:3000; Ctrl-C stops it):",
        f"  {prefix} .venv/bin/dagster dev",
        "or the UI alone, read-only (nothing can be launched from it):",
        f"  {prefix} .venv/bin/dagster-webserver -w workspace.yaml --read-only",
    ]
