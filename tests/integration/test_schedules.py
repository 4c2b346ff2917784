"""The daily cycle and weekly retraining schedules, evaluated at given instants against a real
Dagster instance and a migrated orchestration database (tenants registered directly)."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest
import sqlalchemy as sa

from bakery_orchestration.automation.schedules import (
    ScheduleSettings,
    build_daily_cycle_schedule,
    build_weekly_retraining_schedule,
)
from bakery_orchestration.core.partitions import tenant_day_partitions
from bakery_orchestration.db.schema import forecast_models, validation_runs
from bakery_orchestration.definitions import build_definitions
from bakery_orchestration.forecasting.assets import ForecastModelConfig
from bakery_orchestration.resources import local_resources
from bakery_orchestration.tenants.registry import list_tenants
from tests.integration.automation_support import add_tenants, migrated_database


@pytest.fixture
def database(empty_db_url):
    db = migrated_database(empty_db_url)
    add_tenants(
        db.engine,
        ("madrid-a", {"tier": "enterprise"}),
        ("madrid-b", {"closed_weekdays": (6,)}),
        ("paused", {"status": "suspended"}),
        ("gone", {"status": "cancelled"}),
        ("nyc", {"timezone": "America/New_York", "tier": "professional"}),
    )
    return db


@pytest.fixture(scope="module")
def instance():
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture
def tick(instance):
    def evaluate(schedule, database, at: datetime):
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=at, resources={"database": database}
        )
        result = schedule(context)
        return result if isinstance(result, list) else []

    return evaluate


def keys(requests) -> list[str]:
    return sorted(r.run_key for r in requests)


DAILY = build_daily_cycle_schedule(ScheduleSettings())


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # winter: Madrid is UTC+1
        ("2026-03-28T07:00", ["madrid-a:2026-03-28", "madrid-b:2026-03-28"]),
        # the spring-forward day: 08:00 CEST is 06:00 UTC, and 07:00 UTC is 09:00
        ("2026-03-29T06:00", ["madrid-a:2026-03-29", "madrid-b:2026-03-29"]),
        ("2026-03-29T07:00", []),
        ("2026-03-29T05:00", []),
        # the fall-back day: 02:00-03:00 repeats, 08:00 CET happens once, at 07:00 UTC
        ("2026-10-25T06:00", []),
        ("2026-10-25T07:00", ["madrid-a:2026-10-25", "madrid-b:2026-10-25"]),
        # New York: 08:00 EDT is 12:00 UTC; Madrid tenants are at 14:00
        ("2026-06-01T12:00", ["nyc:2026-06-01"]),
        # 08:00 EST after New York's own change on 2026-11-01
        ("2026-11-02T13:00", ["nyc:2026-11-02"]),
    ],
)
def test_daily_cycle_runs_each_tenant_at_eight_local(tick, database, utc, expected):
    at = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert keys(tick(DAILY, database, at)) == expected


def test_every_hour_of_a_dst_day_starts_each_active_tenant_exactly_once(tick, database):
    for day in ("2026-03-29", "2026-10-25"):
        start = datetime.fromisoformat(f"{day}T00:00").replace(tzinfo=UTC)
        requests = [r for h in range(24) for r in tick(DAILY, database, start + timedelta(hours=h))]
        assert keys(requests) == [f"madrid-a:{day}", f"madrid-b:{day}", f"nyc:{day}"]


def test_daily_request_targets_todays_partition_with_priority_and_tags(tick, database):
    at = datetime(2026, 3, 29, 6, tzinfo=UTC)  # a Sunday: madrid-b is closed and still runs
    requests = {r.run_key: r for r in tick(DAILY, database, at)}
    enterprise = requests["madrid-a:2026-03-29"]
    assert enterprise.partition_key == "2026-03-29|madrid-a"
    assert enterprise.tags == {
        "dagster/priority": "10",
        "bakery/run_type": "scheduled",
        "bakery/triggered_by": "schedule:daily_cycle_schedule",
        "bakery/cycle_date": "2026-03-29",
    }
    assert requests["madrid-b:2026-03-29"].tags["dagster/priority"] == "0"
    again = {r.run_key: r.partition_key for r in tick(DAILY, database, at)}
    assert again == {k: r.partition_key for k, r in requests.items()}


def test_a_tenant_day_already_launched_is_not_launched_again(database):
    """A minute-by-minute cron ticks 60 times in the tenant's 08:00 hour: one run only."""
    at = datetime(2026, 3, 28, 7, tzinfo=UTC)
    with dg.instance_for_test() as fresh:
        context = dg.build_schedule_context(
            instance=fresh, scheduled_execution_time=at, resources={"database": database}
        )
        first = DAILY(context)
        assert keys(first) == ["madrid-a:2026-03-28", "madrid-b:2026-03-28"]
        request = first[0]
        job = build_definitions(local_resources(database.url)).resolve_job_def(DAILY.job_name)
        fresh.create_run_for_job(
            job,
            run_id=None,
            tags={
                **request.tags,
                **tenant_day_partitions.get_tags_for_partition_key(request.partition_key),
                "dagster/schedule_name": DAILY.name,
                "dagster/run_key": request.run_key,
            },
        )
        later = dg.build_schedule_context(
            instance=fresh,
            scheduled_execution_time=at + timedelta(minutes=1),
            resources={"database": database},
        )
        assert keys(DAILY(later)) == ["madrid-b:2026-03-28"]


def test_schedule_settings_come_from_the_environment_when_built(monkeypatch, tick, database):
    monkeypatch.setenv("BAKERY_DAILY_CYCLE_HOUR", "6")
    monkeypatch.setenv("BAKERY_RETRAINING_CRON", "30 21 * * 6")
    settings = ScheduleSettings.from_environment()
    assert (settings.cycle_hour, settings.retraining_cron) == (6, "30 21 * * 6")
    six = build_daily_cycle_schedule(settings)
    at = datetime(2026, 3, 28, 5, tzinfo=UTC)  # 06:00 in Madrid
    assert keys(tick(six, database, at)) == ["madrid-a:2026-03-28", "madrid-b:2026-03-28"]
    monkeypatch.setenv("BAKERY_DAILY_CYCLE_HOUR", "24")
    with pytest.raises(ValueError, match="0 to 23"):
        ScheduleSettings.from_environment()


def test_tenant_batches_hold_adjacent_due_tenants_of_one_priority(empty_db_url):
    """BAKERY_TENANTS_PER_RUN=3: b1..b5 added in order, b3 suspended, b5 enterprise: the due
    tenants form the partition ranges b1..b2 (b3 breaks adjacency) and b4..b5, at b5's
    priority; a second tick launches nothing again."""
    db = migrated_database(empty_db_url)
    specs = [(f"b{i}", {}) for i in range(1, 6)]
    specs[2] = ("b3", {"status": "suspended"})
    specs[4] = ("b5", {"tier": "enterprise"})
    add_tenants(db.engine, *specs)
    schedule = build_daily_cycle_schedule(ScheduleSettings(tenants_per_run=3))
    at = datetime(2026, 3, 28, 7, tzinfo=UTC)
    with dg.instance_for_test() as fresh:
        fresh.add_dynamic_partitions("tenant", [f"b{i}" for i in range(1, 6)])
        context = dg.build_schedule_context(
            instance=fresh, scheduled_execution_time=at, resources={"database": db}
        )
        requests = {r.run_key: r for r in schedule(context)}
        assert sorted(requests) == ["b1..b2:2026-03-28", "b4..b5:2026-03-28"]
        batch = requests["b1..b2:2026-03-28"]
        assert batch.partition_key is None
        assert batch.tags["dagster/asset_partition_range_start"] == "2026-03-28|b1"
        assert batch.tags["dagster/asset_partition_range_end"] == "2026-03-28|b2"
        assert batch.tags["bakery/batch_tenants"] == "b1,b2"
        assert batch.tags["dagster/max_retries"] == "0"
        assert requests["b4..b5:2026-03-28"].tags["dagster/priority"] == "10"
        assert batch.tags["dagster/priority"] == "0"
        job = build_definitions(local_resources(db.url)).resolve_job_def(schedule.job_name)
        fresh.create_run_for_job(
            job,
            run_id=None,
            tags={**batch.tags, "dagster/schedule_name": schedule.name, "dagster/run_key": "x"},
        )
        later = dg.build_schedule_context(
            instance=fresh,
            scheduled_execution_time=at + timedelta(minutes=1),
            resources={"database": db},
        )
        assert keys(schedule(later)) == ["b4..b5:2026-03-28"]


def _write_health(engine, slug_ids, wape_by_tenant, trained_days_ago, today):
    """60 scored days per tenant: (recent, previous) WAPE against a 40 % seasonal naive, and a
    MAPE of 60 % everywhere (slow sellers), which no rule judges any more."""
    with engine.begin() as conn:
        for slug, (recent, previous) in wape_by_tenant.items():
            for offset in range(1, 61):
                wape = recent if offset <= 30 else previous
                conn.execute(
                    sa.insert(validation_runs).values(
                        tenant_id=slug_ids[slug],
                        partition_date=today - timedelta(days=offset - 1),
                        validated_date=today - timedelta(days=offset),
                        forecast_lines=10,
                        scored_lines=10,
                        mape=60.0,
                        wape=wape,
                        actual_units=100.0,
                        abs_error_units=wape,
                        naive_abs_error_units=40.0,
                    )
                )
        for slug, days in trained_days_ago.items():
            conn.execute(
                sa.insert(forecast_models).values(
                    tenant_id=slug_ids[slug],
                    as_of=today - timedelta(days=days),
                    trained_at=datetime.combine(
                        today - timedelta(days=days), datetime.min.time(), UTC
                    ),
                    format="skops",
                    sha256="0" * 64,
                    payload=b"x",
                )
            )


def test_weekly_retraining_launches_the_tenants_whose_rule_fires(tick, database):
    ids = {t.slug: t.id for t in list_tenants(database.engine)}
    today = date(2026, 3, 29)
    _write_health(
        database.engine,
        ids,
        {"madrid-a": (45.0, 44.0), "madrid-b": (22.0, 21.0), "nyc": (31.0, 20.0)},
        {"madrid-a": 3, "madrid-b": 5, "nyc": 2},
        today,
    )
    schedule = build_weekly_retraining_schedule(ScheduleSettings())
    at = datetime(2026, 3, 29, 22, tzinfo=UTC)
    requests = {r.partition_key: r for r in tick(schedule, database, at)}
    assert sorted(requests) == ["madrid-a", "nyc"]
    assert requests["madrid-a"].run_config == {
        "ops": {"forecast_model": {"config": {"reason": "wape_30d_not_better_than_seasonal_naive"}}}
    }
    assert requests["nyc"].tags["bakery/retrain_reason"] == "wape_30d_rose"
    assert requests["nyc"].run_key == "nyc:2026-03-29"
    config = requests["madrid-a"].run_config["ops"]["forecast_model"]["config"]
    assert ForecastModelConfig(**config).reason == "wape_30d_not_better_than_seasonal_naive"


def test_tenants_without_a_model_are_retrained(tick, database):
    schedule = build_weekly_retraining_schedule(ScheduleSettings())
    requests = tick(schedule, database, datetime(2026, 3, 29, 22, tzinfo=UTC))
    assert sorted(r.partition_key for r in requests) == ["madrid-a", "madrid-b", "nyc"]
    assert {r.tags["bakery/retrain_reason"] for r in requests} == {"no_model"}
