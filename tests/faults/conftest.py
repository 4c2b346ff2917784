"""The fault suite: each test drives one fault against real databases, processes and HTTP
servers, then records its row of the matrix that benchmarks/fault_suite.py prints.

Contract for every test here (shared with the input-validation cases): record with pytest's
`record_property` the keys `case`, `outcome` (one line), `rows_lost` and `rows_duplicated` (ints,
against a clean run's rows per table of the tenant-day); `record_fault` does it from two row
counts. Fixtures are shared so the suite stays fast: one prepared world per dialect and session.
"""

from collections.abc import Callable, Iterator, Mapping
from datetime import date

import dagster as dg
import pytest
import sqlalchemy as sa

from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.migrate import ensure_schema
from bakery_orchestration.definitions import build_definitions
from bakery_orchestration.demo.run import prepare_tenants
from bakery_orchestration.resources import local_resources
from bakery_orchestration.storage.tables import ASSET_STORAGE
from tests.conftest import DIALECTS
from tests.integration.audit_world import DAY, AuditWorld
from tests.postgres import require_postgres

HISTORY_DAYS = 28  # enough to fit a forecast, short enough to fit it in seconds

TABLES = sorted(
    {t for s in ASSET_STORAGE.values() for t in (s.main, *s.companions.values())},
    key=lambda table: table.name,
)
RowCounts = Mapping[str, int]
Recorder = Callable[[str, str, RowCounts, RowCounts], tuple[int, int]]


def partition_rows(engine: sa.Engine, tenant_id, day: date, tables=TABLES) -> dict[str, int]:
    """Rows per table for one tenant-day."""
    with engine.connect() as conn:
        return {
            table.name: conn.execute(
                sa.select(sa.func.count()).where(
                    table.c.tenant_id == tenant_id, table.c.partition_date == day
                )
            ).scalar_one()
            for table in tables
        }


def lost_and_duplicated(clean: RowCounts, after: RowCounts) -> tuple[int, int]:
    """Rows missing from and rows beyond the clean run's count, summed over tables."""
    names = set(clean) | set(after)
    lost = sum(max(clean.get(n, 0) - after.get(n, 0), 0) for n in names)
    duplicated = sum(max(after.get(n, 0) - clean.get(n, 0), 0) for n in names)
    return lost, duplicated


@pytest.fixture
def record_fault(record_property, request) -> Recorder:
    """Record this test's matrix row; the case name gets the dialect when parametrized by it."""

    def record(case: str, outcome: str, clean: RowCounts, after: RowCounts) -> tuple[int, int]:
        assert outcome and "\n" not in outcome, f"outcome must be one line: {outcome!r}"
        lost, duplicated = lost_and_duplicated(clean, after)
        dialect = _dialect(request)
        record_property("case", f"{case} [{dialect}]" if dialect else case)
        record_property("outcome", outcome)
        record_property("rows_lost", lost)
        record_property("rows_duplicated", duplicated)
        return lost, duplicated

    return record


def _dialect(request) -> str | None:
    callspec = getattr(request.node, "callspec", None)
    if callspec is None:
        return None
    for value in callspec.params.values():
        if value in ("sqlite", "postgresql"):
            return value
    return None


@pytest.fixture(scope="session", params=DIALECTS)
def world(request, tmp_path_factory, postgres_server) -> Iterator[AuditWorld]:
    """Two demo tenants with four weeks of history and the fault day's landing file, the real
    daily job, on each dialect, and a clean run of the fault day for the first tenant: the rows
    every case is compared with. The second tenant is the one a fault must leave untouched."""
    home = tmp_path_factory.mktemp("faults_home")
    with pytest.MonkeyPatch.context() as patch, dg.instance_for_test() as instance:
        patch.setenv("BAKERY_HOME", str(home))
        if request.param == "sqlite":
            url = f"sqlite:///{home / 'orchestration.db'}"
        else:
            require_postgres(postgres_server)
            url = postgres_server.create_database()
        ensure_schema(url)
        engine = create_db_engine(url)
        tenants = prepare_tenants(engine, 2, DAY, history_days=HISTORY_DAYS, landing_days=1)
        instance.add_dynamic_partitions("tenant", [t.slug for t in tenants])
        built = AuditWorld(url, engine, instance, build_definitions(local_resources(url)), tenants)
        built.home = home
        for tenant in tenants:
            assert built.run(tenant.slug, DAY).success
        built.clean_rows = {t.slug: partition_rows(engine, t.id, DAY) for t in tenants}
        try:
            yield built
        finally:
            engine.dispose()
