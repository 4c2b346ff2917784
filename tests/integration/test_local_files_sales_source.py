"""Scope: LocalFilesSalesSource on real files: reading a day's CSV and the mtime change cursor."""

import os
import time
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pytest

from bakery_orchestration.sales.landing_files import FileCursor
from bakery_orchestration.sales.resources import (
    LocalFilesSalesSource,
    SalesSource,
    SalesSourceError,
)

DAY = date(2026, 3, 2)


def land(landing: Path, tenant: str, day: str, text: str = "date,product,quantity\n") -> Path:
    """Write a sales file, then let the clock pass the filesystem's coarse timestamp tick."""
    path = landing / tenant / f"{day}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    time.sleep(0.02)
    return path


def changed_at(path: Path) -> datetime:
    stat = path.stat()
    return datetime.fromtimestamp(max(stat.st_mtime_ns, stat.st_ctime_ns) / 1e9, tz=UTC)


@pytest.fixture
def landing(tmp_path) -> Path:
    return tmp_path / "landing"


@pytest.fixture
def source(landing) -> LocalFilesSalesSource:
    return LocalFilesSalesSource(landing_dir=str(landing), settle_seconds=0)


def test_a_landed_day_is_read_as_strings_with_file_lines(landing, source):
    text = 'date,product,quantity\n2026-03-02,BAGUETTE,46\n\n2026-03-02,"PAIN, AU CHOCOLAT",12.50\n'
    path = land(landing, "bakery-a", "2026-03-02", text)
    sales = source.fetch_daily_sales("bakery-a", DAY)

    assert (sales.found, sales.source, sales.tenant, sales.day) == (
        True,
        str(path),
        "bakery-a",
        DAY,
    )
    assert sales.rows.to_dict("records") == [
        {"date": "2026-03-02", "product": "BAGUETTE", "quantity": "46", "line": 2},
        {"date": "2026-03-02", "product": "PAIN, AU CHOCOLAT", "quantity": "12.50", "line": 4},
    ]


def test_a_missing_day_is_not_found(source):
    sales = source.fetch_daily_sales("bakery-a", DAY)
    assert not sales.found and sales.rows.empty
    assert list(sales.rows.columns) == ["date", "product", "quantity", "line"]


def test_a_header_only_file_is_a_day_without_sales(landing, source):
    land(landing, "bakery-a", "2026-03-02", "\ufeffdate,product,quantity\r\n")
    sales = source.fetch_daily_sales("bakery-a", DAY)
    assert sales.found and sales.rows.empty


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"day,item,qty\n", "header is ['day', 'item', 'qty'], expected date,product,quantity"),
        (b"", "header is None"),
        (b"date,product,quantity\n2026-03-02,BAGUETTE\n", "line 2 has 2 fields, expected 3"),
        ("date,product,quantity\n2026-03-02,CAFÉ,1\n".encode("latin-1"), "can't decode byte 0xc9"),
    ],
)
def test_an_unreadable_file_names_tenant_date_file_and_problem(landing, source, content, problem):
    path = landing / "bakery-a" / "2026-03-02.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(SalesSourceError) as raised:
        source.fetch_daily_sales("bakery-a", DAY)
    message = str(raised.value)
    assert message.startswith(
        f"unreadable sales file for tenant 'bakery-a' date 2026-03-02: {path}: "
    )
    assert problem in message


def test_changes_report_each_change_once_and_again_after_a_new_write(landing, source):
    first_file = land(landing, "bakery-a", "2026-03-01")
    land(landing, "bakery-b", "2026-03-02")
    land(landing, "bakery-a", "notes")

    first = source.changes_since(None)
    assert [(c.tenant, c.day) for c in first.items] == [
        ("bakery-a", date(2026, 3, 1)),
        ("bakery-b", date(2026, 3, 2)),
    ]
    assert first.items[0].changed_at == changed_at(first_file)
    restarted = LocalFilesSalesSource(landing_dir=str(landing), settle_seconds=0)
    again = restarted.changes_since(first.next_cursor)
    assert (again.items, again.next_cursor, again.has_more) == ([], first.next_cursor, False)

    land(landing, "bakery-b", "2026-03-02", "date,product,quantity\n2026-03-02,BAGUETTE,3\n")
    land(landing, "bakery-c", "2026-03-02")
    later = restarted.changes_since(first.next_cursor)
    assert [(c.tenant, c.day) for c in later.items] == [
        ("bakery-b", date(2026, 3, 2)),
        ("bakery-c", date(2026, 3, 2)),
    ]
    assert restarted.changes_since(later.next_cursor).items == []


def test_a_copy_keeping_an_old_mtime_is_still_reported(landing, source):
    cursor = source.changes_since(None).next_cursor
    copied = land(landing, "bakery-a", "2026-03-02")
    os.utime(copied, ns=(10**9, 10**9))  # what `cp -p` or `rsync -t` leave behind
    assert [c.tenant for c in source.changes_since(cursor).items] == ["bakery-a"]


def test_changes_are_paged(landing):
    for tenant in ("t1", "t2", "t3"):
        land(landing, tenant, "2026-03-02")
    source = LocalFilesSalesSource(landing_dir=str(landing), settle_seconds=0, changes_page_size=2)

    pages, cursor = [], None
    for _ in range(3):
        page = source.changes_since(cursor)
        pages.append(([c.tenant for c in page.items], page.has_more))
        cursor = page.next_cursor
    assert pages == [(["t1", "t2"], True), (["t3"], False), ([], False)]


@pytest.mark.parametrize(
    ("changed_ns", "path", "new"),
    [
        (100, "t9/2026-03-02.csv", True),
        (100, "t1/2026-03-02.csv", False),
        (99, "t5/x.csv", False),
        (101, "t1/2026-03-02.csv", True),
    ],
)
def test_cursor_tells_files_sharing_its_timestamp_apart(changed_ns, path, new):
    cursor = FileCursor(100, frozenset({"t1/2026-03-02.csv"}))
    assert FileCursor.parse(cursor.dump()).is_before(changed_ns, path) is new


def test_files_still_settling_wait_for_the_next_call(landing):
    land(landing, "bakery-a", "2026-03-02", "date,product,quantity\n")
    settling = LocalFilesSalesSource(landing_dir=str(landing), settle_seconds=60)
    assert settling.changes_since(None).items == []


def test_a_bad_cursor_is_an_error(source):
    with pytest.raises(SalesSourceError, match="invalid landing-files cursor"):
        source.changes_since("not json")


def test_an_asset_reads_through_the_abstract_resource(landing):
    land(landing, "bakery-a", "2026-03-02", "date,product,quantity\n2026-03-02,BAGUETTE,46\n")

    @dg.asset
    def raw(sales_source: SalesSource) -> int:
        return len(sales_source.fetch_daily_sales("bakery-a", DAY).rows)

    source = LocalFilesSalesSource(landing_dir=str(landing))
    assert dg.materialize([raw], resources={"sales_source": source}).output_for_node("raw") == 1
