"""Alerts end to end inside one process: check evaluations and run results in a real Dagster
instance, read by ``alert_sensor`` after its cursor, stored deduplicated in the ``alerts`` table
(SQLite and PostgreSQL) and posted to a real HTTP webhook; plus the freshness sensor and the
forecast_validation checks' severity rules."""

import dagster as dg
import pytest
import sqlalchemy as sa

from bakery_orchestration.automation.alert_sensor import alert_sensor
from bakery_orchestration.automation.freshness import build_sales_freshness_sensor
from bakery_orchestration.core.partitions import split_key
from bakery_orchestration.db.schema import alerts, sales_receipts
from bakery_orchestration.validation.checks import accuracy_result, coverage_result
from bakery_orchestration.validation.rules import AccuracyRules, ScoredDay
from tests.helpers.http_server import Reply, ScriptedServer
from tests.integration.automation_support import add_tenants, migrated_database

VALIDATION = dg.AssetKey("forecast_validation")


@pytest.fixture
def database(empty_db_url):
    db = migrated_database(empty_db_url)
    add_tenants(db.engine, ("bakery-a", {}), ("bakery-b", {"timezone": "Pacific/Kiritimati"}))
    return db


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def evaluate(sensor, instance, database, cursor=None):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"database": database}
    )
    return sensor(context)


OUTCOME = {"passed": True, "severity": dg.AssetCheckSeverity.WARN}
TAGS = {"dagster/partition/tenant": "bakery-a"}


@dg.asset(name="forecast_validation")
def scored():
    return 1


@dg.asset_check(asset=scored)
def forecast_accuracy() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=OUTCOME["passed"],
        severity=OUTCOME["severity"],
        description=None if OUTCOME["passed"] else "MAPE 25.0% above 20%",
    )


def check(instance, passed: bool, severity=dg.AssetCheckSeverity.WARN):
    """A real run of an asset and its check, on tenant bakery-a."""
    OUTCOME.update(passed=passed, severity=severity)
    dg.materialize([scored, forecast_accuracy], instance=instance, tags=TAGS)


def rows(database) -> list[dict]:
    with database.engine.connect() as conn:
        query = sa.select(alerts).order_by(alerts.c.first_seen)
        return [dict(r) for r in conn.execute(query).mappings()]


def test_check_alert_is_raised_once_deduplicated_and_resolved(instance, database, monkeypatch):
    with ScriptedServer() as server:
        server.reply(Reply(200), Reply(200))
        monkeypatch.setenv("BAKERY_ALERT_WEBHOOK_URL", f"{server.url}/alerts")
        check(instance, passed=False)
        first = evaluate(alert_sensor, instance, database)
        (row,) = rows(database)
        assert (row["severity"], row["alert_type"], row["occurrences"]) == (
            "WARN",
            "asset_check",
            1,
        )
        assert row["dedup_key"] == "forecast_validation:forecast_accuracy"
        assert row["resolved_at"] is None

        again = evaluate(alert_sensor, instance, database, cursor=first.cursor)
        assert len(rows(database)) == 1 and rows(database)[0]["occurrences"] == 1

        check(instance, passed=False, severity=dg.AssetCheckSeverity.ERROR)
        third = evaluate(alert_sensor, instance, database, cursor=again.cursor)
        (row,) = rows(database)
        assert (row["occurrences"], row["severity"]) == (2, "ERROR")
        assert len(server.requests) == 1  # the repeat posted nothing

        check(instance, passed=True)
        evaluate(alert_sensor, instance, database, cursor=third.cursor)
        (row,) = rows(database)
        assert row["resolved_at"] is not None
        posted = [r.json() for r in server.requests]
    assert [p["event_type"] for p in posted] == [
        "orchestrator_alert_raised",
        "orchestrator_alert_resolved",
    ]
    assert posted[0]["tenant"] == "bakery-a" and posted[0]["severity"] == "WARN"


def test_a_new_failure_after_resolution_opens_a_new_alert(instance, database):
    check(instance, passed=False)
    check(instance, passed=True)
    check(instance, passed=False)
    evaluate(alert_sensor, instance, database)
    states = [r["resolved_at"] is None for r in rows(database)]
    assert states == [False, True]


@dg.asset
def broken():
    raise RuntimeError("sales service down")


@dg.asset(name="broken")
def repaired():
    return 1


def test_failed_run_raises_and_a_later_success_resolves(instance, database):
    tags = {"dagster/partition/tenant": "bakery-a"}
    dg.materialize([broken], instance=instance, raise_on_error=False, tags=tags)
    cursor = evaluate(alert_sensor, instance, database).cursor
    (row,) = rows(database)
    assert row["alert_type"] == "run_failure" and row["severity"] == "ERROR"
    assert "failed" in row["message"] and row["tenant_id"] is not None
    dg.materialize([repaired], instance=instance, tags=tags)
    evaluate(alert_sensor, instance, database, cursor=cursor)
    (row,) = rows(database)
    assert row["resolved_at"] is not None


def test_missing_sales_after_the_deadline_alerts_until_loaded(instance, database):
    sensor = build_sales_freshness_sensor(deadline_hour=0)  # every tenant is past the deadline
    evaluate(sensor, instance, database)
    evaluate(sensor, instance, database)
    found = rows(database)
    assert sorted(r["occurrences"] for r in found) == [2, 2]
    assert {r["alert_type"] for r in found} == {"sales_freshness"}
    keys = _todays_keys(database)
    _receive(database, keys[0], "missing")  # ran, but the sales were not there: not loaded
    _receive(database, keys[1], "received")
    evaluate(sensor, instance, database)
    states = {r["resolved_at"] is None: r["message"] for r in rows(database)}
    assert "(missing)" in states[True]
    _receive(database, keys[0], "received")
    evaluate(sensor, instance, database)
    assert all(r["resolved_at"] is not None for r in rows(database))


def _receive(database, key: str, state: str) -> None:
    tenant, day = split_key(key)
    tenant_id = database.tenant_id(tenant)
    with database.engine.begin() as conn:
        conn.execute(
            sa.delete(sales_receipts).where(
                sales_receipts.c.tenant_id == tenant_id, sales_receipts.c.partition_date == day
            )
        )
        conn.execute(
            sa.insert(sales_receipts).values(
                tenant_id=tenant_id, partition_date=day, sales_date=day, state=state
            )
        )


def _todays_keys(database) -> list[str]:
    from datetime import UTC, datetime

    from bakery_orchestration.automation.freshness import overdue_partitions
    from bakery_orchestration.tenants.registry import list_tenants

    return list(overdue_partitions(list_tenants(database.engine), datetime.now(UTC), 0).values())


RULES = AccuracyRules()


def test_accuracy_check_passes_with_a_note_when_nothing_was_scored():
    result = accuracy_result({"note": "no sales received", "actual_units": None}, [], RULES)
    assert result.passed and result.metadata["note"].value == "no sales received"


def test_accuracy_check_reports_the_rule_that_failed():
    history = [ScoredDay(1000, 400, 300)] * 14  # 40 % WAPE where copying last week gives 30 %
    result = accuracy_result({"actual_units": 1000, "mape": 55.5, "rmse": 3.2}, history, RULES)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert "no better than copying last week" in result.description
    assert result.metadata["wape_ratio_to_naive"].value == pytest.approx(1.33)
    assert result.metadata["mape"].value == 55.5  # still reported, no longer judged


@pytest.mark.parametrize(
    ("lines", "coverage", "note", "passed"),
    [
        (0, None, None, True),
        (10, 80.0, None, True),
        (10, 79.9, None, False),
        (10, 0.0, "no sales received", True),  # the sales_received check speaks for that
    ],
)
def test_coverage_warns_below_eighty_percent(lines, coverage, note, passed):
    result = coverage_result(lines, coverage, note)
    assert result.passed is passed
    assert result.severity == dg.AssetCheckSeverity.WARN
