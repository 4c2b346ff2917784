"""The bakery-orch command line against real databases: migrations, the tenant registry,
imports of real POS exports (their daily totals equal the published aggregates), one-line
errors."""

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from bakery_orchestration.cli.main import cli
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.schema import daily_sales, tenants


def invoke(url: str, *args: str):
    return CliRunner().invoke(cli, ["--database-url", url, *args], catch_exceptions=False)


def test_check_fails_until_upgraded(empty_db_url):
    behind = invoke(empty_db_url, "db", "check")
    assert behind.exit_code == 1
    assert behind.output.count("\n") == 1
    assert "is at base" in behind.output and "bakery-orch db upgrade" in behind.output
    assert invoke(empty_db_url, "db", "upgrade").exit_code == 0
    ok = invoke(empty_db_url, "db", "check")
    assert ok.exit_code == 0 and "up to date" in ok.output
    down = invoke(empty_db_url, "db", "downgrade", "base")
    assert down.exit_code == 0 and down.output.strip().endswith("is at base")


@pytest.fixture
def migrated_url(empty_db_url) -> str:
    assert invoke(empty_db_url, "db", "upgrade").exit_code == 0
    return empty_db_url


def test_server_database_is_never_migrated_by_other_commands(empty_db_url):
    result = CliRunner().invoke(cli, ["--database-url", empty_db_url, "tenants", "list"])
    if empty_db_url.startswith("sqlite"):
        assert result.exit_code == 0  # the embedded default migrates itself
    else:
        assert result.exit_code == 1
        assert "run `bakery-orch db upgrade` first" in result.output


def test_tenant_lifecycle(migrated_url):
    empty_db_url = migrated_url
    added = invoke(
        empty_db_url,
        "tenants",
        "add",
        "bakery-a",
        "--name",
        "Bakery A",
        "--tier",
        "enterprise",
        "--country",
        "es",
        "--closed",
        "mon,sun",
    )
    assert added.exit_code == 0, added.output
    engine = create_db_engine(empty_db_url)
    with engine.connect() as conn:
        row = conn.execute(sa.select(tenants).where(tenants.c.slug == "bakery-a")).mappings().one()
    engine.dispose()
    assert (row["tier"], row["country"], row["closed_weekdays"]) == ("enterprise", "ES", [0, 6])
    assert "suspended" in invoke(empty_db_url, "tenants", "suspend", "bakery-a").output
    listed = invoke(empty_db_url, "tenants", "list", "--status", "suspended").output
    assert listed.startswith("bakery-a")
    assert "active" in invoke(empty_db_url, "tenants", "activate", "bakery-a").output


@pytest.mark.parametrize("slug", ["Bakery", "a|b", "x,y", "[z]", "_lead", ""])
def test_bad_slug_is_one_line_error(migrated_url, slug):
    result = CliRunner().invoke(cli, ["--database-url", migrated_url, "tenants", "add", slug])
    assert result.exit_code == 1
    assert result.output.startswith("error: invalid tenant slug")
    assert result.output.count("\n") == 1


@pytest.mark.parametrize(
    ("export", "published"),
    [
        ("breadbasket/transactions.csv", "breadbasket/daily_item_lines.csv"),
        ("korean_bakery/orders_wide.csv", "korean_bakery/daily_units.csv"),
    ],
)
def test_imported_daily_totals_equal_the_published_aggregates(
    migrated_url, shared_data, export, published
):
    empty_db_url = migrated_url
    assert invoke(empty_db_url, "tenants", "add", "real").exit_code == 0
    result = invoke(empty_db_url, "import-sales", "--tenant", "real", str(shared_data / export))
    assert result.exit_code == 0, result.output
    engine = create_db_engine(empty_db_url)
    with engine.connect() as conn:
        stored = pd.DataFrame(
            conn.execute(
                sa.select(
                    daily_sales.c.sales_date, daily_sales.c.product_id, daily_sales.c.quantity
                )
            ).all(),
            columns=["date", "product", "quantity"],
        )
    engine.dispose()
    expected = pd.read_csv(shared_data / published)
    stored_totals = stored.groupby(stored["date"].astype(str))["quantity"].sum()
    expected_totals = expected.groupby("date")["quantity"].sum()
    pd.testing.assert_series_equal(
        stored_totals.sort_index(), expected_totals.astype(float).sort_index(), check_names=False
    )
    assert len(stored) == len(expected)
