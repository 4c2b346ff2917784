"""The delivery alert rules (``deliveries.tracking``): each bound exactly and one minute either
side, priorities and severities, the window's time zone and daylight saving, its configuration."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bakery_orchestration.deliveries.tracking import (
    ARRIVING_SOON,
    OVERDUE,
    RECEIPT_INCOMPLETE,
    WINDOW_ENV,
    DeliveryWindow,
    TrackedOrder,
    delivery_alerts,
    parse_window,
    window_from_environment,
)

WINDOW = DeliveryWindow()  # 07:00-09:00 Europe/Madrid
WINTER_DAY = date(2026, 3, 2)  # CET, UTC+1: the window is 06:00-08:00 UTC
ORDER = TrackedOrder(uuid.uuid4(), "bakery-a", "PO-20260227-01", "harinas", WINTER_DAY)
MINUTE = timedelta(minutes=1)


def utc(hour: int, minute: int = 0, day: date = WINTER_DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def types(now: datetime, order: TrackedOrder = ORDER, window: DeliveryWindow = WINDOW):
    return [a.alert_type for a in delivery_alerts(order, now, window)]


ARRIVING_FROM = utc(4)  # 07:00 local - 2 h
OVERDUE_FROM = utc(8, 30)  # 09:00 local + 30 min
INCOMPLETE_FROM = utc(10)  # 09:00 local + 2 h


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (ARRIVING_FROM - MINUTE, []),
        (ARRIVING_FROM, [ARRIVING_SOON]),
        (ARRIVING_FROM + MINUTE, [ARRIVING_SOON]),
        (OVERDUE_FROM - MINUTE, [ARRIVING_SOON]),
        (OVERDUE_FROM, [OVERDUE]),
        (OVERDUE_FROM + MINUTE, [OVERDUE]),
        (INCOMPLETE_FROM - MINUTE, [OVERDUE]),
        (INCOMPLETE_FROM, [OVERDUE, RECEIPT_INCOMPLETE]),
        (INCOMPLETE_FROM + MINUTE, [OVERDUE, RECEIPT_INCOMPLETE]),
        (utc(23, 59, WINTER_DAY + timedelta(days=3)), [OVERDUE, RECEIPT_INCOMPLETE]),
    ],
    ids=[
        "2h01-before",
        "2h-before",
        "1h59-before",
        "29min-after",
        "30min-after",
        "31min-after",
        "1h59-after",
        "2h-after",
        "2h01-after",
        "days-later",
    ],
)
def test_alerts_start_exactly_at_each_bound(now, expected):
    assert types(now) == expected


def test_the_same_instant_in_any_offset_gives_the_same_alerts():
    local = OVERDUE_FROM.astimezone(ZoneInfo("Europe/Madrid"))
    assert (local.hour, local.minute) == (9, 30)
    assert types(local) == types(OVERDUE_FROM) == [OVERDUE]


def test_priorities_severities_dedup_key_and_messages():
    found = delivery_alerts(ORDER, INCOMPLETE_FROM, WINDOW)
    assert [(a.priority, a.severity, a.dedup_key) for a in found] == [
        (95, "ERROR", "PO-20260227-01"),
        (80, "WARN", "PO-20260227-01"),
    ]
    overdue = found[0].message
    assert overdue.startswith("PO-20260227-01 from harinas, expected 2026-03-02 07:00-09:00")
    assert "2 h 00 min late" in overdue and "(priority 95)" in overdue
    (soon,) = delivery_alerts(ORDER, utc(4, 15), WINDOW)
    assert (soon.priority, soon.severity) == (70, "WARN")
    assert "arriving in 1 h 45 min" in soon.message


@pytest.mark.parametrize(
    ("now", "detail"),
    [(utc(6, 30), "delivery window open"), (utc(8, 10), "delivery window over")],
)
def test_arriving_soon_says_where_the_window_stands(now, detail):
    (alert,) = delivery_alerts(ORDER, now, WINDOW)
    assert detail in alert.message


def test_summer_time_moves_the_window_one_hour_earlier_in_utc():
    summer = TrackedOrder(ORDER.tenant_id, "bakery-a", "PO-1", "harinas", date(2026, 7, 1))
    # CEST, UTC+2: 07:00 local is 05:00 UTC, so arriving soon starts at 03:00 UTC.
    assert types(utc(2, 59, summer.expected_delivery_date), summer) == []
    assert types(utc(3, 0, summer.expected_delivery_date), summer) == [ARRIVING_SOON]


def test_the_window_is_read_in_the_tenants_time_zone():
    new_york = WINDOW.in_timezone("America/New_York")  # EST, UTC-5 on 2 March
    assert types(utc(9, 59), window=new_york) == []
    assert types(utc(10, 0), window=new_york) == [ARRIVING_SOON]
    assert types(utc(14, 30), window=new_york) == [OVERDUE]


def test_an_order_without_an_expected_date_raises_nothing():
    undated = TrackedOrder(ORDER.tenant_id, "bakery-a", "PO-2", "harinas", None)
    assert delivery_alerts(undated, utc(12), WINDOW) == []


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        delivery_alerts(ORDER, datetime(2026, 3, 2, 9), WINDOW)


def test_a_configured_window_moves_every_bound(monkeypatch):
    monkeypatch.setenv(WINDOW_ENV, "05:30-06:00")
    early = window_from_environment()
    assert (early.start, early.end, early.timezone) == (time(5, 30), time(6), "Europe/Madrid")
    # 05:30 local = 04:30 UTC; 06:00 local + 30 min = 05:30 UTC.
    assert types(utc(2, 29), window=early) == []
    assert types(utc(2, 30), window=early) == [ARRIVING_SOON]
    assert types(utc(5, 30), window=early) == [OVERDUE]
    assert types(utc(7), window=early) == [OVERDUE, RECEIPT_INCOMPLETE]


def test_without_configuration_the_window_is_seven_to_nine(monkeypatch):
    monkeypatch.delenv(WINDOW_ENV, raising=False)
    assert window_from_environment() == DeliveryWindow(time(7), time(9))


@pytest.mark.parametrize("text", ["7-9am", "09:00-07:00", "07:00", "08:00-08:00"])
def test_a_malformed_or_empty_window_is_refused(text):
    with pytest.raises(ValueError, match="delivery window|BAKERY_DELIVERY_WINDOW"):
        parse_window(text)
