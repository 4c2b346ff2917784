"""The rolling partition window: the first partition day by its precedence (an explicit
``BAKERY_PARTITION_START``, then today minus ``BAKERY_PARTITION_DAYS_KEPT``, then 2025-01-01), its
one-line errors, and the late-sales plan skipping days that left the window since the load."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from bakery_orchestration.automation.late_sales import plan_late_partitions
from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.core.partitions import (
    DAYS_KEPT_ENV,
    START_ENV,
    date_partitions,
    first_partition_day,
    madrid_today,
    window_start,
)
from bakery_orchestration.sales.source_types import SalesChange
from bakery_orchestration.tenants.registry import Tenant

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, date(2025, 1, 1)),
        ({DAYS_KEPT_ENV: "10"}, date(2026, 11, 21)),
        ({DAYS_KEPT_ENV: " 1 "}, date(2026, 11, 30)),
        ({DAYS_KEPT_ENV: "365"}, date(2025, 12, 1)),
        ({START_ENV: "2026-02-20"}, date(2026, 2, 20)),
        ({START_ENV: "2026-02-20", DAYS_KEPT_ENV: "10"}, date(2026, 2, 20)),  # explicit wins
        ({START_ENV: "", DAYS_KEPT_ENV: "3"}, date(2026, 11, 28)),  # empty is unset
    ],
)
def test_first_partition_day_by_precedence(env, expected):
    assert first_partition_day(env, today=TODAY) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({DAYS_KEPT_ENV: "0"}, "BAKERY_PARTITION_DAYS_KEPT='0': use a whole number of days"),
        ({DAYS_KEPT_ENV: "-5"}, "BAKERY_PARTITION_DAYS_KEPT='-5': use a whole number of days"),
        ({DAYS_KEPT_ENV: "ten"}, "BAKERY_PARTITION_DAYS_KEPT='ten': use a whole number of days"),
        ({START_ENV: "01/02/2026"}, "BAKERY_PARTITION_START='01/02/2026' is not an ISO date"),
    ],
)
def test_bad_settings_are_one_line_errors(env, message):
    with pytest.raises(BakeryError) as error:
        first_partition_day(env, today=TODAY)
    assert str(error.value).startswith(message)


def test_today_is_the_madrid_day():
    # 23:30 UTC on 30 November is already 1 December in Madrid (UTC+1 in winter).
    assert madrid_today(datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == TODAY
    assert madrid_today(datetime(2026, 11, 30, 22, 30, tzinfo=UTC)) == date(2026, 11, 30)


def test_the_window_moves_with_the_clock_after_the_load(monkeypatch):
    """A code server loaded days ago still lists days a run worker started now has dropped."""
    monkeypatch.delenv(START_ENV, raising=False)
    monkeypatch.setenv(DAYS_KEPT_ENV, "10")
    assert window_start(datetime(2026, 12, 1, 9, tzinfo=UTC)) == date(2026, 11, 21)
    assert window_start(datetime(2026, 12, 4, 9, tzinfo=UTC)) == date(2026, 11, 24)
    monkeypatch.delenv(DAYS_KEPT_ENV)
    # No window: the start the definitions loaded with.
    assert window_start(datetime(2026, 12, 4, 9, tzinfo=UTC)) == date_partitions.start.date()


def test_late_sales_for_a_day_that_left_the_window_are_skipped(monkeypatch):
    monkeypatch.delenv(START_ENV, raising=False)
    monkeypatch.setenv(DAYS_KEPT_ENV, "10")
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    tenant = Tenant(id=uuid.uuid4(), slug="bakery-a", name="A")
    at = now - timedelta(minutes=5)
    changes = [
        SalesChange("bakery-a", date(2026, 11, 19), at),  # loaded by 11-20: left the window
        SalesChange("bakery-a", date(2026, 11, 20), at),  # loaded by 11-21: the first day
        SalesChange("bakery-a", date(2026, 11, 30), at),  # loaded today: the open day
    ]
    plan = plan_late_partitions(changes, [tenant], now)
    assert [c.day for c in plan.before_start] == [date(2026, 11, 19)]
    assert sorted(plan.changed) == ["2026-11-21|bakery-a", "2026-12-01|bakery-a"]
    assert plan.open_days == {"2026-12-01|bakery-a"}
