"""Fault cases: hostile files given to `bakery-orch import-sales`, on SQLite and PostgreSQL.

An import replaces only the product-days it carries; its rows pass the rules the daily sales
pass (same reasons, counted in the output); a file that is not UTF-8 text, is compressed, or is
mostly unusable (dated 9999-12-31, with a time-zone offset, an over-long product name) is one
line on stderr, exit 1, and stores nothing.
"""

import gzip
from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.schema import daily_sales
from bakery_orchestration.tenants.registry import get_tenant, upsert_products
from tests.faults.input_support import invoke, one_line_error, record_case, row_counts

HEADER = "date,product,quantity\n"
PRODUCTS = ("baguette", "croissant", "brioche", "café crème")


@pytest.fixture
def write(tmp_path):
    """Writes a sales file (the header and `rows`, or raw `data`) and returns its path."""

    def write(rows: str, data: bytes | None = None) -> str:
        path = tmp_path / "sales.csv"
        path.write_bytes(data if data is not None else (HEADER + rows).encode())
        return str(path)

    return write


@pytest.fixture
def bakery(empty_db_url, write) -> str:
    """A migrated database with tenant bakery-a, its products and a full day of 2025-06-01."""
    assert invoke(empty_db_url, "db", "upgrade").exit_code == 0
    assert invoke(empty_db_url, "tenants", "add", "bakery-a").exit_code == 0
    engine = create_db_engine(empty_db_url)
    master = pd.DataFrame(
        {"product_id": PRODUCTS, "name": PRODUCTS, "unit_price": 2.0, "unit_cost": 1.0}
    )
    upsert_products(engine, "bakery-a", master)
    engine.dispose()
    day = "".join(f"2025-06-01,{name},{10 + i}\n" for i, name in enumerate(PRODUCTS))
    assert invoke(empty_db_url, "import-sales", "--tenant", "bakery-a", write(day)).exit_code == 0
    return empty_db_url


def stored(url: str) -> dict[tuple[str, str], float]:
    engine = create_db_engine(url)
    tenant_id = get_tenant(engine, "bakery-a").id
    query = sa.select(daily_sales.c.sales_date, daily_sales.c.product_id, daily_sales.c.quantity)
    with engine.connect() as conn:
        rows = conn.execute(query.where(daily_sales.c.tenant_id == tenant_id)).all()
    engine.dispose()
    return {(day.isoformat(), product): quantity for day, product, quantity in rows}


def test_a_one_row_file_replaces_only_its_product_day(bakery, write, record_property):
    before = stored(bakery)
    clean = row_counts(bakery)

    result = invoke(
        bakery, "import-sales", "--tenant", "bakery-a", write("2025-06-01,baguette,3\n")
    )

    assert result.exit_code == 0, result.output
    assert "1 product-days stored (1 replaced, 0 added, the days' other products kept" in (
        result.output
    )
    assert stored(bakery) == {**before, ("2025-06-01", "baguette"): 3.0}
    lost, duplicated = record_case(
        record_property,
        "import one row of a stored day",
        "only that product-day replaced; the day's 3 other products kept",
        clean,
        row_counts(bakery),
    )
    assert (lost, duplicated) == (0, 0)


def test_replace_days_is_the_explicit_way_to_drop_a_days_other_products(bakery, write):
    args = ("import-sales", "--tenant", "bakery-a", "--replace-days")
    result = invoke(bakery, *args, write("2025-06-01,baguette,3\n"))
    assert result.exit_code == 0, result.output
    assert "(1 replaced, 0 added, 3 other product-days of those days removed" in result.output
    assert stored(bakery) == {("2025-06-01", "baguette"): 3.0}


def test_import_rows_pass_the_daily_sales_rules(bakery, write, record_property):
    rows = (
        "2025-06-02,baguette,4\n"
        "2025-06-02,baguette,4\n"  # duplicate_row
        "2025-06-02, croissant ,5\n"  # trimmed: croissant
        "2025-06-02,pain de mie,1\n"  # unknown_product
        "2099-01-01,baguette,4\n"  # future_date
        "2025-6-3,baguette,4\n"  # invalid_date
        "2025-06-03,brioche,1e308\n"  # quantity_out_of_range
        "2025-06-03,baguette,99999999999999999999999\n"  # quantity_out_of_range
        "2025-06-04,croissant,1.4e9\n"  # with the next: a day total beyond any ceiling
        "2025-06-04,croissant,1.5e9\n"
    ) + "".join(f"2025-{m:02d}-{d:02d},brioche,{d}\n" for m in (5, 6) for d in range(5, 31))
    before = stored(bakery)
    clean = row_counts(bakery)

    result = invoke(bakery, "import-sales", "--tenant", "bakery-a", write(rows))

    assert result.exit_code == 0, result.output
    for reason, number in [
        ("duplicate_row", 1),
        ("unknown_product", 1),
        ("future_date", 1),
        ("invalid_date", 1),
        ("quantity_out_of_range", 2),
        ("implausible_quantity", 2),
    ]:
        assert f"  set aside {reason}: {number}\n" in result.output
    added = {("2025-06-02", "baguette"): 4.0, ("2025-06-02", "croissant"): 5.0}
    added |= {(f"2025-{m:02d}-{d:02d}", "brioche"): float(d) for m in (5, 6) for d in range(5, 31)}
    assert stored(bakery) == {**before, **added}
    expected = {**clean, "daily_sales": clean["daily_sales"] + len(added)}
    lost, duplicated = record_case(
        record_property,
        "import with the daily_sales rule breakers",
        "8 lines set aside with their reasons, the 54 good product-days stored",
        expected,
        row_counts(bakery),
    )
    assert (lost, duplicated) == (0, 0)


HOSTILE_FILES = {
    "latin-1": (
        (HEADER + "2025-06-02,café crème,2\n").encode("latin-1"),
        "line 2: byte 0xe9 (column 15) is not UTF-8",
    ),
    "gzip": (gzip.compress((HEADER + "2025-06-02,baguette,2\n").encode()), "is a gzip file"),
    "date 9999-12-31": ((HEADER + "9999-12-31,baguette,2\n").encode(), "invalid_date 1"),
    "utc offset": (
        (HEADER + "2025-06-02T09:00:00+02:00,baguette,2\n").encode(),
        "invalid_date 1",
    ),
    "item line with offset": (
        b"Date,Time,Transaction,Item\n2025-06-02T09:00:00+02:00,09:00,1,baguette\n",
        "invalid_date 1",
    ),
    "product of 101 characters": (
        (HEADER + f"2025-06-02,{'b' * 101},2\n").encode(),
        "product_too_long 1",
    ),
}


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_a_hostile_file_is_one_line_and_stores_nothing(bakery, write, name, record_property):
    data, problem = HOSTILE_FILES[name]
    before = stored(bakery)
    clean = row_counts(bakery)

    line = one_line_error(invoke(bakery, "import-sales", "--tenant", "bakery-a", write("", data)))

    assert line.startswith("error: tenant bakery-a: ") and problem in line
    assert stored(bakery) == before
    lost, duplicated = record_case(
        record_property, f"import {name}", f"exit 1: {line}", clean, row_counts(bakery)
    )
    assert (lost, duplicated) == (0, 0)


def test_a_named_encoding_is_read_as_such(bakery, write):
    data = (HEADER + "2025-06-02,café crème,2\n").encode("latin-1")
    args = ("import-sales", "--tenant", "bakery-a", "--encoding", "latin-1")
    assert invoke(bakery, *args, write("", data)).exit_code == 0
    assert stored(bakery)[("2025-06-02", "café crème")] == 2.0
    line = one_line_error(
        invoke(
            bakery, "import-sales", "--tenant", "bakery-a", "--encoding", "klingon", write("", data)
        )
    )
    assert "unknown encoding 'klingon'" in line


def test_a_date_after_today_is_a_future_date(bakery, write):
    rows = f"{(date.today() + timedelta(days=2)).isoformat()},baguette,1\n"
    line = one_line_error(invoke(bakery, "import-sales", "--tenant", "bakery-a", write(rows)))
    assert "future_date 1" in line


@pytest.mark.parametrize(("column", "length"), [("product_id", 101), ("name", 201)])
def test_a_product_longer_than_its_column_is_one_line_on_both_dialects(
    bakery, tmp_path, column, length, record_property
):
    fields = {"product_id": "baguette", "name": "Baguette", column: "b" * length}
    path = tmp_path / "products.csv"
    path.write_text(
        f"product_id,name,unit_price,unit_cost\n{fields['product_id']},{fields['name']},2,1\n"
    )
    clean = row_counts(bakery)

    line = one_line_error(invoke(bakery, "tenants", "load-products", "bakery-a", str(path)))

    assert line == (
        f"error: tenant bakery-a: 1 product {column}s longer than {length - 1} characters "
        f"(first: {'b' * 40!r}...)"
    )
    lost, duplicated = record_case(
        record_property,
        f"products {column} of {length}",
        f"exit 1: {line}",
        clean,
        row_counts(bakery),
    )
    assert (lost, duplicated) == (0, 0)
