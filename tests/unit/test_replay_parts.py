"""The replay's pure parts: reading the sales file, injections, cron ticks and the report."""

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.replay import inject
from bakery_orchestration.replay.cron import ticks_between
from bakery_orchestration.replay.inputs import check_window, read_replay_sales
from bakery_orchestration.replay.process import child_environment, tenant_slug
from bakery_orchestration.replay.report import (
    AlertEvent,
    CheckFailure,
    DayReport,
    ReplayReport,
    render_text,
)


def write(tmp_path, text: str):
    path = tmp_path / "sales.csv"
    path.write_text(text)
    return path


def test_reads_one_tenant_sums_duplicates_and_counts_bad_rows(tmp_path):
    path = write(
        tmp_path,
        "date,product,quantity,tenant\n"
        "2024-01-01,bread,3,a\n2024-01-01,bread,2,a\n2024-01-01,bun,x,a\n"
        "2024-01-02,bun,4,a\n2024-01-01,bread,9,b\n",
    )
    sales = read_replay_sales(path, "a")
    assert sales.sales.to_dict("records") == [
        {"date": date(2024, 1, 1), "product": "bread", "quantity": 5.0},
        {"date": date(2024, 1, 2), "product": "bun", "quantity": 4.0},
    ]
    assert (sales.rows_read, sales.rows_skipped) == (4, 1)
    assert (sales.first_day, sales.last_day) == (date(2024, 1, 1), date(2024, 1, 2))


@pytest.mark.parametrize(
    ("text", "tenant", "message"),
    [
        ("date,product\n2024-01-01,bread\n", None, "missing column(s) quantity"),
        ("date,product,quantity,tenant\n2024-01-01,b,1,a\n", None, "pick one with --tenant"),
        ("date,product,quantity,tenant\n2024-01-01,b,1,a\n", "z", "no rows for tenant 'z'"),
        ("date,product,quantity\n2024-01-01,b,1\n", "a", "has no tenant column"),
        ("date,product,quantity\nnope,b,1\n", None, "no readable"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path, text, tenant, message):
    with pytest.raises(BakeryError, match="sales.csv") as error:
        read_replay_sales(write(tmp_path, text), tenant)
    assert message in str(error.value)


def test_window_needs_history_and_sales_for_every_morning(tmp_path):
    sales = read_replay_sales(
        write(tmp_path, "date,product,quantity\n2024-01-01,b,1\n2024-01-05,b,1\n")
    )
    check_window(sales, date(2024, 1, 2), 5)  # the last morning (01-06) loads the sales of 01-05
    with pytest.raises(BakeryError, match="needs sales up to 2024-01-06"):
        check_window(sales, date(2024, 1, 2), 6)
    with pytest.raises(BakeryError, match="begin on 2024-01-01"):
        check_window(sales, date(2024, 1, 1), 2)


def test_injections_parse_and_refuse_unknown_kinds():
    assert inject.parse_injection("bad-rows@2024-03-02") == inject.Injection(
        "bad-rows", date(2024, 3, 2)
    )
    with pytest.raises(BakeryError, match="must be one of missing-sales"):
        inject.parse_injection("flood@2024-03-02")
    with pytest.raises(BakeryError, match="KIND@YYYY-MM-DD"):
        inject.parse_injection("bad-rows@tomorrow")


def test_demand_drop_scales_every_day_from_its_date():
    sales = pd.DataFrame(
        {
            "date": [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)],
            "product": "b",
            "quantity": [10.0, 20.0, 7.0],
        }
    )
    drops = inject.Injections((inject.Injection(inject.DEMAND_DROP, date(2024, 1, 2)),))
    assert inject.with_demand_drops(sales, drops)["quantity"].to_list() == [10.0, 6.0, 2.1]
    assert sales["quantity"].to_list() == [10.0, 20.0, 7.0]


def test_bad_rows_garble_every_third_row():
    day = pd.DataFrame(
        {"date": [date(2024, 1, 1)] * 6, "product": list("abcdef"), "quantity": [1.0, 2.5] * 3}
    )
    rows = inject.landing_rows(day, garbage=True)
    assert rows["quantity"].to_list() == ["n/a", "2.5", "1.0", "2.5", "1.0", "2.5"]
    assert rows["date"].to_list() == ["2024-01-01"] * 3 + ["0000-00-00", "2024-01-01", "2024-01-01"]
    clean = inject.landing_rows(day, garbage=False)
    assert clean["quantity"].to_list() == ["1.0", "2.5"] * 3 and set(clean["date"]) == {
        "2024-01-01"
    }


@pytest.mark.parametrize(
    ("cron", "after", "until", "expected"),
    [
        # Sunday 22:00 Madrid, summer time: 20:00 UTC
        (
            "0 22 * * 0",
            "2024-06-01T06:00",
            "2024-06-10T06:00",
            ["2024-06-02 22:00", "2024-06-09 22:00"],
        ),
        ("0 22 * * 7", "2024-06-03T00:00", "2024-06-09T20:00", ["2024-06-09 22:00"]),
        (
            "30 6 1,15 * *",
            "2024-06-01T00:00",
            "2024-06-16T00:00",
            ["2024-06-01 06:30", "2024-06-15 06:30"],
        ),
        (
            "0 */12 * * 1-2",
            "2024-06-03T00:00",
            "2024-06-05T00:00",
            ["2024-06-03 12:00", "2024-06-04 00:00", "2024-06-04 12:00"],
        ),
    ],
)
def test_cron_ticks(cron, after, until, expected):
    def utc(text):
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    ticks = ticks_between(cron, "Europe/Madrid", utc(after), utc(until))
    assert [t.strftime("%Y-%m-%d %H:%M") for t in ticks] == expected


def test_unsupported_cron_is_an_error():
    with pytest.raises(BakeryError, match="unsupported minute field 'MON'"):
        ticks_between(
            "MON * * * *", "UTC", datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)
        )


def test_child_environment_leaves_out_webhooks_and_sets_the_partition_start(tmp_path):
    env = child_environment(
        {"PATH": "/bin", "BAKERY_ALERT_WEBHOOK_URL": "http://x", "BAKERY_DATABASE_URL": "pg"},
        tmp_path,
        date(2022, 6, 1),
    )
    assert env == {
        "PATH": "/bin",
        "BAKERY_HOME": str(tmp_path),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "BAKERY_PARTITION_START": "2022-06-01",
    }
    assert tenant_slug("Store 12 / Lyon") == "store-12-lyon" and tenant_slug(None) == "replay"


def test_report_totals_count_only_what_was_measured():
    failure = CheckFailure("daily_sales:sales_input_quality", "ERROR", "2 of 6 rows", "cycle")
    alert = AlertEvent("asset_check", "daily_sales:sales_input_quality", "ERROR", "2 of 6 rows")
    days = [
        DayReport(date(2024, 1, 1), "completed", wape=None, units_baked=10.0, units_sold=8.0),
        DayReport(
            date(2024, 1, 2),
            "partial_success",
            checks_failed=[failure],
            alerts_opened=[alert],
            wape=30.0,
            units_baked=None,
            units_sold=6.0,
        ),
        DayReport(date(2024, 1, 3), "completed", alerts_resolved=[alert], wape=20.0),
    ]
    report = ReplayReport("replay", "sales.csv", days, input_rows=10, input_rows_skipped=0)
    data = report.to_dict()
    assert data["days"][1]["date"] == "2024-01-02"
    assert data["days"][1]["checks_failed"][0]["severity"] == "ERROR"
    assert (data["alerts_opened_total"], data["alerts_resolved_total"]) == (1, 1)
    assert data["days_by_status"] == {"completed": 2, "partial_success": 1}
    assert (data["units_baked_total"], data["units_sold_total"], data["wape_mean"]) == (
        10.0,
        14.0,
        25.0,
    )
    text = render_text(report)
    assert "2024-01-02  partial_success    30.0     n/a       6" in text
    assert "+alert asset_check daily_sales:sales_input_quality" in text
    assert "alerts opened 1, resolved 1" in text
