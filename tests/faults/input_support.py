"""Helpers shared by the hostile-input fault tests (part A of the fault suite).

Every fault test records, with pytest's `record_property`, the keys the fault-suite table reads:
`case`, `outcome` (one line), `rows_lost` and `rows_duplicated` (per table, against the rows a
clean run leaves).
"""

from collections.abc import Callable, Mapping

import sqlalchemy as sa
from click.testing import CliRunner, Result

from bakery_orchestration.cli.main import cli
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.schema import metadata

COUNTED_TABLES = ("tenants", "products", "daily_sales", "sales_quarantine")


def invoke(url: str, *args: str) -> Result:
    """`bakery-orch --database-url URL ARGS...` in process; exceptions become the result's."""
    return CliRunner().invoke(cli, ["--database-url", url, *args])


def one_line_error(result: Result) -> str:
    """The CLI's single `error: ...` line; fails on a zero exit, a traceback or more lines."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def row_counts(url: str, tables: tuple[str, ...] = COUNTED_TABLES) -> dict[str, int]:
    """Rows per table in the orchestration database at `url`."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: conn.execute(
                    sa.select(sa.func.count()).select_from(metadata.tables[name])
                ).scalar_one()
                for name in tables
            }
    finally:
        engine.dispose()


def lost_and_duplicated(expected: Mapping[str, int], found: Mapping[str, int]) -> tuple[int, int]:
    """Rows missing from and rows beyond the expected counts, summed over tables."""
    lost = sum(max(0, expected[name] - found.get(name, 0)) for name in expected)
    duplicated = sum(max(0, found.get(name, 0) - expected[name]) for name in expected)
    return lost, duplicated


def record_case(
    record_property: Callable[[str, object], None],
    case: str,
    outcome: str,
    expected: Mapping[str, int],
    found: Mapping[str, int],
) -> tuple[int, int]:
    """Record the fault-suite keys for one case; returns (rows lost, rows duplicated)."""
    lost, duplicated = lost_and_duplicated(expected, found)
    record_property("case", case)
    record_property("outcome", " ".join(outcome.split()))
    record_property("rows_lost", lost)
    record_property("rows_duplicated", duplicated)
    return lost, duplicated
