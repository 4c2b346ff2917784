"""Delivery tracking against a real database (SQLite and PostgreSQL): hourly ticks at injected
instants raise each alert once at its time and only bump it afterwards, the job and schedule
run it, the webhook hears of new and resolved alerts only, and ``bakery-orch deliveries``
records receipts (marking the order received and resolving its alerts) and lists orders."""

import uuid
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from bakery_orchestration.cli.main import cli
from bakery_orchestration.db.schema import alerts, purchase_orders
from bakery_orchestration.definitions import build_definitions
from bakery_orchestration.deliveries.schedules import (
    DELIVERY_TRACKING_SCHEDULE,
    delivery_tracking_job,
    delivery_tracking_schedule,
)
from bakery_orchestration.deliveries.service import track_deliveries
from bakery_orchestration.deliveries.tracking import (
    ARRIVING_SOON,
    OVERDUE,
    RECEIPT_INCOMPLETE,
    WINDOW_ENV,
    DeliveryWindow,
)
from bakery_orchestration.resources import local_resources
from tests.helpers.http_server import Reply, ScriptedServer
from tests.integration.automation_support import add_tenants, migrated_database

DAY = date(2026, 3, 2)  # Madrid is UTC+1: the 07:00-09:00 window is 06:00-08:00 UTC
PO = "PO-20260227-01"
WINDOW = DeliveryWindow()


def at(hour: int, minute: int = 30, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def default_window(monkeypatch):
    monkeypatch.delenv(WINDOW_ENV, raising=False)
    monkeypatch.delenv("BAKERY_ALERT_WEBHOOK_URL", raising=False)


@pytest.fixture
def database(empty_db_url):
    db = migrated_database(empty_db_url)
    add_tenants(
        db.engine,
        ("bakery-a", {}),
        ("bakery-b", {"timezone": "America/New_York"}),
        ("paused", {"status": "suspended"}),
    )
    return db


def add_order(database, slug: str, number: str = PO, status: str = "open", expected=DAY):
    with database.engine.begin() as conn:
        conn.execute(
            sa.insert(purchase_orders).values(
                id=uuid.uuid4(),
                tenant_id=database.tenant_id(slug),
                po_number=number,
                supplier_id="harinas",
                order_date=expected - timedelta(days=3),
                expected_delivery_date=expected,
                status=status,
            )
        )


def alert_rows(database) -> list[dict]:
    query = sa.select(alerts).order_by(alerts.c.first_seen, alerts.c.alert_type)
    with database.engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def open_alerts(database) -> dict[tuple[str, str], int]:
    return {
        (r["alert_type"], r["dedup_key"]): r["occurrences"]
        for r in alert_rows(database)
        if r["resolved_at"] is None
    }


def order(database, slug: str, number: str = PO) -> dict:
    query = sa.select(purchase_orders).where(
        purchase_orders.c.tenant_id == database.tenant_id(slug),
        purchase_orders.c.po_number == number,
    )
    with database.engine.connect() as conn:
        return dict(conn.execute(query).mappings().one())


def run_cli(database, *args: str):
    return CliRunner().invoke(cli, ["--database-url", database.url, "deliveries", *args])


def test_hourly_ticks_raise_each_alert_once_at_its_time(database):
    add_order(database, "bakery-a")
    expected = {
        3: {},  # 04:30 local: the window opens in 2 h 30 min
        4: {ARRIVING_SOON: 1},  # 05:30 local: within 2 h
        5: {ARRIVING_SOON: 2},
        7: {ARRIVING_SOON: 3},  # 08:30 local: window open
        8: {ARRIVING_SOON: 3, OVERDUE: 1},  # 09:30 local: exactly 30 min after the window
        9: {ARRIVING_SOON: 3, OVERDUE: 2},
        10: {ARRIVING_SOON: 3, OVERDUE: 3, RECEIPT_INCOMPLETE: 1},  # 2 h 30 min after
        11: {ARRIVING_SOON: 3, OVERDUE: 4, RECEIPT_INCOMPLETE: 2},
    }
    for hour, counts in expected.items():
        track_deliveries(database.engine, at(hour), WINDOW)
        assert open_alerts(database) == {(k, PO): n for k, n in counts.items()}, hour
    rows = alert_rows(database)
    assert len(rows) == 3  # never a second row for the same condition
    by_type = {r["alert_type"]: r for r in rows}
    assert by_type[OVERDUE]["severity"] == "ERROR"
    assert by_type[ARRIVING_SOON]["severity"] == by_type[RECEIPT_INCOMPLETE]["severity"] == "WARN"
    assert "3 h 30 min late" in by_type[OVERDUE]["message"]  # the latest tick's message
    assert {r["tenant_id"] for r in rows} == {database.tenant_id("bakery-a")}


def test_only_open_orders_of_active_tenants_are_tracked(database):
    add_order(database, "bakery-a", "PO-OPEN")
    add_order(database, "bakery-a", "PO-DONE", status="received")
    add_order(database, "bakery-a", "PO-OFF", status="cancelled")
    add_order(database, "bakery-a", "PO-LATER", expected=DAY + timedelta(days=1))
    add_order(database, "paused", "PO-PAUSED")
    add_order(database, "bakery-b", "PO-NY")  # 07:00-09:00 New York is 12:00-14:00 UTC
    summary = track_deliveries(database.engine, at(8), WINDOW)
    assert summary.orders_checked == 3
    # A first tick after the grace period raises no stale "arriving soon", only "overdue".
    assert open_alerts(database) == {(OVERDUE, "PO-OPEN"): 1}
    track_deliveries(database.engine, at(10), WINDOW)
    assert open_alerts(database)[(ARRIVING_SOON, "PO-NY")] == 1


def test_receive_marks_the_order_received_and_resolves_its_alerts(database):
    add_order(database, "bakery-a")
    add_order(database, "bakery-a", "PO-OTHER")
    for hour in (4, 8, 10):
        track_deliveries(database.engine, at(hour), WINDOW)
    assert len(open_alerts(database)) == 6

    result = run_cli(database, "receive", PO, "--tenant", "bakery-a", "--at", "2026-03-02T11:05")
    assert result.exit_code == 0, result.output
    assert (
        "alerts resolved: DELIVERY_ARRIVING_SOON, DELIVERY_OVERDUE, STOCK_RECEIPT_INCOMPLETE"
        in (result.output)
    )
    received = order(database, "bakery-a")
    assert received["status"] == "received"
    # 11:05 without an offset is Madrid time: 10:05 UTC.
    assert received["received_at"].replace(tzinfo=UTC) == at(10, 5)
    assert set(open_alerts(database)) == {
        (ARRIVING_SOON, "PO-OTHER"),
        (OVERDUE, "PO-OTHER"),
        (RECEIPT_INCOMPLETE, "PO-OTHER"),
    }
    track_deliveries(database.engine, at(11), WINDOW)
    assert len(alert_rows(database)) == 6  # the received order raises nothing again

    again = run_cli(database, "receive", PO, "--tenant", "bakery-a")
    assert again.exit_code == 1
    assert f"error: bakery-a {PO} is received, not open" in again.output


def test_receive_finds_the_tenant_when_the_number_is_unique(database):
    add_order(database, "bakery-a", "PO-A")
    add_order(database, "bakery-a", PO)
    add_order(database, "bakery-b", PO)
    result = run_cli(database, "receive", "PO-A", "--at", "2026-03-02T08:15:00+00:00")
    assert result.exit_code == 0, result.output
    assert order(database, "bakery-a", "PO-A")["received_at"].replace(tzinfo=UTC) == at(8, 15)

    ambiguous = run_cli(database, "receive", PO)
    assert ambiguous.exit_code == 1
    assert f"{PO} exists for bakery-a, bakery-b: name one with --tenant" in ambiguous.output
    missing = run_cli(database, "receive", "PO-NONE")
    assert "no tenant has a purchase order PO-NONE" in missing.output
    assert order(database, "bakery-b")["status"] == "open"


def test_a_tick_resolves_alerts_of_orders_closed_elsewhere_or_rescheduled(database):
    add_order(database, "bakery-a", "PO-CANCEL")
    add_order(database, "bakery-a", "PO-MOVE")
    track_deliveries(database.engine, at(10), WINDOW)
    assert len(open_alerts(database)) == 4
    with database.engine.begin() as conn:
        po = purchase_orders.c
        conn.execute(
            sa.update(purchase_orders).where(po.po_number == "PO-CANCEL").values(status="cancelled")
        )
        conn.execute(
            sa.update(purchase_orders)
            .where(po.po_number == "PO-MOVE")
            .values(expected_delivery_date=DAY + timedelta(days=1))
        )
    summary = track_deliveries(database.engine, at(11), WINDOW)
    assert summary.outcomes["resolved"] == 4
    assert open_alerts(database) == {}


def test_list_shows_orders_with_their_open_delivery_alerts(database):
    add_order(database, "bakery-a")
    add_order(database, "bakery-a", "PO-DONE", status="received")
    add_order(database, "bakery-b", "PO-NY")
    for hour in (4, 8):
        track_deliveries(database.engine, at(hour), WINDOW)

    listed = run_cli(database, "list", "--open").output.splitlines()
    assert [line.split()[:2] for line in listed] == [["bakery-a", PO], ["bakery-b", "PO-NY"]]
    assert listed[0].split()[-1] == f"{ARRIVING_SOON},{OVERDUE}"
    assert listed[1].split()[-1] == "-"
    everything = run_cli(database, "list", "--tenant", "bakery-a").output.splitlines()
    assert [line.split()[1] for line in everything] == [PO, "PO-DONE"]
    assert everything[1].split()[4] == "received"


def test_the_job_tracks_at_its_configured_instant_and_posts_new_and_resolved_alerts(
    database, monkeypatch
):
    add_order(database, "bakery-a")
    with ScriptedServer() as server, dg.instance_for_test() as instance:
        server.reply(*[Reply(200)] * 4)
        monkeypatch.setenv("BAKERY_ALERT_WEBHOOK_URL", f"{server.url}/alerts")
        for local_time in ("06:00", "09:30", "09:45"):
            now = f"2026-03-02T{local_time}:00+01:00"
            result = delivery_tracking_job.execute_in_process(
                run_config={"ops": {"delivery_tracking": {"config": {"now": now}}}},
                resources={"database": database},
                instance=instance,
            )
            assert result.success
        assert run_cli(database, "receive", PO, "--tenant", "bakery-a").exit_code == 0
        posted = [(r.json()["event_type"], r.json()["alert_type"]) for r in server.requests]
    (output,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    metadata = {k: v.value for k, v in output.event_specific_data.metadata.items()}
    assert (metadata["orders_checked"], metadata["raised"], metadata["repeated"]) == (1, 0, 1)
    assert posted == [
        ("orchestrator_alert_raised", ARRIVING_SOON),
        ("orchestrator_alert_raised", OVERDUE),
        ("orchestrator_alert_resolved", ARRIVING_SOON),
        ("orchestrator_alert_resolved", OVERDUE),
    ]


def test_the_schedule_runs_the_job_hourly_at_half_past_madrid_time(database):
    defs = build_definitions(resources=local_resources(database.url))
    schedule = defs.resolve_schedule_def(DELIVERY_TRACKING_SCHEDULE)
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 * * * *", "Europe/Madrid")
    assert schedule.job_name == "delivery_tracking_job"
    assert defs.resolve_job_def("delivery_tracking_job").resource_defs["database"] is not None
    with dg.instance_for_test() as instance:
        tick = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
        (request,) = delivery_tracking_schedule.evaluate_tick(context).run_requests
    assert request.run_key == "2026-03-02T09:30:00+00:00"
    assert request.tags["bakery/triggered_by"] == f"schedule:{DELIVERY_TRACKING_SCHEDULE}"
